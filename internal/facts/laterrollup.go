package facts

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// LaterKinds maps a kind of RecordKinds to the later kind of the same
// source whose day its facts carry (Fact.LaterDay): a ticket's opening
// carries the day of its resolution. The metric engine counts the tickets
// opened in a period and resolved by its end (a condition on a later fact)
// from facts_later_monthly (docs/FACTS.md, "Later facts").
var LaterKinds = map[string]string{"ticket.opened": "ticket.resolved"}

// LaterRollup is the monthly rollup of the facts of LaterKinds' kinds
// (migration 0045): per tenant, kind, credit role, month and the month of
// LaterDay (0 for none), the number of records (the sum of rec). The
// records of a period of whole months [from, to) with a later fact before
// to are the sum over its months of the rows whose later month is not 0
// and before to. It names no person or department: the engine reads it
// for the whole company.
const LaterRollup = "facts_later_monthly"

// markLater sets LaterDay on fs, every fact of their sources: on a fact of
// a kind of LaterKinds, the least day of the facts of the later kind at or
// after its time whose source is its record (the engine's condition on a
// later fact, Later: the source type the later kind's prefix, later, or at
// the same time and of another kind). A ticket's projection holds all of
// them.
func markLater(fs []Fact) {
	type src struct {
		typ string
		id  cohort.ID
	}
	var later map[src][]int
	for i := range fs {
		fs[i].LaterDay = 0
		for _, k := range LaterKinds {
			if fs[i].Kind == k {
				if later == nil {
					later = map[src][]int{}
				}
				s := src{fs[i].SourceType, fs[i].SourceID}
				later[s] = append(later[s], i)
			}
		}
	}
	if later == nil {
		return
	}
	for i := range fs {
		f := &fs[i]
		k, ok := LaterKinds[f.Kind]
		if !ok {
			continue
		}
		typ, _, _ := strings.Cut(k, ".")
		for _, j := range later[src{typ, f.RecordID}] {
			if g := &fs[j]; g.Kind == k && g.OccurredAt.UnixMilli() >= f.OccurredAt.UnixMilli() && (f.LaterDay == 0 || g.Day < f.LaterDay) {
				f.LaterDay = g.Day
			}
		}
	}
}

// LaterMarkSQL sets later_day on a tenant's facts as markLater does, in
// one statement whose one parameter is the tenant (RebuildRollups);
// migration 0045 runs it for every tenant.
func LaterMarkSQL() string {
	var whens []string
	for k, l := range LaterKinds {
		typ, _, _ := strings.Cut(l, ".")
		whens = append(whens, "WHEN '"+k+"' THEN COALESCE((SELECT min(g.day) FROM facts g WHERE g.tenant_id = facts.tenant_id AND g.source_type = '"+typ+
			"' AND g.source_id = facts.record_id AND g.kind = '"+l+"' AND g.occurred_at >= facts.occurred_at), 0)")
	}
	slices.Sort(whens)
	return `UPDATE facts SET later_day = CASE kind ` + strings.Join(whens, " ") + ` ELSE 0 END
		WHERE tenant_id = ? AND (later_day <> 0 OR kind IN (` + laterKindList() + `))`
}

type laterKey struct {
	kind, role string
	day, later int64
}

func laterRollupKey(f *Fact) (laterKey, bool) {
	if _, ok := LaterKinds[f.Kind]; !ok || f.Rec != 1 {
		return laterKey{}, false
	}
	return laterKey{f.Kind, f.Role, MonthStart(int64(f.Day)), MonthStart(int64(f.LaterDay))}, true
}

// laterRollup keeps facts_later_monthly.
var laterRollup = countRollup[laterKey]{
	table: LaterRollup,
	cols:  []string{"kind", "role", "day", "later"},
	key:   laterRollupKey,
	dest:  func(k *laterKey) []any { return []any{&k.kind, &k.role, &k.day, &k.later} },
	vals:  func(k laterKey) []any { return []any{k.kind, k.role, k.day, k.later} },
	cmp: func(a, b laterKey) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.role, b.role), cmp.Compare(a.day, b.day), cmp.Compare(a.later, b.later))
	},
}

// laterKindList is LaterKinds' kinds as an SQL list.
func laterKindList() string {
	var kinds []string
	for k := range LaterKinds {
		kinds = append(kinds, "'"+k+"'")
	}
	slices.Sort(kinds)
	return strings.Join(kinds, ", ")
}

// sumLaterRollup fills facts_later_monthly from the facts of a tenant
// whose rollups were emptied (sumRollups).
func sumLaterRollup(ctx context.Context, tx *store.Tx, tenantID cohort.ID) error {
	month := func(col string) string {
		if tx.DB().Engine == store.Postgres {
			return "(CAST(date_trunc('month', DATE '1970-01-01' + " + col + ") AS DATE) - DATE '1970-01-01')"
		}
		return "CAST(julianday(date(" + col + " * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"
	}
	keys := "kind, role, " + month("day") + ", " + month("later_day")
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+LaterRollup+` (tenant_id, kind, role, day, later, rec)
		SELECT tenant_id, `+keys+`, count(*) FROM facts WHERE tenant_id = ? AND kind IN (`+laterKindList()+`) AND rec = 1
		GROUP BY tenant_id, `+keys, int64(tenantID)); err != nil {
		return fmt.Errorf("facts: %s: %w", LaterRollup, err)
	}
	return nil
}

// verifyLaterRollup compares facts_later_monthly with the facts' sums.
func verifyLaterRollup(ctx context.Context, q store.Queryer, tenantID cohort.ID) ([]string, error) {
	want := map[laterKey]int64{}
	rows, err := q.QueryContext(ctx, `SELECT kind, role, day, later_day FROM facts WHERE tenant_id = ? AND kind IN (`+laterKindList()+`) AND rec = 1`,
		int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	for rows.Next() {
		f := Fact{Rec: 1}
		if err := rows.Scan(&f.Kind, &f.Role, &f.Day, &f.LaterDay); err != nil {
			rows.Close()
			return nil, fmt.Errorf("facts: %w", err)
		}
		k, _ := laterRollupKey(&f)
		want[k]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	return laterRollup.verify(ctx, q, tenantID, want)
}
