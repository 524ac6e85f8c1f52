package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
)

// Limits of the tokenizer and of a query.
const (
	// MaxQueryRunes caps a query: longer ones are refused, not truncated, so
	// that nobody wonders why the end of a pasted paragraph did not count.
	MaxQueryRunes = 200
	// MaxTextRunes caps the text indexed per record; the rest is not
	// searchable. Names, phones, e-mails and a few notes fit easily.
	MaxTextRunes = 20000
	// wordKeyRunes caps a word token. Words are indexed by all their suffixes
	// (so that a search for any part of a word finds it); each suffix is cut
	// to this length, and a query word is cut the same way and matched as a
	// prefix, which keeps the index linear in the text while the verify step
	// keeps the answer exact.
	wordKeyRunes = 16
)

// Normalize folds text for searching: full-width ASCII letters, digits and
// punctuation (Ｃｏｈｏｒｔ，) become their ASCII forms, the ideographic space and
// every other space or control character become one ASCII space, letters are
// lower-cased, and the result is trimmed. Each remaining rune maps to one
// rune, so a substring of the input normalises to a substring of the output
// (up to runs of spaces).
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending; written before the next non-space
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width forms of ASCII '!'..'~'
			r -= 0xFEE0
		case r == 0x3000 || unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// IndexText is the text a record is searched in: its normalised text (cut to
// MaxTextRunes), followed by the compact form of every phone number written
// with separators, so that 13800138000 finds "138-0013-8000" and
// "+86 138 0013 8000". It is stored beside the index and used to verify hits.
func IndexText(s string) string {
	n := Normalize(s)
	if utf8.RuneCountInString(n) > MaxTextRunes {
		i, k := 0, 0
		for i = range n {
			if k == MaxTextRunes {
				break
			}
			k++
		}
		n = strings.TrimRight(n[:i], " ")
	}
	if extra := phoneForms(n); len(extra) > 0 {
		n += " " + strings.Join(extra, " ")
	}
	return n
}

// phoneForms returns the compact forms of the phone-like numbers of normalised
// text that are written with separators (spaces, dashes, dots, parentheses).
func phoneForms(n string) []string {
	const maxForms = 20
	var out []string
	isPhoneChar := func(r byte) bool {
		return r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.' || r == '(' || r == ')' || r == ' '
	}
	for i := 0; i < len(n) && len(out) < maxForms; {
		if !isPhoneChar(n[i]) {
			i++
			continue
		}
		j := i
		for j < len(n) && isPhoneChar(n[j]) {
			j++
		}
		run := strings.Trim(n[i:j], " -.()")
		i = j
		digits := 0
		for k := 0; k < len(run); k++ {
			if run[k] >= '0' && run[k] <= '9' {
				digits++
			}
		}
		// Seven digits is the shortest local number worth finding; fifteen is
		// the longest international one (E.164). A run without separators is
		// already searchable as it is.
		if digits < 7 || digits > 15 || digits == len(strings.TrimPrefix(run, "+")) {
			continue
		}
		if p, ok := cohort.NormalizePhone(run); ok {
			out = append(out, p)
		}
	}
	return out
}

// Character classes of the tokenizer.
const (
	sep  = iota // separates tokens: spaces, punctuation, symbols, emoji
	cjk         // Han, kana, Hangul: indexed as single characters and bigrams
	word        // any other letter, digit or mark: indexed as words
)

func class(r rune) int {
	switch {
	case r < 0x80:
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			return word
		}
		return sep
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul),
		r == 0x30FC, // ー, the katakana prolonged sound mark (script Common)
		r == 0x3005: // 々, the ideographic iteration mark (script Common)
		return cjk
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		return word
	}
	return sep
}

// runs calls f with each run of runes of one class other than sep in
// normalised text.
func runs(n string, f func(class int, run []rune)) {
	var cur []rune
	curClass := sep
	flush := func() {
		if len(cur) > 0 {
			f(curClass, cur)
		}
		cur = cur[:0]
	}
	for _, r := range n {
		c := class(r)
		if c != curClass {
			flush()
			curClass = c
		}
		if c != sep {
			cur = append(cur, r)
		}
	}
	flush()
}

// Tokenize returns the index tokens of text, each once, in order of first
// appearance: for a run of CJK characters every character and every pair of
// neighbours (客户管理 → 客 客户 户 户管 管 管理 理); for any other run of letters and
// digits every suffix, cut to 16 characters (crm → crm rm m), so that a
// query for any part of a word can match as a prefix. Tokens never contain
// ASCII punctuation or spaces.
func Tokenize(text string) []string {
	return tokens(IndexText(text))
}

// tokens tokenizes text that is already normalised.
func tokens(n string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(rs []rune) {
		t := string(rs)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	runs(n, func(c int, run []rune) {
		if c == cjk {
			for i := range run {
				add(run[i : i+1])
				if i+1 < len(run) {
					add(run[i : i+2])
				}
			}
			return
		}
		for i := range run {
			add(run[i:min(i+wordKeyRunes, len(run))])
		}
	})
	return out
}

// Query is a parsed search: every term must occur in a record's IndexText.
type Query struct {
	Terms []Term
}

// Term is one space-separated part of a query, normalised, with the index
// tokens that every record containing it must have.
type Term struct {
	Text   string
	Tokens []Token
}

// Token is an index token to look up; Prefix tokens match every index token
// that starts with them.
type Token struct {
	Text   string
	Prefix bool
}

// commonBigrams are the boilerplate of Chinese company names, held by most
// customers and contacts of a tenant: looking them up costs much and narrows
// little, so a query that has other tokens skips them (see Lookup).
var commonBigrams = map[string]bool{
	"有限": true, "限公": true, "公司": true, "股份": true, "份有": true,
	"责任": true, "任公": true, "集团": true, "科技": true, "技有": true,
}

// Lookup returns the tokens worth looking up in the index: all of them but
// the weak ones (company-name boilerplate, prefixes of one or two
// characters, which match a large part of any tenant), unless nothing else
// is left. Skipping a token never changes the answer, only the work: every
// candidate is verified against the terms.
func (q Query) Lookup() []Token {
	var strong, all []Token
	for _, term := range q.Terms {
		for _, t := range term.Tokens {
			all = append(all, t)
			weak := commonBigrams[t.Text] || t.Prefix && utf8.RuneCountInString(t.Text) < 3
			if !weak {
				strong = append(strong, t)
			}
		}
	}
	if len(strong) == 0 {
		return all
	}
	return strong
}

// ParseQuery normalises and tokenizes a query the way Tokenize treats text: a
// single CJK character looks up its single-character token, a longer CJK run
// all its bigrams, and a word (or part of one) is looked up as a prefix of
// the indexed suffixes. The tokens only narrow the candidates: a match must
// also contain every term verbatim, which the search checks on the stored
// IndexText. It fails with EINVALID for an empty, over-long or
// letterless query.
func ParseQuery(q string) (Query, error) {
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		return Query{}, cohort.Errorf(cohort.EINVALID, "a search may be at most %d characters long", MaxQueryRunes)
	}
	fields := strings.Fields(Normalize(q))
	if len(fields) == 0 {
		return Query{}, cohort.Errorf(cohort.EINVALID, "type something to search for")
	}
	// A term contained in another adds nothing: 客户 in 客户管理.
	var terms []string
	for i, f := range fields {
		redundant := false
		for j, g := range fields {
			if j != i && strings.Contains(g, f) && (len(g) > len(f) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			terms = append(terms, f)
		}
	}
	var out Query
	seen := map[Token]bool{}
	ntok := 0
	for _, t := range terms {
		term := Term{Text: t}
		add := func(tok Token) {
			if !seen[tok] {
				seen[tok] = true
				term.Tokens = append(term.Tokens, tok)
				ntok++
			}
		}
		runs(t, func(c int, run []rune) {
			switch {
			case c == word:
				add(Token{string(run[:min(wordKeyRunes, len(run))]), true})
			case len(run) == 1:
				add(Token{string(run), false})
			default:
				for i := 0; i+1 < len(run); i++ {
					add(Token{string(run[i : i+2]), false})
				}
			}
		})
		out.Terms = append(out.Terms, term)
	}
	if ntok == 0 {
		return Query{}, cohort.Errorf(cohort.EINVALID, "a search must contain a letter or a digit")
	}
	return out, nil
}
