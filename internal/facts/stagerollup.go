package facts

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// StageRollup is the monthly rollup of stage entries (migration 0041;
// docs/FACTS.md, "Stage entries"): per tenant, credit role, month, stage,
// sales process and the months of the entries' SinceStage and SinceAny
// (0 for none), the number of entries (the sum of rec). The entries of a
// period of whole months [from, to) whose since month is before from
// are the first of their opportunity in it, so its sums are distinct
// counts of opportunities: by stage with since_stage, in all with
// since_any. It names no person or department: the engine reads it for
// the whole company.
const StageRollup = "facts_stage_monthly"

type stageKey struct {
	role                  string
	day                   int64
	stage                 string
	proc, since, sinceAny int64
}

func stageRollupKey(f *Fact) (stageKey, bool) {
	if f.Kind != KindStageEntered || f.Rec != 1 {
		return stageKey{}, false
	}
	return stageKey{f.Role, MonthStart(int64(f.Day)), f.Stage, int64(f.ProcessID), MonthStart(int64(f.SinceStage)), MonthStart(int64(f.SinceAny))}, true
}

// stageRollup keeps facts_stage_monthly.
var stageRollup = countRollup[stageKey]{
	table: StageRollup,
	cols:  []string{"role", "day", "stage", "process_id", "since_stage", "since_any"},
	key:   stageRollupKey,
	dest:  func(k *stageKey) []any { return []any{&k.role, &k.day, &k.stage, &k.proc, &k.since, &k.sinceAny} },
	vals:  func(k stageKey) []any { return []any{k.role, k.day, k.stage, k.proc, k.since, k.sinceAny} },
	cmp: func(a, b stageKey) int {
		return cmp.Or(strings.Compare(a.role, b.role), cmp.Compare(a.day, b.day), strings.Compare(a.stage, b.stage), cmp.Compare(a.proc, b.proc),
			cmp.Compare(a.since, b.since), cmp.Compare(a.sinceAny, b.sinceAny))
	},
}

// sumStageRollup fills facts_stage_monthly from the facts of a tenant
// whose rollups were emptied (sumRollups).
func sumStageRollup(ctx context.Context, tx *store.Tx, tenantID cohort.ID) error {
	month := func(col string) string {
		if tx.DB().Engine == store.Postgres {
			return "(CAST(date_trunc('month', DATE '1970-01-01' + " + col + ") AS DATE) - DATE '1970-01-01')"
		}
		return "CAST(julianday(date(" + col + " * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"
	}
	keys := "role, " + month("day") + ", stage, COALESCE(process_id, 0), " + month("since_stage") + ", " + month("since_any")
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+StageRollup+` (tenant_id, role, day, stage, process_id, since_stage, since_any, rec)
		SELECT tenant_id, `+keys+`, count(*) FROM facts WHERE tenant_id = ? AND kind = '`+KindStageEntered+`' AND rec = 1
		GROUP BY tenant_id, `+keys, int64(tenantID)); err != nil {
		return fmt.Errorf("facts: %s: %w", StageRollup, err)
	}
	return nil
}

// verifyStageRollup compares facts_stage_monthly with the facts' sums.
func verifyStageRollup(ctx context.Context, q store.Queryer, tenantID cohort.ID) ([]string, error) {
	want := map[stageKey]int64{}
	rows, err := q.QueryContext(ctx, `SELECT role, day, stage, process_id, since_stage, since_any FROM facts
		WHERE tenant_id = ? AND kind = '`+KindStageEntered+`' AND rec = 1`, int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	for rows.Next() {
		var f Fact
		var proc *int64
		f.Kind, f.Rec = KindStageEntered, 1
		if err := rows.Scan(&f.Role, &f.Day, &f.Stage, &proc, &f.SinceStage, &f.SinceAny); err != nil {
			rows.Close()
			return nil, fmt.Errorf("facts: %w", err)
		}
		if proc != nil {
			f.ProcessID = cohort.ID(*proc)
		}
		k, _ := stageRollupKey(&f)
		want[k]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	return stageRollup.verify(ctx, q, tenantID, want)
}
