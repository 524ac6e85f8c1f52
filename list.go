package cohort

// ListQuery is the one filter, sort and paging syntax every list shares.
type ListQuery struct {
	Filters []Filter
	Sort    []SortKey
	// Q is a free-text match.
	Q      string
	Cursor string
	Limit  int
}

// Filter is one condition: Field Op Values.
type Filter struct {
	Field  string
	Op     string
	Values []string
}

// SortKey orders a list by one field.
type SortKey struct {
	Field string
	Desc  bool
}

// Filter operators.
var FilterOps = []string{"eq", "ne", "lt", "lte", "gt", "gte", "in", "like", "isnull", "notnull"}

// List limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
