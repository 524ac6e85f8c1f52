// Package store persists Cohort's data in SQLite or PostgreSQL. It reads and
// writes SQL and nothing else: it never decides who may see what (the service
// layer does, and hands the store a cohort.Access to render). Dialect
// differences live in dialect.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/cohortcrm/cohort/internal/idgen"
)

// Engine names a database engine.
type Engine string

// Engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options tune Open.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (default) or NORMAL.
	Synchronous string
	// ReadConns caps the read pool; 0 means 4 per CPU for SQLite, 20 for PostgreSQL.
	ReadConns int
	// ReadCacheMB is SQLite's page cache of the whole read pool in MiB,
	// shared out among its connections, at least 4 MiB each; 0 means 96.
	ReadCacheMB int
	// Node fixes the ID generator's node number; -1 draws one.
	Node int
	// GroupCommit tunes how SQLite's writer lets concurrent write
	// transactions share one commit (see groupcommit.go).
	GroupCommit GroupCommit
}

// DB is an open database: a single-connection write pool beside a read pool
// for SQLite, one pool for PostgreSQL.
type DB struct {
	Engine Engine
	write  *sql.DB
	read   *sql.DB
	ids    *idgen.Generator
	// batch is SQLite's group-commit writer; nil on PostgreSQL or when
	// batching is off.
	batch *batcher
	// DSN as given, for logs (PostgreSQL passwords masked).
	Display string

	rebindMu sync.RWMutex
	rebinds  map[string]string
	// stmts are the read pool's prepared statements (SQLite only).
	stmts *readStmts
	// onStatement, when set (tests: SetStatementHook), sees the text of
	// every statement a write transaction runs.
	onStatement atomic.Pointer[func(q string)]
	// KeepCacheSize makes LargeCache a no-op: `cohort serve` keeps its
	// memory bound while a rebuild (a tenant's time-zone change) runs in
	// it.
	KeepCacheSize bool
}

// SetStatementHook makes f see the text of every statement a write
// transaction's function runs through its Tx (nil stops it), so that tests
// and benchmarks can count the statements of a write.
func (db *DB) SetStatementHook(f func(q string)) {
	if f == nil {
		db.onStatement.Store(nil)
		return
	}
	db.onStatement.Store(&f)
}

func (db *DB) statement(q string) {
	if f := db.onStatement.Load(); f != nil {
		(*f)(q)
	}
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// pgDefaults are the session settings of every PostgreSQL connection, unless
// the URL gives its own (see Open).
var pgDefaults = map[string]string{"jit": "off", "max_parallel_workers_per_gather": "0"}

// Open opens (and for SQLite creates) the database named by dsn: a file path
// for SQLite or a postgres:// URL. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	db := &DB{ids: idgen.New(opt.Node), rebinds: map[string]string{}}
	if opt.Node == 0 {
		db.ids = idgen.New(-1)
	}
	var err error
	if IsPostgresDSN(dsn) {
		db.Engine = Postgres
		db.Display = maskDSN(dsn)
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// Cohort's statements are short and many. With the server's defaults
		// a search at scale L took 80 ms, of which 30 ms compiled it with JIT
		// (its estimated cost passes jit_above_cost) and 20 ms started a
		// parallel worker for 2 ms of work; without either it takes 10 ms.
		// A URL that names these settings (…&jit=on) keeps its own.
		for k, v := range pgDefaults {
			if _, set := cfg.RuntimeParams[k]; !set {
				cfg.RuntimeParams[k] = v
			}
		}
		db.write = stdlib.OpenDB(*cfg)
		n := opt.ReadConns
		if n == 0 {
			n = 20
		}
		db.write.SetMaxOpenConns(n)
		db.write.SetMaxIdleConns(n)
		db.write.SetConnMaxIdleTime(5 * time.Minute)
		db.read = db.write
	} else {
		db.Engine = SQLite
		db.Display = dsn
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		sync := strings.ToUpper(opt.Synchronous)
		if sync == "" {
			sync = "FULL"
		}
		if sync != "FULL" && sync != "NORMAL" {
			return nil, fmt.Errorf("sqlite synchronous must be FULL or NORMAL, not %q", opt.Synchronous)
		}
		// busy_timeout first, so that the other pragmas wait for a lock too.
		base := "file:" + dsn + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")&_pragma=temp_store(MEMORY)"
		db.write, err = sql.Open("sqlite", base+"&_pragma=cache_size(-32000)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetMaxIdleConns(1)
		db.write.SetConnMaxLifetime(0)
		db.write.SetConnMaxIdleTime(0)
		n := opt.ReadConns
		if n == 0 {
			n = 4 * runtime.NumCPU()
		}
		db.read, err = sql.Open("sqlite", base+fmt.Sprintf("&_pragma=cache_size(-%d)&_pragma=query_only(1)", readCacheKiB(opt.ReadCacheMB, n)))
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.read.SetMaxOpenConns(n)
		db.read.SetMaxIdleConns(n)
		db.read.SetConnMaxIdleTime(0)
		db.read.SetConnMaxLifetime(0)
		db.stmts = newReadStmts(db.read)
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.Display, err)
	}
	if db.Engine == SQLite && opt.GroupCommit.MaxBatch != 1 {
		db.batch = newBatcher(db, opt.GroupCommit)
	}
	return db, nil
}

// readCacheKiB shares a read pool's page cache of totalMB MiB (0: 96) out
// among its n connections, at least 4 MiB each. Every SQLite connection
// keeps a cache of its own: at scale L eight connections of 32 MB each
// held most of the server's 600 MiB, while the operating system's file
// cache holds the same pages once for all of them.
func readCacheKiB(totalMB, n int) int {
	if totalMB <= 0 {
		totalMB = 96
	}
	return max(4<<10, totalMB<<10/max(n, 1))
}

// Close answers the writes already queued, then closes the pools.
func (db *DB) Close() error {
	if db.batch != nil {
		db.batch.close()
	}
	var errs []error
	if db.stmts != nil {
		errs = append(errs, db.stmts.close())
	}
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// NewID returns a fresh ID.
func (db *DB) NewID() int64 { return db.ids.Next() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Checkpoint truncates SQLite's write-ahead log and refreshes planner
// statistics; a no-op on PostgreSQL.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.Engine != SQLite {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	_, err := db.write.ExecContext(ctx, "PRAGMA optimize")
	return err
}

// Analyze refreshes the planner's statistics after a bulk load: without
// them SQLite picked a plan 500 times slower for a salesperson's list on a
// freshly loaded scale-L database. On PostgreSQL it vacuums as well: until
// the visibility map is set an index-only scan reads the table for every
// entry, and over 1 M freshly loaded facts a quarter's calls took 1.2 s
// through a bitmap heap scan instead of 0.15 s from the index
// (docs/BENCHMARKS.md).
func (db *DB) Analyze(ctx context.Context) error {
	q := "ANALYZE"
	if db.Engine == Postgres {
		q = "VACUUM (ANALYZE)"
	}
	if _, err := db.write.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// LargeCache gives SQLite's write connection, through which a long job
// such as a rebuild of the facts reads and writes, a page cache sized for
// the database — a quarter of the file, between the usual 32 MB and
// 512 MiB — until restore is called (docs/BENCHMARKS.md, "A larger page
// cache for a rebuild"). The writes of a server sharing the connection
// meanwhile use it too. A no-op on PostgreSQL and with KeepCacheSize.
func (db *DB) LargeCache(ctx context.Context) (restore func(), err error) {
	if db.Engine != SQLite || db.KeepCacheSize {
		return func() {}, nil
	}
	var was, pages, pageSize int64
	if err := db.write.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&was); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	if err := db.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	if err := db.write.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	kib := largeCacheKiB(pages * pageSize)
	if was < 0 && -was >= kib {
		return func() {}, nil
	}
	if _, err := db.write.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -kib)); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	return func() {
		// The pages above the usual size are freed now, not when the
		// process ends.
		_, _ = db.write.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", was))
	}, nil
}

// largeCacheKiB is LargeCache's size, in KiB, for a database of size bytes.
func largeCacheKiB(size int64) int64 {
	return min(max(size/4/1024, 32_000), 512*1024)
}

// Backup writes an online, consistent copy of a SQLite database to path.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Engine != SQLite {
		return errors.New("backup: use pg_dump for PostgreSQL, e.g. pg_dump --format=custom --file=cohort.dump \"$COHORT_DB\"")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already", path)
	}
	// VACUUM INTO writes the copy, so it cannot run on the query-only read
	// pool; on the write connection it reads one consistent snapshot while
	// readers go on (writers wait for it).
	_, err := db.write.ExecContext(ctx, "VACUUM INTO ?", path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func maskDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Queryer runs SQL written with '?' placeholders on either engine.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	// Engine says which dialect the SQL runs on.
	Engine() Engine
}

type rebinding struct {
	db *DB
	q  interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	// stmts keeps prepared statements for QueryPrepared (SQLite's read
	// pool only).
	stmts *readStmts
}

func (r rebinding) Engine() Engine { return r.db.Engine }

func (r rebinding) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return r.q.ExecContext(ctx, r.db.rebind(q), args...)
}

func (r rebinding) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, r.db.rebind(q), args...)
}

func (r rebinding) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, r.db.rebind(q), args...)
}

// Read returns a Queryer on the read pool.
func (db *DB) Read() Queryer { return rebinding{db: db, q: db.read, stmts: db.stmts} }

// Tx is a write transaction. Functions registered with AfterCommit run once it
// has committed, never when it rolls back.
type Tx struct {
	Queryer
	tx          *sql.Tx
	db          *DB
	afterCommit []func()
	// beforeCommit runs at the end of the transaction's work, keyed so that
	// a piece of work registered twice runs once (the fact projection of a
	// record touched by several statements).
	beforeCommit []func() error
	beforeKeys   map[string]bool
	locals       map[string]any
	// conn is the connection a BulkTx runs on (PostgreSQL only), for COPY.
	conn *sql.Conn
	// batched says the transaction is one request of a group commit: its
	// statements must not be interrupted by the request's context.
	batched bool
	// teamWrites counts the statements of the transaction that wrote
	// record_team (see TeamWrites).
	teamWrites int
}

// ExecContext runs a statement in the transaction, counting those that
// write record_team.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if strings.Contains(q, "record_team") {
		tx.teamWrites++
	}
	tx.db.statement(q)
	return tx.Queryer.ExecContext(ctx, q, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	tx.db.statement(q)
	return tx.Queryer.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a query of one row in the transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	tx.db.statement(q)
	return tx.Queryer.QueryRowContext(ctx, q, args...)
}

// TeamWrites says how many statements of the transaction so far wrote
// record_team rows: a team held in memory since a count is still the team
// as stored while the count is the same.
func (tx *Tx) TeamWrites() int { return tx.teamWrites }

// AfterCommit registers f to run after the transaction commits.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// BeforeCommit registers f, once per key, to run in the transaction after
// its work and before it commits; an error rolls the transaction back. f may
// register more.
func (tx *Tx) BeforeCommit(key string, f func() error) {
	if tx.beforeKeys == nil {
		tx.beforeKeys = map[string]bool{}
	}
	if tx.beforeKeys[key] {
		return
	}
	tx.beforeKeys[key] = true
	tx.beforeCommit = append(tx.beforeCommit, f)
}

// Local returns the transaction's value under key, made by make the first
// time: state that lives as long as the transaction (the records whose facts
// it must rewrite).
func (tx *Tx) Local(key string, make func() any) any {
	if tx.locals == nil {
		tx.locals = map[string]any{}
	}
	v, ok := tx.locals[key]
	if !ok {
		v = make()
		tx.locals[key] = v
	}
	return v
}

// finish runs the work registered with BeforeCommit.
func (tx *Tx) finish() error {
	for i := 0; i < len(tx.beforeCommit); i++ {
		if err := tx.beforeCommit[i](); err != nil {
			return err
		}
	}
	return nil
}

// DB returns the database the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// WriteTx runs f in a write transaction: committed when f returns nil, rolled
// back otherwise. On SQLite all writers queue on one connection with BEGIN
// IMMEDIATE, so read-then-write transactions never fail with "busy", and
// concurrent calls share one commit, each in a savepoint of its own (see
// groupcommit.go): f must do all its database work through tx, and a panic
// in f is re-raised on the caller's goroutine as a *TxPanic.
func (db *DB) WriteTx(ctx context.Context, f func(tx *Tx) error) error {
	if db.batch != nil {
		return db.batch.do(ctx, f)
	}
	return db.directTx(ctx, f)
}

// directTx runs f in a transaction of its own.
func (db *DB) directTx(ctx context.Context, f func(tx *Tx) error) error {
	sqltx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return db.runTx(&Tx{Queryer: rebinding{db: db, q: sqltx}, tx: sqltx, db: db}, f)
}

// BulkTx is WriteTx for loading many rows with BulkInsert: on PostgreSQL
// the transaction holds a connection of its own, so that BulkInsert can
// COPY into the same transaction.
func (db *DB) BulkTx(ctx context.Context, f func(tx *Tx) error) error {
	if db.Engine != Postgres {
		// A bulk load runs alone, in a transaction of its own, so that
		// it can be cancelled and holds no neighbour's work.
		return db.directTx(ctx, f)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	sqltx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return db.runTx(&Tx{Queryer: rebinding{db: db, q: sqltx}, tx: sqltx, db: db, conn: conn}, f)
}

// runTx runs f in tx and commits it when f returns nil.
func (db *DB) runTx(tx *Tx, f func(tx *Tx) error) error {
	sqltx := tx.tx
	err := f(tx)
	if err == nil {
		err = tx.finish()
	}
	if err != nil {
		_ = sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		db.afterFailedCommit()
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// rebind turns '?' placeholders into PostgreSQL's $n, skipping quoted text.
func (db *DB) rebind(q string) string {
	if db.Engine != Postgres {
		return q
	}
	db.rebindMu.RLock()
	out, ok := db.rebinds[q]
	db.rebindMu.RUnlock()
	if ok {
		return out
	}
	out = Rebind(q)
	db.rebindMu.Lock()
	if len(db.rebinds) < 10000 {
		db.rebinds[q] = out
	}
	db.rebindMu.Unlock()
	return out
}

// Rebind turns '?' placeholders into $1, $2, ... outside quoted strings.
func Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
