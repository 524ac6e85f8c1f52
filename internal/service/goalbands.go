package service

// Band changes (issue 9: "when a subject leaves its band, the people
// concerned are notified through the outbox"). EvaluateGoalBands asks the
// metric engine, rule by rule, for the completion of every subject with a
// target in the periods running today, compares each band with the last
// one kept in goal_bands, and in one transaction per rule moves the bands
// that changed and queues a notification for each to the people concerned.
// A subject's first evaluation in a period only records its band. The app
// runs it a little after facts change (debounced) and every hour.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// JobGoalBands is the job that evaluates one tenant's goal bands (payload
// GoalBandsJob).
const JobGoalBands = "goal.bands"

// GoalBandsJob is the payload of JobGoalBands.
type GoalBandsJob struct {
	TenantID cohort.ID `json:"tenant_id"`
}

// KindGoalBandChanged is the notification of a band change (notify's
// catalogue renders it).
const KindGoalBandChanged = "goal_band_changed"

// GoalBandRun counts what an evaluation did.
type GoalBandRun struct {
	Rules int
	// Evaluated counts (subject, period) pairs with a target.
	Evaluated int
	// Recorded are first evaluations, Changed bands that moved, Notified
	// the notifications queued for them.
	Recorded int
	Changed  int
	Notified int
}

// periodsAt are the keys of the periods of a cycle's grid that hold local
// date d: its fiscal year, and its quarter, month or week as the cycle has
// them.
func (c goalCal) periodsAt(cycle string, d time.Time) []string {
	fy := c.fiscalYearOf(d)
	out := []string{}
	for _, kind := range periodKinds(cycle) {
		switch kind {
		case "year":
			out = append(out, fmt.Sprintf("FY%04d", fy))
		case "quarter":
			out = append(out, fmt.Sprintf("FY%04d-Q%d", fy, (int(d.Month())-c.fy+12)%12/3+1))
		case "month":
			out = append(out, d.Format("2006-01"))
		case "week":
			first := time.Weekday(c.week % 7)
			out = append(out, "W"+ymd(d.AddDate(0, 0, -((int(d.Weekday())-int(first)+7)%7))))
		}
	}
	return out
}

// bandKey names a subject in a period.
type bandKey struct{ subject, period string }

// bandNow is a subject's band as just computed.
type bandNow struct {
	band string
	rate float64
}

// EvaluateGoalBands evaluates the bands of every goal rule of a tenant in
// the periods running today (as Cohort itself: the whole company's
// figures). Rules are independent: each commits on its own.
func (s *Service) EvaluateGoalBands(ctx context.Context, tenantID cohort.ID) (GoalBandRun, error) {
	var run GoalBandRun
	sctx, err := s.SystemContext(ctx, tenantID)
	if err != nil {
		return run, err
	}
	rules, err := s.GoalRules(sctx)
	if err != nil {
		return run, err
	}
	for _, r := range rules {
		run.Rules++
		err := s.evaluateRuleBands(sctx, r.ID, &run)
		if cohort.ErrorCode(err) == cohort.EINVALID {
			// A rule the engine no longer answers (its tenant metric was
			// deleted): the others still run.
			s.log.Warn("goal bands: rule skipped", "tenant", tenantID, "rule", r.ID, "err", err)
			continue
		}
		if err != nil {
			return run, fmt.Errorf("goal bands of rule %s: %w", r.ID, err)
		}
	}
	return run, nil
}

func (s *Service) evaluateRuleBands(ctx context.Context, ruleID cohort.ID, run *GoalBandRun) error {
	q := s.db.Read()
	gc, err := s.goalContext(ctx, q, ruleID, nil)
	if err != nil {
		return err
	}
	current := gc.cal.periodsAt(gc.rule.Cycle, gc.env.Today)
	now := map[bandKey]bandNow{}
	tg := newTargets(gc.vals, gc.tree, gc.cal, gc.rule.Cycle)
	for _, pk := range current {
		if gc.locks[pk] != nil {
			continue // frozen: its figures were closed
		}
		var subjects []string
		for _, sub := range gc.tree.list {
			if tg.of(sub.Key, pk) != nil {
				subjects = append(subjects, sub.Key)
			}
		}
		if len(subjects) == 0 {
			continue
		}
		per, _, _ := gc.cal.parse(pk)
		act, err := gc.actuals(ctx, q, subjects, per.From, per.To)
		if err != nil {
			return err
		}
		for _, key := range subjects {
			rate, _ := rateAndGap(act[key], tg.of(key, pk))
			if b := band(rate); b != nil {
				now[bandKey{key, pk}] = bandNow{*b, *rate}
				run.Evaluated++
			}
		}
	}
	kept, err := loadGoalBands(ctx, q, gc.tenant.ID, ruleID)
	if err != nil {
		return err
	}
	var fresh, moved, gone []bandKey
	for k, b := range now {
		old, ok := kept[k]
		switch {
		case !ok:
			fresh = append(fresh, k)
		case old != b.band:
			moved = append(moved, k)
		}
	}
	for k := range kept {
		if _, ok := now[k]; !ok {
			gone = append(gone, k) // no target (or no rate) any more, or the period is over
		}
	}
	if len(fresh)+len(moved)+len(gone) == 0 {
		return nil
	}
	sortBandKeys(fresh)
	sortBandKeys(moved)
	tid, rid, at := int64(gc.tenant.ID), int64(ruleID), s.now().UnixMilli()
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		for _, k := range gone {
			if _, err := tx.ExecContext(ctx, "DELETE FROM goal_bands WHERE tenant_id = ? AND rule_id = ? AND subject = ? AND period = ? AND band = ?",
				tid, rid, k.subject, k.period, kept[k]); err != nil {
				return err
			}
		}
		for _, k := range fresh {
			b := now[k]
			res, err := tx.ExecContext(ctx, `INSERT INTO goal_bands (tenant_id, rule_id, subject, period, band, rate, updated_at) VALUES (?,?,?,?,?,?,?)
				ON CONFLICT (tenant_id, rule_id, subject, period) DO NOTHING`, tid, rid, k.subject, k.period, b.band, b.rate, at)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				run.Recorded++
			}
		}
		for _, k := range moved {
			b := now[k]
			// A compare-and-set: of two evaluations racing, one moves the
			// band and notifies.
			res, err := tx.ExecContext(ctx, `UPDATE goal_bands SET band = ?, rate = ?, updated_at = ?
				WHERE tenant_id = ? AND rule_id = ? AND subject = ? AND period = ? AND band = ?`, b.band, b.rate, at, tid, rid, k.subject, k.period, kept[k])
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			run.Changed++
			to, err := s.bandRecipients(ctx, tx, gc, k.subject)
			if err != nil {
				return err
			}
			sub := gc.tree.byKey[k.subject]
			params := map[string]any{"rule": gc.rule.Name, "subject": sub.Label, "period": k.period, "from": kept[k], "to": b.band,
				"rate": math.Round(b.rate*1e4) / 1e4}
			for _, u := range to {
				if err := s.notify(ctx, tx, gc.tenant.ID, u, KindGoalBandChanged, params, "/goals"); err != nil {
					return err
				}
				run.Notified++
			}
		}
		return nil
	})
}

func sortBandKeys(ks []bandKey) {
	slices.SortFunc(ks, func(a, b bandKey) int {
		if a.subject != b.subject {
			if a.subject < b.subject {
				return -1
			}
			return 1
		}
		if a.period < b.period {
			return -1
		}
		if a.period > b.period {
			return 1
		}
		return 0
	})
}

func loadGoalBands(ctx context.Context, q store.Queryer, tenant, rule cohort.ID) (map[bandKey]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT subject, period, band FROM goal_bands WHERE tenant_id = ? AND rule_id = ?", int64(tenant), int64(rule))
	if err != nil {
		return nil, fmt.Errorf("goal bands: %w", err)
	}
	defer rows.Close()
	out := map[bandKey]string{}
	for rows.Next() {
		var k bandKey
		var b string
		if err := rows.Scan(&k.subject, &k.period, &b); err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, rows.Err()
}

// bandRecipients are the people concerned by a subject's band: a person
// themselves (when active); a department's manager, or when it has none
// the nearest manager of a department above it; for the company,
// products, categories, regions and segments, whoever created the rule.
func (s *Service) bandRecipients(ctx context.Context, q store.Queryer, gc *goalContext, subject string) ([]cohort.ID, error) {
	sub := gc.tree.byKey[subject]
	tid := gc.tenant.ID
	switch sub.Kind {
	case GoalPerson:
		id, err := cohort.ParseID(subject[len(GoalPerson)+1:])
		if err != nil {
			return nil, nil
		}
		return activeUser(ctx, q, tid, id)
	case GoalDepartment:
		id, err := cohort.ParseID(subject[len(GoalDepartment)+1:])
		if err != nil {
			return nil, nil
		}
		for hops := 0; id != 0 && hops < 100; hops++ {
			d, err := store.FindDepartment(ctx, q, tid, id)
			if cohort.ErrorCode(err) == cohort.ENOTFOUND {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			if d.ManagerID != 0 {
				return activeUser(ctx, q, tid, d.ManagerID)
			}
			id = d.ParentID
		}
		return nil, nil
	}
	var by *int64
	err := q.QueryRowContext(ctx, `SELECT actor_id FROM audit_log WHERE tenant_id = ? AND object_type = ? AND object_id = ? AND action = 'create'
		ORDER BY id LIMIT 1`, int64(tid), string(objGoalRule), int64(gc.rule.ID)).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) || err == nil && by == nil {
		return nil, nil // no creator on record: nobody in particular
	}
	if err != nil {
		return nil, err
	}
	return activeUser(ctx, q, tid, cohort.ID(*by))
}

// activeUser is id when it names an active user of the tenant.
func activeUser(ctx context.Context, q store.Queryer, tenant, id cohort.ID) ([]cohort.ID, error) {
	u, err := store.FindUser(ctx, q, tenant, id)
	if cohort.ErrorCode(err) == cohort.ENOTFOUND {
		return nil, nil
	}
	if err != nil || u.Status != cohort.UserActive {
		return nil, err
	}
	return []cohort.ID{u.ID}, nil
}
