package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationsFS embed.FS

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations of engine e in order.
func Migrations(e Engine) ([]Migration, error) {
	dir := "migrations/" + string(e)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		b, err := migrationsFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].Version)
		}
	}
	return ms, nil
}

// migrationLockKey is the PostgreSQL advisory lock that serialises migrations
// when several servers start at once.
const migrationLockKey = 0x636f686f7274 // "cohort"

// Migrate applies every migration not yet applied, each in its own
// transaction. It is safe to run from several processes at once: on
// PostgreSQL they queue on an advisory lock; on SQLite on the write lock.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (applied int, err error) {
	ms, err := Migrations(db.Engine)
	if err != nil {
		return 0, err
	}
	if db.Engine == Postgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return 0, fmt.Errorf("migrate: take lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		err := db.directTx(ctx, func(tx *Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return errSkip
			}
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UnixMilli())
			return err
		})
		if err == errSkip {
			continue
		}
		if err != nil {
			return applied, fmt.Errorf("migrate: %w", err)
		}
		applied++
		if log != nil {
			log.Info("migration applied", "version", m.Version, "name", m.Name)
		}
	}
	return applied, nil
}

type skipError struct{}

func (skipError) Error() string { return "skip" }

var errSkip error = skipError{}

// Pending returns how many migrations are not applied yet (for /readyz).
func (db *DB) Pending(ctx context.Context) (int, error) {
	ms, err := Migrations(db.Engine)
	if err != nil {
		return 0, err
	}
	var applied int
	if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		return len(ms), nil
	}
	return len(ms) - applied, nil
}
