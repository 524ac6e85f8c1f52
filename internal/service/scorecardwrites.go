package service

// Scorecard writes: manual scores, freezing and unfreezing a period
// (scorecards.go says who may do what).

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// ---- Manual scores ----

// ScoreInput is a manual score of an item (null clears it) with a note.
type ScoreInput struct {
	Item  string   `json:"item" openapi:"required" example:"attitude"`
	Score *float64 `json:"score" example:"85"`
	Note  string   `json:"note" example:"主动开拓新行业客户"`
}

// ScorecardScoresInput sets manual scores of a person's card.
type ScorecardScoresInput struct {
	Template cohort.ID    `json:"template" openapi:"required" example:"\"7302115418349862912\""`
	Period   string       `json:"period" openapi:"required" example:"2026-04"`
	Scores   []ScoreInput `json:"scores" openapi:"required"`
}

// SetScorecardScores enters manual scores of a person's card, all or
// nothing, and answers the card. An administrator scores anyone; a
// manager (a data scope wider than their own) the people of their scope
// but themselves. A frozen period refuses (409).
func (s *Service) SetScorecardScores(ctx context.Context, userID cohort.ID, in ScorecardScoresInput) (*ScorecardDetail, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	q := s.db.Read()
	if _, err := store.FindUser(ctx, q, a.TenantID, userID); err != nil {
		return nil, err
	}
	run, err := s.scorecardRun(ctx, q, in.Template, in.Period, "")
	if err != nil {
		return nil, err
	}
	if !p.System && !p.Permissions.Can(cohort.ObjTenant, cohort.ActAdminister) {
		if a.Scope == cohort.ScopeOwn {
			return nil, cohort.Errorf(cohort.EFORBIDDEN, "scores are entered by the person's manager or an administrator")
		}
		if p.User != nil && p.User.ID == userID {
			return nil, cohort.Errorf(cohort.EFORBIDDEN, "nobody scores their own card")
		}
	}
	people, err := scorecardPeople(ctx, q, run.tenant.ID, run.tpl, a, userID)
	if err != nil {
		return nil, err
	}
	if len(people) == 0 {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "the template does not score this person, or they are outside your data scope")
	}
	var v cohort.Validation
	if n := len(in.Scores); n == 0 || n > maxScorecardItems {
		v.Add("scores", "give 1 to %d scores", maxScorecardItems)
	}
	seen := map[string]bool{}
	for i, sc := range in.Scores {
		f := func(name string) string { return fmt.Sprintf("scores[%d].%s", i, name) }
		j := slices.IndexFunc(run.tpl.Items, func(it ScorecardItem) bool { return it.Key == sc.Item })
		switch {
		case j < 0:
			v.Add(f("item"), "the template has no item %q", sc.Item)
			continue
		case run.tpl.Items[j].Type != ItemScore:
			v.Add(f("item"), "%q is a %s, computed from the figures; only score items are entered", sc.Item, run.tpl.Items[j].Type)
			continue
		case seen[sc.Item]:
			v.Add(f("item"), "%q is given twice", sc.Item)
		}
		seen[sc.Item] = true
		if max := *run.tpl.Items[j].Target; sc.Score != nil && (*sc.Score < 0 || *sc.Score > max) {
			v.Add(f("score"), "must be 0 to %s", trimFloat(max))
		}
		if utf8.RuneCountInString(sc.Note) > 500 {
			v.Add(f("note"), "must be at most 500 characters")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		f, err := loadScorecardFreeze(ctx, tx, run.tenant.ID, run.tpl.ID, run.per.Key)
		if err != nil {
			return err
		}
		if f != nil {
			return cohort.Errorf(cohort.ECONFLICT, "the period %s is frozen; an administrator must unfreeze it first", run.per.Key)
		}
		prev, err := loadManualScores(ctx, tx, run.tenant.ID, run.tpl.ID, run.per.Key)
		if err != nil {
			return err
		}
		var changes []cohort.FieldChange
		now := s.now().UnixMilli()
		var by any
		if p.User != nil {
			by = int64(p.User.ID)
		}
		for _, sc := range in.Scores {
			field := fmt.Sprintf("scores.%s.%s.%s", run.per.Key, userID, sc.Item)
			var before, after json.RawMessage
			if old, ok := prev[userID][sc.Item]; ok {
				before, _ = json.Marshal(map[string]any{"score": old.score, "note": old.note})
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM scorecard_scores WHERE tenant_id = ? AND template_id = ? AND period = ? AND user_id = ? AND item = ?",
				int64(run.tenant.ID), int64(run.tpl.ID), run.per.Key, int64(userID), sc.Item); err != nil {
				return err
			}
			if sc.Score != nil {
				after, _ = json.Marshal(map[string]any{"score": *sc.Score, "note": sc.Note})
				if _, err := tx.ExecContext(ctx, `INSERT INTO scorecard_scores (tenant_id, template_id, period, user_id, item, score, note, updated_by, updated_at)
					VALUES (?,?,?,?,?,?,?,?,?)`, int64(run.tenant.ID), int64(run.tpl.ID), run.per.Key, int64(userID), sc.Item, *sc.Score, sc.Note, by, now); err != nil {
					return err
				}
			}
			changes = append(changes, cohort.FieldChange{Field: field, Before: before, After: after})
		}
		return s.audit(ctx, tx, "score", objScorecard, run.tpl.ID, changes)
	})
	if err != nil {
		return nil, err
	}
	return s.personCard(ctx, q, run, a, userID)
}

// ---- Freezing ----

// ScorecardFreezeInput freezes a period; Force freezes one that has not
// ended yet.
type ScorecardFreezeInput struct {
	Period string `json:"period" openapi:"required" example:"2026-04"`
	Force  bool   `json:"force" example:"false"`
}

// ScorecardUnfreezeInput unfreezes a period.
type ScorecardUnfreezeInput struct {
	Period string `json:"period" openapi:"required" example:"2026-04"`
}

// FreezeScorecards closes a period of a template: every person it scores
// gets their card computed now (in the whole company's figures, as of the
// period's last day or today when forced early) and stored; it is never
// recomputed, whatever facts change later, until the period is unfrozen.
// A period that has not ended is refused unless forced; a frozen one is a
// conflict.
func (s *Service) FreezeScorecards(ctx context.Context, templateID cohort.ID, in ScorecardFreezeInput) (*ScorecardTeam, error) {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	run, err := s.scorecardRun(ctx, q, templateID, in.Period, "")
	if err != nil {
		return nil, err
	}
	if run.freeze != nil {
		return nil, cohort.Errorf(cohort.ECONFLICT, "the period %s is frozen already", run.per.Key)
	}
	if run.today.Before(run.to) && !in.Force {
		return nil, cohort.Errorf(cohort.ECONFLICT, "the period %s runs to %s; freeze it before it ends only with force", run.per.Key, ymd(run.to.AddDate(0, 0, -1)))
	}
	all := cohort.Access{TenantID: p.Tenant.ID, Scope: cohort.ScopeAll}
	people, err := scorecardPeople(ctx, q, run.tenant.ID, run.tpl, all, 0)
	if err != nil {
		return nil, err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	env.Scope = metrics.Scope(all)
	cards, err := s.computeCards(ctx, q, env, run, people)
	if err != nil {
		return nil, err
	}
	freeze := &ScorecardFreeze{AsOf: ymd(run.asOf), TimeProgress: round6(run.tp), Forced: run.today.Before(run.to), FrozenAt: s.now().UTC()}
	if p.User != nil {
		freeze.FrozenBy, freeze.FrozenByName = p.User.ID, p.User.Name
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		f, err := loadScorecardFreeze(ctx, tx, run.tenant.ID, run.tpl.ID, run.per.Key)
		if err != nil {
			return err
		}
		if f != nil {
			return cohort.Errorf(cohort.ECONFLICT, "the period %s is frozen already", run.per.Key)
		}
		var by any
		if p.User != nil {
			by = int64(p.User.ID)
		}
		forced := 0
		if freeze.Forced {
			forced = 1
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO scorecard_freezes (tenant_id, template_id, period, as_of, time_progress, forced, frozen_by, frozen_at) VALUES (?,?,?,?,?,?,?,?)",
			int64(run.tenant.ID), int64(run.tpl.ID), run.per.Key, freeze.AsOf, freeze.TimeProgress, forced, by, freeze.FrozenAt.UnixMilli()); err != nil {
			return err
		}
		totals := map[string]float64{}
		for _, c := range cards {
			if _, err := tx.ExecContext(ctx, "INSERT INTO scorecard_frozen_cards (tenant_id, template_id, period, user_id, total, card) VALUES (?,?,?,?,?,?)",
				int64(run.tenant.ID), int64(run.tpl.ID), run.per.Key, int64(c.UserID), c.Total, jsonText(c)); err != nil {
				return err
			}
			totals[c.UserID.String()] = c.Total
		}
		after, _ := json.Marshal(map[string]any{"as_of": freeze.AsOf, "forced": freeze.Forced, "totals": totals})
		return s.audit(ctx, tx, "freeze", objScorecard, run.tpl.ID, []cohort.FieldChange{{Field: "frozen." + run.per.Key, After: after}})
	})
	if err != nil {
		return nil, err
	}
	run.freeze = freeze
	run.per.Frozen, run.per.Locked = true, true
	team := run.team()
	team.Cards = cards
	rankCards(team.Cards)
	return team, nil
}

// UnfreezeScorecards reopens a frozen period: its stored cards are
// dropped (the audit entry keeps their totals) and cards are computed
// again; manual scores become editable.
func (s *Service) UnfreezeScorecards(ctx context.Context, templateID cohort.ID, in ScorecardUnfreezeInput) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := findScorecardTemplate(ctx, tx, p.Tenant.ID, templateID); err != nil {
			return err
		}
		f, err := loadScorecardFreeze(ctx, tx, p.Tenant.ID, templateID, in.Period)
		if err != nil {
			return err
		}
		if f == nil {
			return cohort.Errorf(cohort.ECONFLICT, "the period %q is not frozen", in.Period)
		}
		totals := map[string]float64{}
		rows, err := tx.QueryContext(ctx, "SELECT user_id, total FROM scorecard_frozen_cards WHERE tenant_id = ? AND template_id = ? AND period = ?",
			int64(p.Tenant.ID), int64(templateID), in.Period)
		if err != nil {
			return err
		}
		for rows.Next() {
			var uid int64
			var total float64
			if err := rows.Scan(&uid, &total); err != nil {
				rows.Close()
				return err
			}
			totals[cohort.ID(uid).String()] = total
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, t := range []string{"scorecard_frozen_cards", "scorecard_freezes"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE tenant_id = ? AND template_id = ? AND period = ?", int64(p.Tenant.ID), int64(templateID), in.Period); err != nil {
				return err
			}
		}
		before, _ := json.Marshal(map[string]any{"as_of": f.AsOf, "forced": f.Forced, "frozen_at": f.FrozenAt, "totals": totals})
		return s.audit(ctx, tx, "unfreeze", objScorecard, templateID, []cohort.FieldChange{{Field: "frozen." + in.Period, Before: before}})
	})
}
