package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func TestCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"version"}, &out, &errs); err != nil || !strings.HasPrefix(out.String(), "cohort ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate", "--db", db}, &out, &errs); err != nil || !strings.Contains(out.String(), "migrations applied") {
		t.Fatalf("migrate: %v %q %s", err, out.String(), errs.String())
	}
	t.Setenv("COHORT_ADMIN_EMAIL", "boss@cmd.test")
	t.Setenv("COHORT_ADMIN_PASSWORD", "cmd-test-password")
	out.Reset()
	if err := run(ctx, []string{"demo", "--db", db, "--scale", "none"}, &out, &errs); err == nil {
		t.Fatal("demo accepted an unknown scale")
	}
	out.Reset()
	t.Setenv("COHORT_USER_PASSWORD", "new-user-pass")
	// A database with no tenant: user commands name the problem.
	if err := run(ctx, []string{"user", "list", "--db", db, "--tenant", "demo"}, &out, &errs); err == nil {
		t.Fatal("user list on a tenant that does not exist")
	}
	out.Reset()
	if err := run(ctx, []string{"config", "--db", db}, &out, &errs); err != nil || strings.Contains(out.String(), "cmd-test-password") ||
		!strings.Contains(out.String(), "COHORT_ADMIN_PASSWORD") {
		t.Fatalf("config dump: %v\n%s", err, out.String())
	}
	backup := filepath.Join(dir, "backup.db")
	out.Reset()
	if err := run(ctx, []string{"backup", "--db", db, backup}, &out, &errs); err != nil {
		t.Fatalf("backup: %v %s", err, errs.String())
	}
	b, err := sql.Open("sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var n int
	if err := b.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		t.Fatalf("the backup holds no schema: %d %v", n, err)
	}
	if err := run(ctx, []string{"backup", "--db", db, backup}, &out, &errs); err == nil {
		t.Fatal("backup over an existing file")
	}
}

// TestTenantCommands: create (password prompted, then from a file), list,
// disable and enable; bad input names the problem and creates nothing.
func TestTenantCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	var out, errs bytes.Buffer
	t.Setenv("COHORT_USER_PASSWORD", "")
	stdin = strings.NewReader("tenant-one-password\ntenant-one-password\n")
	defer func() { stdin = os.Stdin }()
	if err := run(ctx, []string{"tenant", "create", "--db", db, "--slug", "north", "--name", "北方贸易", "--admin-email", "boss@north.test"}, &out, &errs); err != nil {
		t.Fatalf("create: %v %s", err, errs.String())
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("tenant-two-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"tenant", "create", "--db", db, "--slug", "south", "--name", "南方贸易", "--admin-email", "boss@south.test", "--password-file", pw}, &out, &errs); err != nil {
		t.Fatalf("create from file: %v", err)
	}
	for _, bad := range [][]string{
		{"--slug", "north", "--name", "again", "--admin-email", "x@north.test"}, // taken
		{"--slug", "Bad Slug", "--name", "bad", "--admin-email", "x@bad.test"},  // slug
		{"--slug", "weak", "--name", "weak", "--admin-email", "not an email"},   // email
		{"--slug", "nameless", "--admin-email", "x@nameless.test"},              // name missing
	} {
		if err := run(ctx, append([]string{"tenant", "create", "--db", db, "--password-file", pw}, bad...), &out, &errs); err == nil {
			t.Fatalf("create %v accepted", bad)
		}
	}
	stdin = strings.NewReader("one-password\nanother-password\n")
	if err := run(ctx, []string{"tenant", "create", "--db", db, "--slug", "typo", "--name", "typo", "--admin-email", "x@typo.test"}, &out, &errs); err == nil {
		t.Fatal("two different prompted passwords accepted")
	}
	if err := run(ctx, []string{"tenant", "disable", "--db", db, "--slug", "north"}, &out, &errs); err != nil {
		t.Fatalf("disable: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"tenant", "list", "--db", db}, &out, &errs); err != nil {
		t.Fatalf("list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "north") || !strings.Contains(lines[1], "disabled since") ||
		!strings.Contains(lines[2], "south") || !strings.Contains(lines[2], "active") {
		t.Fatalf("list:\n%s", out.String())
	}
	if err := run(ctx, []string{"tenant", "enable", "--db", db, "--slug", "north"}, &out, &errs); err != nil {
		t.Fatalf("enable: %v", err)
	}
	if err := run(ctx, []string{"tenant", "disable", "--db", db, "--slug", "nowhere"}, &out, &errs); err == nil {
		t.Fatal("disabled a tenant that does not exist")
	}
}
