package store

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"sync"
)

// readStmtsMax bounds the statements kept prepared: each is prepared
// again on every read connection that runs it, and texts that inline ids
// (a department's subtree, a filtered person) differ per tenant and query.
const readStmtsMax = 128

// readStmts keeps the read pool's prepared statements by SQL text, the
// least recently used dropped past readStmtsMax. SQLite's driver prepares
// (parses and plans) every statement it runs and finalizes it after; the
// person table of the sales cockpit spent a tenth of its time there
// (docs/BENCHMARKS.md, "The sales cockpit: totals summed from rows, kept
// statements"). A *sql.Stmt is prepared lazily on each connection of the
// pool that runs it and kept per connection. A statement is its text:
// whatever a text holds (a tenant's id written into it, or bound as an
// argument), it answers only the question that text asks. On PostgreSQL
// pgx already keeps the statements of each connection prepared, so there
// is no cache there.
type readStmts struct {
	db *sql.DB

	mu     sync.Mutex
	byText map[string]*list.Element // of *cachedStmt
	lru    list.List                // front: most recently used
	// seen are the texts run once, unprepared: a text is prepared when it
	// runs again, so one-off texts (an IN list of some length) stay out.
	seen   map[string]bool
	closed bool
}

type cachedStmt struct {
	text    string
	stmt    *sql.Stmt
	users   int  // queries between acquire and release
	evicted bool // out of the cache: closed by the last user
}

func newReadStmts(db *sql.DB) *readStmts {
	return &readStmts{db: db, byText: map[string]*list.Element{}, seen: map[string]bool{}}
}

// query runs q through its prepared statement, preparing it the first
// time. The statement stays open while the rows are read: database/sql
// closes an evicted statement only after its rows are closed.
func (c *readStmts) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := c.acquire(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.db.QueryContext(ctx, q, args...)
	}
	rows, err := s.stmt.QueryContext(ctx, args...)
	c.release(s)
	return rows, err
}

// acquire returns q's statement, held until release, or nil when q runs
// unprepared (its first run, or once the cache is closed).
func (c *readStmts) acquire(ctx context.Context, q string) (*cachedStmt, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil
	}
	if e, ok := c.byText[q]; ok {
		c.lru.MoveToFront(e)
		s := e.Value.(*cachedStmt)
		s.users++
		c.mu.Unlock()
		return s, nil
	}
	if !c.seen[q] {
		if len(c.seen) >= 4*readStmtsMax {
			clear(c.seen) // mostly one-offs: count afresh
		}
		c.seen[q] = true
		c.mu.Unlock()
		return nil, nil
	}
	delete(c.seen, q)
	c.mu.Unlock()
	// Prepared outside the lock: two callers may prepare the same text at
	// once; the second keeps the first's and closes its own.
	stmt, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.Join(stmt.Close(), errors.New("store: database closed"))
	}
	if e, ok := c.byText[q]; ok {
		_ = stmt.Close()
		c.lru.MoveToFront(e)
		s := e.Value.(*cachedStmt)
		s.users++
		return s, nil
	}
	s := &cachedStmt{text: q, stmt: stmt, users: 1}
	c.byText[q] = c.lru.PushFront(s)
	for c.lru.Len() > readStmtsMax {
		old := c.lru.Back()
		c.lru.Remove(old)
		o := old.Value.(*cachedStmt)
		delete(c.byText, o.text)
		o.evicted = true
		if o.users == 0 {
			_ = o.stmt.Close()
		}
	}
	return s, nil
}

func (c *readStmts) release(s *cachedStmt) {
	c.mu.Lock()
	s.users--
	closeIt := s.evicted && s.users == 0
	c.mu.Unlock()
	if closeIt {
		_ = s.stmt.Close()
	}
}

// close closes every statement not in use (those in use close at their
// release); later queries run unprepared on the pool, which is closing.
func (c *readStmts) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		s := e.Value.(*cachedStmt)
		s.evicted = true
		if s.users == 0 {
			errs = append(errs, s.stmt.Close())
		}
	}
	c.lru.Init()
	clear(c.byText)
	return errors.Join(errs...)
}

// len is the number of statements kept (for the tests).
func (c *readStmts) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// QueryPrepared runs q like q.QueryContext, through a statement kept
// prepared when q is the read pool of a SQLite database (DB.Read); any
// other Queryer (a transaction, PostgreSQL) runs it as it is. For
// statements run again and again with other arguments, such as the metric
// engine's.
func QueryPrepared(ctx context.Context, q Queryer, query string, args ...any) (*sql.Rows, error) {
	if r, ok := q.(rebinding); ok && r.stmts != nil {
		return r.stmts.query(ctx, r.db.rebind(query), args...)
	}
	return q.QueryContext(ctx, query, args...)
}
