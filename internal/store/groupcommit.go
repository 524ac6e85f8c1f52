package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit (SQLite only). All SQLite writes go through one connection,
// and with synchronous=FULL each commit waits for an fsync. The batcher lets
// concurrent WriteTx calls share one commit: a single goroutine holds a batch
// transaction and runs each request's function in a SAVEPOINT of its own,
// one after the other, so a request sees the writes of the requests before it
// exactly as if they had committed. A request's BeforeCommit work runs at the
// end of its own savepoint. A request whose function or BeforeCommit work
// fails (error or panic) is rolled back to its savepoint and fails alone; the
// others go on.
// Every request of a batch is answered only after the batch's one durable
// COMMIT, and the after-commit hooks of a request whose work was kept then run
// on the requester's goroutine, as they would without batching. If the COMMIT
// itself fails, every request in the batch fails with that error: nothing of
// the batch is on disk, and retrying a request alone could run it against
// state that a failed neighbour's retry no longer provides.
//
// A batch takes every request already queued, up to MaxBatch; when the queue
// is empty it waits for another at most until MaxWait after the batch began,
// and only while writes are arriving concurrently (the previous batch held
// more than one request), so a lone writer never waits. Close drains the
// queue: every request queued before it is run and answered.

// GroupCommit tunes SQLite's group commit.
type GroupCommit struct {
	// MaxBatch is the most requests one commit holds: 0 means 64, 1 turns
	// batching off (one commit per request, as PostgreSQL does).
	MaxBatch int
	// MaxWait bounds how long a batch stays open for more requests once the
	// queue is empty, counted from the batch's start: 0 means 200µs, a
	// negative value never waits.
	MaxWait time.Duration
}

const (
	defaultMaxBatch = 64
	defaultMaxWait  = 200 * time.Microsecond
)

// ErrClosed is returned by writes submitted after Close.
var ErrClosed = errors.New("database is closed")

// TxPanic is what a write transaction's function panicked with; WriteTx
// panics with it on the caller's goroutine after the request was rolled back
// to its savepoint.
type TxPanic struct {
	Value any
	Stack []byte
}

func (p *TxPanic) Error() string {
	return fmt.Sprintf("panic in write transaction: %v\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error.
func (p *TxPanic) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

type writeReq struct {
	ctx   context.Context
	f     func(tx *Tx) error
	state atomic.Int32
	tx    *Tx
	err   error
	panic *TxPanic
	done  chan struct{}
}

type batcher struct {
	db       *DB
	maxBatch int
	maxWait  time.Duration
	queue    chan *writeReq
	mu       sync.RWMutex // held for reading while sending on queue
	closed   bool
	stopped  chan struct{}
	stmts    *stmtCache
	batches  atomic.Int64
	requests atomic.Int64
}

func newBatcher(db *DB, gc GroupCommit) *batcher {
	b := &batcher{db: db, maxBatch: gc.MaxBatch, maxWait: gc.MaxWait, stopped: make(chan struct{}), stmts: newStmtCache()}
	if b.maxBatch <= 0 {
		b.maxBatch = defaultMaxBatch
	}
	if b.maxWait == 0 {
		b.maxWait = defaultMaxWait
	}
	b.queue = make(chan *writeReq, 4*b.maxBatch)
	go b.run()
	return b
}

// do submits f and waits for its answer. Once the writer has taken the
// request, do waits for the batch's commit even if ctx ends: the request is
// then part of a batch and is answered with it, never before.
func (b *batcher) do(ctx context.Context, f func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, f: f, done: make(chan struct{})}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.queue <- r:
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	b.mu.RUnlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		<-r.done
	}
	if r.panic != nil {
		panic(r.panic)
	}
	if r.err != nil {
		return r.err
	}
	for _, h := range r.tx.afterCommit {
		h()
	}
	return nil
}

// close stops taking requests, runs those queued and waits for the writer.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.stopped
}

func (b *batcher) run() {
	defer close(b.stopped)
	defer b.stmts.close()
	prev := 0
	for r := range b.queue {
		b.stmts.prepare(b.db.write)
		prev = b.batch(r, prev > 1)
	}
}

// batch runs first and the requests that follow it in one transaction and
// answers them all after its commit. It returns how many requests ran.
func (b *batcher) batch(first *writeReq, linger bool) int {
	start := time.Now()
	var ran []*writeReq
	var sqltx *sql.Tx
	answer := func(err error) {
		for _, r := range ran {
			if err != nil && r.err == nil && r.panic == nil {
				r.err = err
			}
			close(r.done)
		}
	}
	r, ok := first, true
loop:
	for ok {
		if r.state.CompareAndSwap(reqQueued, reqTaken) {
			if sqltx == nil {
				var err error
				// The batch outlives any one request: it must not end
				// when a requester's context does.
				if sqltx, err = b.db.write.BeginTx(context.Background(), nil); err != nil {
					r.err = fmt.Errorf("begin: %w", err)
					close(r.done)
					return 1
				}
			}
			ran = append(ran, r)
			if err := b.runOne(sqltx, r); err != nil {
				// The transaction itself is broken (SQLite rolled it back):
				// nothing of the batch is kept.
				_ = sqltx.Rollback()
				answer(fmt.Errorf("batch rolled back: %w", err))
				return len(ran)
			}
			if len(ran) >= b.maxBatch {
				break
			}
		}
		if sqltx == nil {
			// Every request so far was abandoned: wait for the next.
			r, ok = <-b.queue
			start = time.Now()
			continue
		}
		select {
		case r, ok = <-b.queue:
			continue
		default:
		}
		wait := time.Until(start.Add(b.maxWait))
		if !linger || wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case r, ok = <-b.queue:
			t.Stop()
		case <-t.C:
			break loop
		}
	}
	if sqltx == nil {
		return 0
	}
	b.batches.Add(1)
	b.requests.Add(int64(len(ran)))
	if err := sqltx.Commit(); err != nil {
		b.db.afterFailedCommit()
		answer(fmt.Errorf("commit: %w", err))
		return len(ran)
	}
	answer(nil)
	return len(ran)
}

// runOne runs r's function in a savepoint of sqltx. A failing function is
// rolled back to the savepoint and its error kept in r; the error returned
// says the whole transaction is unusable.
func (b *batcher) runOne(sqltx *sql.Tx, r *writeReq) (broken error) {
	ctx := context.Background()
	if _, err := sqltx.ExecContext(ctx, "SAVEPOINT request"); err != nil {
		r.err = fmt.Errorf("savepoint: %w", err)
		return err
	}
	var lent []lentStmt
	r.tx = &Tx{Queryer: detached{rebinding{db: b.db, q: sqltx}, sqltx, b.stmts, &lent}, tx: sqltx, db: b.db, batched: true}
	r.err, r.panic = call(r.f, r.tx)
	b.stmts.giveBack(lent)
	if r.err != nil || r.panic != nil {
		r.tx.afterCommit = nil
		if _, err := sqltx.ExecContext(ctx, "ROLLBACK TO request"); err != nil {
			return err
		}
	}
	if _, err := sqltx.ExecContext(ctx, "RELEASE request"); err != nil {
		return err
	}
	return nil
}

func call(f func(tx *Tx) error, tx *Tx) (err error, p *TxPanic) {
	defer func() {
		if v := recover(); v != nil {
			p = &TxPanic{Value: v, Stack: debug.Stack()}
		}
	}()
	if err := f(tx); err != nil {
		return err, nil
	}
	// The work registered with BeforeCommit belongs to this request: it
	// runs in the request's savepoint, and its error fails the request.
	return tx.finish(), nil
}

// detached runs a batched request's statements without its context's
// cancellation: SQLite answers an interrupted write inside a transaction by
// rolling back the whole transaction, which would take the neighbours' work
// with it. A request the writer has taken runs to its end. Statements that
// return no rows, and single-row queries, run from the writer's cache of
// prepared statements when they are in it (see stmtCache).
type detached struct {
	rebinding
	tx    *sql.Tx
	cache *stmtCache
	// lent holds the statements this request's queries of many rows took
	// from the cache; they go back when the request ends.
	lent *[]lentStmt
}

func (d detached) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := d.cache.get(q); st != nil {
		return d.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return d.rebinding.ExecContext(ctx, q, args...)
}

func (d detached) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	// Rows stay open while the caller reads them, and a prepared statement
	// serves one reader at a time: the request borrows the statement until
	// it ends (a second query of the same text meanwhile is not cached).
	if st := d.cache.borrow(q); st != nil {
		*d.lent = append(*d.lent, lentStmt{q, st})
		return d.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return d.rebinding.QueryContext(ctx, q, args...)
}

func (d detached) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := d.cache.get(q); st != nil {
		return d.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return d.rebinding.QueryRowContext(ctx, q, args...)
}

// stmtCache keeps the write connection's prepared statements. Preparing
// took a third of the writer's time in a profile of creating customers
// (SQLite parses and plans each statement anew otherwise). A statement is
// prepared on the write connection between batches, when the writer holds
// no transaction (database/sql cannot prepare on the pool's only connection
// while a transaction holds it); a transaction then uses it through
// Tx.StmtContext, which finds it prepared on the same connection.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// wanted counts the uses of statements not yet prepared.
	wanted map[string]int
}

const stmtCacheMax = 2000

func newStmtCache() *stmtCache {
	return &stmtCache{stmts: map[string]*sql.Stmt{}, wanted: map[string]int{}}
}

// get returns q's prepared statement, or nil after noting that q is wanted.
func (c *stmtCache) get(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st, known := c.stmts[q]
	c.mu.RUnlock()
	if !known {
		c.mu.Lock()
		if len(c.stmts)+len(c.wanted) < stmtCacheMax {
			c.wanted[q]++
		}
		c.mu.Unlock()
	}
	return st
}

type lentStmt struct {
	q  string
	st *sql.Stmt
}

// borrow takes q's prepared statement out of the cache until giveBack.
func (c *stmtCache) borrow(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stmts[q]
	if ok {
		if st != nil {
			c.stmts[q] = nil // lent
		}
		return st
	}
	if len(c.stmts)+len(c.wanted) < stmtCacheMax {
		c.wanted[q]++
	}
	return nil
}

func (c *stmtCache) giveBack(lent []lentStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range lent {
		c.stmts[l.q] = l.st
	}
}

// prepare prepares the wanted statements on db (outside any transaction).
func (c *stmtCache) prepare(db *sql.DB) {
	// A statement is prepared once it ran twice: one-off statements (a
	// filter's IN list of some length) stay out of the cache.
	var wanted []string
	c.mu.Lock()
	for q, n := range c.wanted {
		if n >= 2 {
			wanted = append(wanted, q)
			delete(c.wanted, q)
		}
	}
	if len(c.wanted) > stmtCacheMax/2 {
		c.wanted = map[string]int{} // mostly one-offs: count afresh
	}
	c.mu.Unlock()
	for _, q := range wanted {
		st, err := db.PrepareContext(context.Background(), q)
		c.mu.Lock()
		if _, known := c.stmts[q]; err == nil && !known {
			c.stmts[q] = st
		} else if err == nil {
			_ = st.Close()
		}
		c.mu.Unlock()
		// A statement that does not prepare stays uncached, where its
		// error shows to the request that runs it.
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		if st != nil {
			_ = st.Close()
		}
		delete(c.stmts, q)
	}
}

// afterFailedCommit ends the transaction a failed COMMIT may leave open on
// SQLite's write connection (a deferred constraint, SQLITE_BUSY): database/sql
// hands the connection back to the pool as it is, and the next BEGIN would
// fail. With no transaction open, the ROLLBACK fails harmlessly.
func (db *DB) afterFailedCommit() {
	if db.Engine == SQLite {
		_, _ = db.write.ExecContext(context.Background(), "ROLLBACK")
	}
}

// GroupCommitStats says how many batches the writer committed and how many
// requests they held (zero when group commit is off).
func (db *DB) GroupCommitStats() (batches, requests int64) {
	if db.batch == nil {
		return 0, 0
	}
	return db.batch.batches.Load(), db.batch.requests.Load()
}
