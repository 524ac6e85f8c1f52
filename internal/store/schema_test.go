package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestTenantKeyRule holds every tenant table to the rule that makes
// cross-tenant reads impossible and Citus sharding possible.
func TestTenantKeyRule(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tables, err := db.TableKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) < 10 {
			t.Fatalf("only %d tables found; the schema query is broken", len(tables))
		}
		for _, v := range store.TenantKeyViolations(tables) {
			t.Error(v)
		}

		// The check must catch a table that breaks the rule.
		if err := db.ExecForTest(ctx, `CREATE TABLE bad_example (
			tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code TEXT NOT NULL UNIQUE, user_id BIGINT,
			PRIMARY KEY (id, tenant_id))`); err != nil {
			t.Fatal(err)
		}
		tables, err = db.TableKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(store.TenantKeyViolations(tables), "\n")
		for _, want := range []string{"bad_example: primary key", "bad_example: unique key [code]"} {
			if !strings.Contains(got, want) {
				t.Errorf("violations %q do not mention %q", got, want)
			}
		}
	})
}
