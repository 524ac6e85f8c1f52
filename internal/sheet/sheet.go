// Package sheet reads and writes the tabular files that people move records
// in and out of Cohort with: .xlsx workbooks and .csv text. Both directions
// stream, so that a file of a million rows costs about as much memory as a
// file of a thousand.
//
// Reading accepts what spreadsheet programs actually write: CSV in UTF-8
// with or without a byte-order mark, or in GBK/GB18030 (what Excel on a
// Chinese Windows saves), and .xlsx with its first worksheet holding the
// table. Writing neutralises cells that a spreadsheet program would run as
// a formula (see Neutralise).
//
// The package knows nothing of records: rows are slices of strings.
package sheet

import (
	"errors"
	"fmt"
	"strings"
)

// Formats.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// FormatOf returns the format named by a file name's extension, or "".
func FormatOf(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".csv"):
		return CSV
	case strings.HasSuffix(n, ".xlsx"):
		return XLSX
	}
	return ""
}

// ContentType returns the media type of a format.
func ContentType(format string) string {
	if format == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// ErrCorrupt marks a file that is not what its format says (not a zip, a
// truncated workbook, no worksheet). Callers show it to the user as a bad
// upload rather than as an internal error.
var ErrCorrupt = errors.New("the file cannot be read")

func corrupt(format string, err error) error {
	return fmt.Errorf("%w as %s: %v", ErrCorrupt, format, err)
}

// Neutralise makes a text cell safe to open in a spreadsheet program: text
// beginning with =, +, -, @, a tab or a carriage return would be run as a
// formula (a "CSV injection" such as =HYPERLINK(...)), so it gets a leading
// apostrophe, which spreadsheet programs read as "this is text".
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Unneutralise undoes Neutralise on a cell read back from a file, so that a
// file Cohort wrote imports the text it exported.
func Unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}
