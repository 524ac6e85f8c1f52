package store

// SetMaxExactTotal lowers the bound of exact list totals for a test and
// returns the function that restores it.
func SetMaxExactTotal(n int) (restore func()) {
	old := maxExactTotal
	maxExactTotal = n
	return func() { maxExactTotal = old }
}

// ReadStmts is the number of statements the read pool keeps prepared, and
// ReadStmtsMax their bound.
func ReadStmts(db *DB) int {
	if db.stmts == nil {
		return 0
	}
	return db.stmts.len()
}

const ReadStmtsMax = readStmtsMax
