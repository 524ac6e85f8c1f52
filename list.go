package cohort

// ListQuery is the one filter, sort and paging syntax every list shares.
type ListQuery struct {
	Filters []Filter
	Sort    []SortKey
	// Q is a free-text match.
	Q      string
	Cursor string
	Limit  int
	// Total, when not nil, receives the number of rows matching the filters,
	// the search and the data scope (whatever the cursor): the API sets it
	// for count=true.
	Total *Total
}

// Total is a list's row count. Counting stops at MaxExactTotal rows: above
// it N is that bound and Exact is false ("more than N").
type Total struct {
	N     int64 `json:"n"`
	Exact bool  `json:"exact"`
}

// MaxExactTotal bounds the rows a count reads, so that a total costs at most
// a walk of that many index entries.
const MaxExactTotal = 100_000

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
	// Total is the list's row count, when asked for with count=true.
	Total *Total `json:"total,omitempty"`
}
