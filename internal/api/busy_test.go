package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
)

// sqliteBusy returns the error SQLite gives a writer while another
// connection holds the write lock past its busy timeout.
func sqliteBusy(t *testing.T) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func(wait string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout("+wait+")&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	ctx := context.Background()
	holder, writer := open("5000"), open("20")
	if _, err := holder.ExecContext(ctx, "CREATE TABLE x (a)"); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_, err = writer.ExecContext(ctx, "INSERT INTO x VALUES (2)")
	if err == nil {
		t.Fatal("a second writer wrote while the first held the lock")
	}
	return err
}

// TestBusyDatabaseIs503: a request that found the database locked by a
// long job answers 503 with Retry-After and a message in the asker's
// language — not a 500 — and other internal errors stay 500.
func TestBusyDatabaseIs503(t *testing.T) {
	busy := sqliteBusy(t)
	if !store.IsBusy(busy) || store.IsBusy(errors.New("no such table: x")) {
		t.Fatalf("IsBusy(%v) = %v", busy, store.IsBusy(busy))
	}
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range []struct {
		lang, want string
	}{{"zh-CN", "数据库正忙"}, {"en", "database is busy"}} {
		r := httptest.NewRequest("POST", "/api/v1/customers", nil)
		r.Header.Set("Accept-Language", c.lang)
		w := httptest.NewRecorder()
		s.writeError(w, r, fmt.Errorf("create customer: %w", busy))
		if w.Code != 503 || w.Header().Get("Retry-After") != "2" || !strings.Contains(w.Body.String(), c.want) || !strings.Contains(w.Body.String(), `"code":"busy"`) {
			t.Fatalf("%s: %d %q %s", c.lang, w.Code, w.Header().Get("Retry-After"), w.Body.String())
		}
	}
	w := httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("GET", "/", nil), errors.New("no such table: x"))
	if w.Code != 500 {
		t.Fatalf("another internal error: %d", w.Code)
	}
}
