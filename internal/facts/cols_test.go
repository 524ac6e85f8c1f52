package facts

import (
	"strings"
	"testing"
)

// columns counts the top-level, comma-separated items of a select list.
func columnsOf(list string) int {
	n, depth := 1, 0
	for _, r := range list {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}

// The rows movedStage reads in one UNION are shaped as storedCols: a column
// added to the facts must be added to each of them (a mismatch is a 500 on
// every stage move, on both engines).
func TestMovedStageRowsAreStoredRows(t *testing.T) {
	want := columnsOf(storedCols)
	earlier := strings.TrimPrefix(earlierEntries[:strings.Index(earlierEntries, "FROM facts")], "SELECT ")
	for name, list := range map[string]string{"movedEntryCols": movedEntryCols, "movedTeamCols": movedTeamCols, "earlierEntries": earlier} {
		if got := columnsOf(list); got != want {
			t.Errorf("%s has %d columns, storedCols %d", name, got, want)
		}
	}
}
