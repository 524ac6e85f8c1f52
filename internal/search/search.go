// Package search is Cohort's full-text search across records: a tokenizer
// that handles Chinese (which has no spaces) as well as Latin text, and the
// index kept in search_docs with SQLite FTS5 or a PostgreSQL tsvector + GIN.
//
// How a search finds exactly the right rows, in two steps:
//
//  1. Narrow through the index. Text is indexed as tokens (see Tokenize): CJK
//     characters and bigrams, and all suffixes of other words. A query is
//     split into the same kind of tokens (see ParseQuery) and every one must
//     be present. Each token is stored prefixed with a fixed-width key of its
//     tenant, so a lookup reads only the tenant's own postings.
//  2. Verify. Having all the bigrams of 华东科技 does not mean containing
//     华东科技, so each candidate must also contain every query term verbatim
//     in its stored, normalised text (search_docs.body).
//
// The package never decides who may see what: callers pass the data scope as
// a store.Where over the index row, aliased d (see Search).
package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Doc is what the index holds of one record.
type Doc struct {
	TenantID   cohort.ID
	ObjectType string // "customer", "contact", ...
	ObjectID   cohort.ID
	// OwnerID and DepartmentID are the record's, for the data scope; zero
	// means none (a customer in the public pool has no owner).
	OwnerID      cohort.ID
	DepartmentID cohort.ID
	// Title is shown in results and ranks above Text.
	Title string
	// Text is everything else to search in: phones, e-mails, address, notes.
	Text      string
	UpdatedAt time.Time
}

// Hit is one search result.
type Hit struct {
	ObjectType string
	ObjectID   cohort.ID
	Title      string
	// Snippet is a window of the normalised (lower-cased) text around the
	// first query term, with "…" where it was cut.
	Snippet string
}

// Search limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// titleClass is the PostgreSQL weight of title tokens (1.0 against 0.1 for
// the rest in ts_rank's default weights).
const titleClass = "A"

// rankWindow bounds the work of a common query: when more records match, the
// hits are the best of the rankWindow most recently indexed ones that do.
// Ranking all of them would cost about 2 µs per match on SQLite (a
// one-character query can match a third of a tenant).
const rankWindow = 1000

// tenantKey is the fixed-width prefix of every stored token of a tenant:
// its id in base 36, zero-padded to 13 characters (enough for any positive
// int64). Fixed width keeps the keys prefix-free, so one tenant's prefix
// query can never reach another tenant's tokens.
func tenantKey(tenantID cohort.ID) string {
	s := strconv.FormatInt(int64(tenantID), 36)
	return strings.Repeat("0", 13-len(s)) + s
}

// Upsert indexes doc, replacing what the index held for its record, inside
// the caller's transaction: call it in the transaction that writes the record
// so that the index never disagrees with the data.
func Upsert(ctx context.Context, tx *store.Tx, doc Doc) error {
	return UpsertPrepared(ctx, tx, Prepared{Doc: doc})
}

// UpsertPrepared is Upsert of a document made with Prepare, typically before
// the transaction, so that the single writer only runs the SQL. A Prepared
// holding just a Doc (or one made for the other engine) is prepared here; on
// SQLite its tokens are then made only when its text changed.
func UpsertPrepared(ctx context.Context, tx *store.Tx, p Prepared) error {
	doc := p.Doc
	if doc.TenantID <= 0 || doc.ObjectType == "" || doc.ObjectID <= 0 {
		return fmt.Errorf("search: index %s %d of tenant %d: tenant, type and id are required", doc.ObjectType, doc.ObjectID, doc.TenantID)
	}
	if engine := tx.DB().Engine; p.engine != engine {
		p = Prepared{Doc: doc, engine: engine, body: IndexText(doc.Title + "\n" + doc.Text)}
	}
	body := p.body
	owner, dept := nullID(doc.OwnerID), nullID(doc.DepartmentID)
	updated := doc.UpdatedAt.UnixMilli()

	if p.engine == store.Postgres {
		p.tokenize()
		// One statement, so that concurrent writers of one record queue on its
		// row instead of failing on the unique key.
		_, err := tx.ExecContext(ctx, `INSERT INTO search_docs
			(tenant_id, id, object_type, object_id, owner_id, department_id, title, body, tsv, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(CAST(? AS text) AS tsvector), ?)
			ON CONFLICT (tenant_id, object_type, object_id) DO UPDATE SET
			owner_id = excluded.owner_id, department_id = excluded.department_id, title = excluded.title,
			body = excluded.body, tsv = excluded.tsv, updated_at = excluded.updated_at`,
			int64(doc.TenantID), tx.DB().NewID(), doc.ObjectType, int64(doc.ObjectID), owner, dept,
			doc.Title, body, p.tsv, updated)
		if err != nil {
			return fmt.Errorf("search: index %s %d: %w", doc.ObjectType, doc.ObjectID, err)
		}
		return nil
	}

	// SQLite: FTS5 rows are keyed by search_docs.id. SQLite has one writer, so
	// reading then writing cannot race.
	var id int64
	var oldTitle, oldBody string
	err := tx.QueryRowContext(ctx, `SELECT id, title, body FROM search_docs
		WHERE tenant_id = ? AND object_type = ? AND object_id = ?`,
		int64(doc.TenantID), doc.ObjectType, int64(doc.ObjectID)).Scan(&id, &oldTitle, &oldBody)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		id = tx.DB().NewID()
		_, err = tx.ExecContext(ctx, `INSERT INTO search_docs
			(tenant_id, id, object_type, object_id, owner_id, department_id, title, body, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			int64(doc.TenantID), id, doc.ObjectType, int64(doc.ObjectID), owner, dept, doc.Title, body, updated)
	case err == nil:
		_, err = tx.ExecContext(ctx, `UPDATE search_docs SET owner_id = ?, department_id = ?, title = ?, body = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, owner, dept, doc.Title, body, updated, int64(doc.TenantID), id)
		if err == nil && oldTitle == doc.Title && oldBody == body {
			return nil // most record edits change no text: leave FTS5 alone
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, "DELETE FROM search_fts WHERE rowid = ?", id)
		}
	}
	if err == nil {
		p.tokenize()
		_, err = tx.ExecContext(ctx, "INSERT INTO search_fts (rowid, title, body) VALUES (?, ?, ?)",
			id, p.ftsTitle, p.ftsBody)
	}
	if err != nil {
		return fmt.Errorf("search: index %s %d: %w", doc.ObjectType, doc.ObjectID, err)
	}
	return nil
}

// Delete removes a record from the index inside the caller's transaction
// (the one that deletes the record). Deleting what is not indexed is no error.
func Delete(ctx context.Context, tx *store.Tx, tenantID cohort.ID, objectType string, objectID cohort.ID) error {
	if tx.DB().Engine == store.Postgres {
		_, err := tx.ExecContext(ctx, "DELETE FROM search_docs WHERE tenant_id = ? AND object_type = ? AND object_id = ?",
			int64(tenantID), objectType, int64(objectID))
		if err != nil {
			return fmt.Errorf("search: unindex %s %d: %w", objectType, objectID, err)
		}
		return nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `DELETE FROM search_docs WHERE tenant_id = ? AND object_type = ? AND object_id = ?
		RETURNING id`, int64(tenantID), objectType, int64(objectID)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, "DELETE FROM search_fts WHERE rowid = ?", id)
	}
	if err != nil {
		return fmt.Errorf("search: unindex %s %d: %w", objectType, objectID, err)
	}
	return nil
}

// Search returns the records of tenantID whose text contains every term of
// query, best first (bm25 on SQLite, ts_rank on PostgreSQL; then the most
// recently updated), at most limit of them (0 means DefaultLimit). types
// restricts the object types (none means all). When more than 1,000 records
// match (a one-character query can match a third of a tenant), the hits are
// the best of the 1,000 most recently indexed matches, which keeps such a
// query as fast as a precise one.
//
// scope is the caller's data scope as SQL over the index row, aliased d
// (columns d.owner_id, d.department_id, d.object_type, d.object_id), e.g.
// store.AccessWhere(access, "d.owner_id", "d.department_id"), with record
// team membership OR-ed in as an EXISTS on d.object_type and d.object_id.
// An empty scope means everything in the tenant.
//
// It fails with EINVALID for an empty, over-long or letterless query or a
// limit above MaxLimit.
func Search(ctx context.Context, q store.Queryer, engine store.Engine, tenantID cohort.ID, query string,
	types []string, scope store.Where, limit int) ([]Hit, error) {
	return SearchScoped(ctx, q, engine, tenantID, query, types, Scope{Where: scope}, limit)
}

// Scope is the caller's data scope for SearchScoped.
type Scope struct {
	// Where is the scope as SQL over the index row d, as for Search.
	Where store.Where
	// Docs, when set, is a query (a SELECT or a UNION of them, without ORDER
	// BY or LIMIT) returning the search_docs.id of every document in scope,
	// and perhaps more: a salesperson's own documents through the index on
	// (tenant_id, owner_id), plus those of records whose team they are on.
	// When it returns at most ScopeFirstMax ids, Search reads those documents
	// and verifies the query terms in their text instead of looking the terms
	// up in the index: a common term (上海 is in 1 of 18 companies) matches
	// tens of thousands of documents of which a narrow scope sees a few.
	// Where still decides what is in scope.
	Docs store.Where
	// Departments, when set, is a query returning the ids of departments
	// such that every document in scope is of one of them or is named by
	// Team, a query like Docs (perhaps empty) naming the others (those of
	// records whose team the caller is on). It is for a scope too wide for
	// Docs, such as a group leader's department and its children (32,000
	// documents at scale L): when a common term is read through the index,
	// its matches are first narrowed to these documents through the index on
	// (tenant_id, department_id), before any document is read. On PostgreSQL
	// the two indexes are combined (a BitmapAnd of the GIN index and the
	// department index); on SQLite the documents of the departments are
	// listed once and each match is looked up among them. Where still decides
	// what is in scope.
	Departments store.Where
	Team        store.Where
}

// ScopeFirstMax bounds the scope-first plan: verifying the text of a
// document costs about 1–2 µs on SQLite, so 10,000 of them stay under 20 ms
// whatever the query, while a common term read through the index costs the
// number of its matches in the whole tenant.
const ScopeFirstMax = 10000

// alwaysScopeFirst makes tests take the scope-first plan whatever the counts,
// and alwaysDepartments the narrowing by Scope.Departments.
var alwaysScopeFirst, alwaysDepartments = false, false

// SearchScoped is Search with a Scope that may name the documents in scope
// (see Scope.Docs). The hits are the same whichever plan is taken, but for
// their order: on SQLite the scope-first plan ranks title matches first,
// then the most recently updated, as bm25 needs the index.
func SearchScoped(ctx context.Context, q store.Queryer, engine store.Engine, tenantID cohort.ID, query string,
	types []string, scope Scope, limit int) ([]Hit, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return nil, cohort.Errorf(cohort.EINVALID, "limit must be between 1 and %d", MaxLimit)
	}
	pq, err := ParseQuery(query)
	if err != nil {
		return nil, err
	}
	first, wide := false, false
	if scope.Docs.SQL != "" || scope.Departments.SQL != "" {
		common := true
		if engine == store.SQLite {
			// A rare term is cheaper through the index: count its matches in
			// the tenant, up to rankWindow. (On PostgreSQL the count would
			// read the whole GIN posting list of a common term.)
			var m int
			err := q.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT "+
				strconv.Itoa(rankWindow+1)+") m", ftsQuery(tenantKey(tenantID), pq)).Scan(&m)
			if err != nil {
				return nil, fmt.Errorf("search: count the matches: %w", err)
			}
			common = m > rankWindow
		}
		first = scope.Docs.SQL != "" && (common || alwaysScopeFirst)
		// On SQLite, listing a department's documents costs more than
		// reading a rare term's few matches; on PostgreSQL the BitmapAnd is
		// cheap either way (a rare term's bitmap is small).
		wide = scope.Departments.SQL != "" && (common || alwaysDepartments)
	}
	if first {
		// Count at most ScopeFirstMax + 1 documents through the scope's index.
		var n int
		err := q.QueryRowContext(ctx, "SELECT count(*) FROM ("+scope.Docs.SQL+" LIMIT "+strconv.Itoa(ScopeFirstMax+1)+") n",
			scope.Docs.Args...).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("search: count the documents in scope: %w", err)
		}
		first = n <= ScopeFirstMax
	}
	var docs, depts, team *store.Where
	if first {
		docs = &scope.Docs
	} else if wide {
		depts, team = &scope.Departments, &scope.Team
	}
	stmt, args, err := searchSQL(engine, tenantID, pq, types, scope.Where, docs, depts, team, limit)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		var id, pos int64
		var window string
		if err := rows.Scan(&h.ObjectType, &id, &h.Title, &pos, &window); err != nil {
			return nil, fmt.Errorf("search: scan: %w", err)
		}
		h.ObjectID = cohort.ID(id)
		h.Snippet = snippet(window, pos > 31)
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}

// searchSQL builds the statement of Search and its arguments: through the
// index, or, when docs is set, scope first (read the documents docs names and
// verify the terms in their text). Through the index, depts and team (see
// Scope.Departments), when set, narrow the matches before any is read.
func searchSQL(engine store.Engine, tenantID cohort.ID, pq Query, types []string, scope store.Where, docs, depts, team *store.Where, limit int) (string, []any, error) {
	key := tenantKey(tenantID)
	d := dialects[engine]
	if d == nil {
		return "", nil, fmt.Errorf("search: unknown engine %q", engine)
	}

	// The candidates are the newest rankWindow records that pass every
	// filter, read newest first so that a common query stops early; they are
	// ranked, and only the best limit are joined back for title and snippet.
	// Arguments follow their placeholders in the text.
	var args []any
	first := pq.Terms[0].Text
	stmt := "SELECT d.object_type, d.object_id, d.title, " + d.pos("d.body") + ", substr(d.body, " +
		d.greatest + "(" + d.pos("d.body") + " - 30, 1), 101)" +
		" FROM (SELECT id, score, updated_at FROM (SELECT d.id AS id, "
	args = append(args, first, first)
	switch {
	case docs != nil:
		// Scope first: every term is verified below, which is what the index
		// lookup narrows to. The rank: ts_rank on PostgreSQL as through the
		// index; on SQLite, whose bm25 exists only inside an FTS5 query, title
		// matches (the body starts with the normalised title, which is no
		// longer than the title) before the rest.
		if engine == store.Postgres {
			stmt += "-ts_rank(d.tsv, CAST(" + sqlString(pgQuery(key, pq)) + " AS tsquery))"
		} else {
			stmt += "CASE WHEN " + d.pos("d.body") + " <= length(d.title) THEN 0 ELSE 1 END"
			args = append(args, first)
		}
		// CROSS JOIN keeps SQLite reading the named documents first, by key,
		// rather than all documents of the types through another index.
		stmt += " AS score, d.updated_at AS updated_at FROM (" + docs.SQL + ") c CROSS JOIN search_docs d" +
			" WHERE d.tenant_id = ? AND d.id = c.id"
		args = append(append(args, docs.Args...), int64(tenantID))
	case engine == store.Postgres:
		// The tsquery is written into the statement, not passed as an
		// argument: with an argument PostgreSQL soon switches to a generic
		// plan, which cannot know whether the query is common (read the newest
		// rows until enough match) or rare (use the GIN index), and a
		// one-character search took 40 to 100 ms instead of 2. pgLexeme has
		// quoted every token; sqlString quotes the whole.
		match := sqlString(pgQuery(key, pq))
		stmt += "-ts_rank(d.tsv, CAST(" + match + " AS tsquery)) AS score, d.updated_at AS updated_at" +
			" FROM search_docs d WHERE d.tenant_id = ? AND d.tsv @@ CAST(" + match + " AS tsquery)"
		args = append(args, int64(tenantID))
	default:
		stmt += d.score + " AS score, d.updated_at AS updated_at"
		stmt += " FROM search_fts JOIN search_docs d ON d.tenant_id = ? AND d.id = search_fts.rowid WHERE search_fts MATCH ?"
		args = append(args, int64(tenantID), ftsQuery(key, pq))
	}
	if docs == nil && depts != nil {
		if engine == store.Postgres {
			// = ANY (ARRAY(...)), not IN (...): an array can be read through
			// an index, so that the planner ANDs the department index's
			// bitmap (and the primary key's, for the team) with the GIN's.
			stmt += " AND (d.department_id = ANY (ARRAY(" + depts.SQL + "))"
			args = append(args, depts.Args...)
			if team != nil && team.SQL != "" {
				stmt += " OR d.id = ANY (ARRAY(" + team.SQL + "))"
				args = append(args, team.Args...)
			}
		} else {
			// The unary + keeps the subqueries from driving FTS5 (a lookup of
			// the term per document in scope); SQLite lists each once, the
			// departments' through the covering index on (tenant_id,
			// department_id, id), and looks every match up in the list before
			// reading its document. Two INs, not one over a UNION, which would
			// sort the ids twice.
			stmt += " AND (+search_fts.rowid IN (SELECT s.id FROM search_docs s WHERE s.tenant_id = ? AND s.department_id IN (" +
				depts.SQL + "))"
			args = append(append(args, int64(tenantID)), depts.Args...)
			if team != nil && team.SQL != "" {
				stmt += " OR +search_fts.rowid IN (" + team.SQL + ")"
				args = append(args, team.Args...)
			}
		}
		stmt += ")"
	}
	if len(types) > 0 {
		stmt += " AND d.object_type IN (" + strings.TrimSuffix(strings.Repeat("?,", len(types)), ",") + ")"
		for _, t := range types {
			args = append(args, t)
		}
	}
	for _, t := range pq.Terms {
		stmt += " AND " + d.pos("d.body") + " > 0"
		args = append(args, t.Text)
	}
	if scope.SQL != "" {
		stmt += " AND (" + scope.SQL + ")"
		args = append(args, scope.Args...)
	}
	rowid := d.rowid
	if docs != nil {
		rowid = "d.id" // search_fts.rowid is search_docs.id
	}
	stmt += " ORDER BY " + rowid + " DESC LIMIT " + strconv.Itoa(rankWindow) + ") w" +
		" ORDER BY score, updated_at DESC, id DESC LIMIT " + strconv.Itoa(limit) + ") top" +
		" JOIN search_docs d ON d.tenant_id = ? AND d.id = top.id ORDER BY top.score, top.updated_at DESC, top.id DESC"
	args = append(args, int64(tenantID))
	return stmt, args, nil
}

// snippet marks where the window of at most 101 characters was cut.
func snippet(window string, cutBefore bool) string {
	if utf8.RuneCountInString(window) > 100 {
		i, k := 0, 0
		for i = range window {
			if k == 100 {
				break
			}
			k++
		}
		window = window[:i] + "…"
	}
	if cutBefore {
		window = "…" + window
	}
	return window
}

// dialect holds the few SQL spellings that differ between the engines.
type dialect struct {
	pos      func(col string) string // 1-based position of a ? argument in col, 0 if absent
	greatest string
	score    string // relevance of a match, lower is better (SQLite; see searchSQL for PostgreSQL)
	rowid    string // the index's row order: creation order of index rows
}

var dialects = map[store.Engine]*dialect{
	store.SQLite: {pos: func(col string) string { return "instr(" + col + ", ?)" }, greatest: "max",
		// Title matches count four times text matches.
		score: "bm25(search_fts, 4.0, 1.0)", rowid: "search_fts.rowid"},
	store.Postgres: {pos: func(col string) string { return "strpos(" + col + ", ?)" }, greatest: "GREATEST",
		rowid: "d.id"},
}

// IndexNew indexes documents of records created in the caller's
// transaction, many at a time (an import's batch): one COPY or a few
// multi-row INSERTs instead of a statement or two per record. Unlike Upsert
// it never replaces: a record already in the index fails the batch (the
// caller then retries its rows one by one). Each document is stored exactly
// as Upsert would store it.
func IndexNew(ctx context.Context, tx *store.Tx, docs []Doc) error {
	prep := make([]Prepared, len(docs))
	for i, doc := range docs {
		prep[i] = Prepare(tx.DB().Engine, doc)
	}
	return IndexPrepared(ctx, tx, prep)
}

// Prepared is a document with its index text and tokens already made, for
// IndexPrepared. Making them is the CPU half of indexing (about 20 µs a
// document), which an import does while the previous batch commits.
type Prepared struct {
	// Doc is the document. Its ObjectID, OwnerID, DepartmentID and UpdatedAt
	// may still be set after Prepare (a record's id is given when it is
	// written); its TenantID, Title and Text may not.
	Doc
	engine            store.Engine
	body              string
	tokenized         bool
	tsv               string // PostgreSQL
	ftsTitle, ftsBody string // SQLite
}

// Prepare makes the index text and tokens of doc for engine.
func Prepare(engine store.Engine, doc Doc) Prepared {
	p := Prepared{Doc: doc, engine: engine, body: IndexText(doc.Title + "\n" + doc.Text)}
	p.tokenize()
	return p
}

// tokenize makes p's tokens, once.
func (p *Prepared) tokenize() {
	if p.tokenized {
		return
	}
	key := tenantKey(p.TenantID)
	titleToks, bodyToks := tokens(IndexText(p.Title)), tokens(p.body)
	if p.engine == store.Postgres {
		p.tsv = pgVector(key, titleToks, bodyToks)
	} else {
		p.ftsTitle, p.ftsBody = ftsText(key, titleToks), ftsText(key, bodyToks)
	}
	p.tokenized = true
}

// For is p made ready for doc: p with doc's id, owner, department and time
// when it was prepared from doc's tenant, title and text, else doc alone (to
// be prepared when written). A record whose text changed between Prepare and
// its write is thus indexed by what it holds, never by what it held.
func (p *Prepared) For(doc Doc) Prepared {
	if p == nil || p.TenantID != doc.TenantID || p.Title != doc.Title || p.Text != doc.Text {
		return Prepared{Doc: doc}
	}
	q := *p
	q.Doc = doc
	return q
}

// IndexPrepared is IndexNew for documents made with Prepare for the
// transaction's engine.
func IndexPrepared(ctx context.Context, tx *store.Tx, docs []Prepared) error {
	if len(docs) == 0 {
		return nil
	}
	pg := tx.DB().Engine == store.Postgres
	cols := []string{"tenant_id", "id", "object_type", "object_id", "owner_id", "department_id", "title", "body", "updated_at"}
	if pg {
		cols = append(cols, "tsv")
	}
	rows := make([][]any, 0, len(docs))
	fts := make([][]any, 0, len(docs))
	for _, doc := range docs {
		if doc.TenantID <= 0 || doc.ObjectType == "" || doc.ObjectID <= 0 {
			return fmt.Errorf("search: index %s %d of tenant %d: tenant, type and id are required", doc.ObjectType, doc.ObjectID, doc.TenantID)
		}
		switch doc.engine {
		case "": // a Prepared holding just a Doc
			doc = Prepare(tx.DB().Engine, doc.Doc)
		case tx.DB().Engine:
		default:
			return fmt.Errorf("search: index %s %d: prepared for %s", doc.ObjectType, doc.ObjectID, doc.engine)
		}
		doc.tokenize()
		id := tx.DB().NewID()
		row := []any{int64(doc.TenantID), id, doc.ObjectType, int64(doc.ObjectID), nullID(doc.OwnerID), nullID(doc.DepartmentID),
			doc.Title, doc.body, doc.UpdatedAt.UnixMilli()}
		if pg {
			row = append(row, doc.tsv)
		} else {
			fts = append(fts, []any{id, doc.ftsTitle, doc.ftsBody})
		}
		rows = append(rows, row)
	}
	if err := store.BulkInsert(ctx, tx, "search_docs", cols, rows); err != nil {
		return fmt.Errorf("search: index %d documents: %w", len(docs), err)
	}
	if err := store.BulkInsert(ctx, tx, "search_fts", []string{"rowid", "title", "body"}, fts); err != nil {
		return fmt.Errorf("search: index %d documents: %w", len(docs), err)
	}
	return nil
}
