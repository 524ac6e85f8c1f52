package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// ErrNoListen is returned by Listen on engines without LISTEN/NOTIFY.
var ErrNoListen = errors.New("listen: only PostgreSQL has LISTEN/NOTIFY")

// Notify queues a PostgreSQL notification on channel, sent to every
// listener when tx commits and never if it rolls back. Payloads must stay
// under 8000 bytes. On SQLite it does nothing.
func (tx *Tx) Notify(ctx context.Context, channel, payload string) error {
	if tx.db.Engine != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// NotifyNow sends a PostgreSQL notification at once, outside any
// transaction. On SQLite it does nothing.
func (db *DB) NotifyNow(ctx context.Context, channel, payload string) error {
	if db.Engine != Postgres {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen holds one connection of the pool and calls f with the payload of
// every notification on channel (from any session, this one's included) until
// ctx is done, when it returns nil, or the connection fails, when it returns
// the error; the caller decides how to reconnect. It returns ErrNoListen on
// SQLite.
func (db *DB) Listen(ctx context.Context, channel string, f func(payload string)) error {
	if db.Engine != Postgres {
		return ErrNoListen
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("listen %s: %w", channel, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+quoteIdent(channel)); err != nil {
			return err
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() != nil {
					// The connection may be mid-wait; do not hand it back to
					// the pool still listening.
					return driver.ErrBadConn
				}
				return err
			}
			f(n.Payload)
		}
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("listen %s: %w", channel, err)
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}
