package cohort

import (
	"strings"
	"unicode/utf8"
)

// MaxExternalID is the longest external id, in characters.
const MaxExternalID = 100

// CheckExternalID checks an external id (the id a record had in the system
// it was migrated from): at most MaxExternalID characters, no control
// characters, no leading or trailing spaces. Empty means none.
func CheckExternalID(v string) string {
	switch {
	case v == "":
		return ""
	case !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxExternalID:
		return "must be at most 100 characters of text"
	case strings.TrimSpace(v) != v:
		return "must not start or end with a space"
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must not hold control characters"
	}
	return ""
}
