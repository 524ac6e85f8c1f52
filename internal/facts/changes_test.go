package facts

import (
	"testing"
	"time"
)

// TestChanges: the change between stored and fresh facts is the smallest
// one, equal facts matching one for one (a multiset difference).
func TestChanges(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	left := at.Add(time.Hour)
	f := func(kind string, ref *time.Time) Fact {
		return Fact{Kind: kind, OccurredAt: at, SourceType: "opportunity", SourceID: 7, UserID: 3, Role: "owner", ShareBP: 10000, N: 1, RefAt: ref}
	}
	open, closed := f("opportunity.stage_entered", nil), f("opportunity.stage_entered", &left)
	closed.DurationS = 3600
	created := f("opportunity.created", nil)
	stored := []StoredFact{{1, created}, {2, open}, {3, created}}
	// The same time in another location is the same fact.
	again := created
	again.OccurredAt = at.In(time.FixedZone("CST", 8*3600))
	removed, added := Changes(stored, []Fact{again, closed, open})
	// One created fact of two stays, the open entry stays, the closed
	// entry is new.
	if len(removed) != 1 || removed[0].ID != 3 {
		t.Errorf("removed %+v, want row 3", removed)
	}
	if len(added) != 1 || added[0].Key() != closed.Key() {
		t.Errorf("added %+v, want the closed entry", added)
	}
	// A stage left: the open entry becomes the closed one.
	if r, a := Changes(stored[:2], []Fact{created, closed}); len(r) != 1 || r[0].ID != 2 || len(a) != 1 || a[0].Key() != closed.Key() {
		t.Errorf("stage left: removed %+v, added %+v", r, a)
	}
	if r, a := Changes(stored, []Fact{created, open, created}); len(r)+len(a) != 0 {
		t.Errorf("equal sets changed: %v %v", r, a)
	}
	if r, a := Changes(nil, []Fact{open}); len(r) != 0 || len(a) != 1 {
		t.Errorf("from nothing: %v %v", r, a)
	}
}
