package idgen

import (
	"testing"
	"time"
)

func TestNextIsIncreasingAndUnique(t *testing.T) {
	g := New(7)
	fixed := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return fixed }
	seen := map[int64]bool{}
	prev := int64(0)
	for i := 0; i < 3*maxSeq; i++ { // crosses the per-millisecond sequence limit
		id := g.Next()
		if id <= prev {
			t.Fatalf("id %d not greater than previous %d at %d", id, prev, i)
		}
		if seen[id] {
			t.Fatalf("duplicate id %d", id)
		}
		seen[id] = true
		prev = id
	}
	if got := Time(g.Next()); got.Before(fixed) || got.After(fixed.Add(time.Second)) {
		t.Fatalf("Time() = %v, want near %v", got, fixed)
	}
}

func TestClockStepBackStaysMonotonic(t *testing.T) {
	g := New(1)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return now }
	a := g.Next()
	now = now.Add(-time.Hour)
	if b := g.Next(); b <= a {
		t.Fatalf("after a clock step back got %d <= %d", b, a)
	}
}

func TestFirstAt(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, node := range []int{0, 1, 1023} {
		g := New(node)
		g.now = func() time.Time { return at }
		if id := g.Next(); id < FirstAt(at) || id >= FirstAt(at.Add(time.Millisecond)) {
			t.Errorf("node %d: id %d outside [%d, %d)", node, id, FirstAt(at), FirstAt(at.Add(time.Millisecond)))
		}
	}
	if FirstAt(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) != 0 {
		t.Error("FirstAt before the epoch must be 0")
	}
}
