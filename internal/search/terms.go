package search

import (
	"strconv"
	"strings"

	"github.com/cohortcrm/cohort"
)

// The stored and queried forms of tokens, for each engine. Tokens contain no
// ASCII punctuation or spaces (see class), so they pass through FTS5's ascii
// tokenizer as one token each; quoting and escaping below are a second guard,
// never relied on for splitting.

// ftsText is the FTS5 column value: the tenant-keyed tokens separated by
// spaces.
func ftsText(key string, toks []string) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(key)
		b.WriteString(t)
	}
	return b.String()
}

// ftsQuery is the FTS5 MATCH expression of q: every token of q.Lookup
// quoted, prefix tokens starred, all of them required.
func ftsQuery(key string, q Query) string {
	var parts []string
	for _, t := range q.Lookup() {
		s := `"` + strings.ReplaceAll(key+t.Text, `"`, `""`) + `"`
		if t.Prefix {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " AND ")
}

// pgLexeme quotes a lexeme for tsvector and tsquery input, which take it
// verbatim (no parser, no dictionary) between single quotes.
func pgLexeme(s string) string {
	if !strings.ContainsAny(s, `\'`) {
		return "'" + s + "'"
	}
	return "'" + lexemeEscaper.Replace(s) + "'"
}

// lexemeEscaper is built once: a strings.Replacer costs kilobytes to build,
// and pgLexeme runs for every token of every document (building one per
// call was 70 % of a PostgreSQL import's batch).
var lexemeEscaper = strings.NewReplacer(`\`, `\\`, `'`, `''`)

// pgVector is the tsvector literal of a document: title tokens at weight A,
// the other tokens at the default weight D. Positions are only there to
// carry the weights (a lexeme without a position has none). A token of the
// title is written once, at weight A, though the body holds it too: the
// lexeme is the same, and writing it twice made PostgreSQL parse half as
// much again per document.
func pgVector(key string, title, body []string) string {
	const maxPos = 16383 // tsvector's largest position
	var b strings.Builder
	b.Grow((len(key) + 8) * (len(title) + len(body)))
	inTitle := make(map[string]bool, len(title))
	pos := 0
	write := func(t, weight string) {
		pos = min(pos+1, maxPos)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pgLexeme(key + t))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(pos))
		b.WriteString(weight)
	}
	for _, t := range title {
		inTitle[t] = true
		write(t, titleClass)
	}
	for _, t := range body {
		if !inTitle[t] {
			write(t, "")
		}
	}
	return b.String()
}

// pgQuery is the tsquery literal of q: every token of q.Lookup quoted,
// prefix tokens marked :*, all of them required.
func pgQuery(key string, q Query) string {
	var parts []string
	for _, t := range q.Lookup() {
		s := pgLexeme(key + t.Text)
		if t.Prefix {
			s += ":*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " & ")
}

// sqlString quotes s as an SQL string literal (standard_conforming_strings,
// the default since PostgreSQL 9.1: only the quote is special).
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// nullID stores the zero ID as NULL.
func nullID(id cohort.ID) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}
