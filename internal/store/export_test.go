package store

// SetMaxExactTotal lowers the bound of exact list totals for a test and
// returns the function that restores it.
func SetMaxExactTotal(n int) (restore func()) {
	old := maxExactTotal
	maxExactTotal = n
	return func() { maxExactTotal = old }
}
