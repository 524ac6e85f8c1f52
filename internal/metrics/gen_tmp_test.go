package metrics_test

import (
	"context"
	"os"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
)

func TestGenTmp(t *testing.T) {
	p := os.Getenv("GEN_DB")
	if p == "" {
		t.Skip()
	}
	db, err := store.Open(context.Background(), p, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	genFacts(t, db, 100000)
}
