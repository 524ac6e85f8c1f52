package cohort

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeEmail lower-cases and trims an address; ok is false when it is not a
// plain address (no display name).
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 254 {
		return s, false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return s, false
	}
	return s, true
}

// NormalizePhone keeps a leading '+' and the digits, dropping spaces, dashes,
// dots and parentheses; a Chinese mainland number with +86/0086 loses its
// country code, so that the same phone written two ways matches. ok is false
// for anything else or fewer than 5 or more than 20 digits.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return s, false
		}
	}
	p := b.String()
	if strings.HasPrefix(p, "0086") {
		p = "+86" + p[4:]
	}
	if strings.HasPrefix(p, "+86") && len(p) == 14 {
		p = p[3:]
	}
	digits := strings.TrimPrefix(p, "+")
	if len(digits) < 5 || len(digits) > 20 {
		return p, false
	}
	return p, true
}

func checkName(v *Validation, field, s string, max int) {
	if strings.TrimSpace(s) == "" {
		v.Add(field, "must not be empty")
		return
	}
	if utf8.RuneCountInString(s) > max {
		v.Add(field, "must be at most %d characters", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			v.Add(field, "must not contain control characters")
			return
		}
	}
}

func validSlug(s string) bool {
	if len(s) < 2 || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func validKey(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func validCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
