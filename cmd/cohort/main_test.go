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
	// The OpenAPI document, without a database.
	if err := run(ctx, []string{"openapi"}, &out, &errs); err != nil || !strings.HasPrefix(out.String(), "{") ||
		!strings.Contains(out.String(), `"/api/v1/tenant/settings"`) || !strings.Contains(out.String(), `"openapi": "3.1.0"`) {
		t.Fatalf("openapi: %v %.200s", err, out.String())
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
	if err := run(ctx, []string{"demo", "goals", "--db", db}, &out, &errs); err == nil || !strings.Contains(err.Error(), "no demo tenant") {
		t.Fatalf("demo goals without a demo tenant: %v", err)
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

func TestFactsCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "f.db")
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"demo", "--db", db}, &out, &errs); err != nil {
		t.Fatalf("demo: %v %s", err, errs.String())
	}
	out.Reset()
	if err := run(ctx, []string{"facts", "verify", "--db", db, "--tenant", "demo"}, &out, &errs); err != nil || !strings.Contains(out.String(), "agree") {
		t.Fatalf("verify: %v %q", err, out.String())
	}
	// A fact no record accounts for is found, and a rebuild removes it and
	// changes nothing else.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id)
		SELECT id, 1, 'customer.created', 0, 0, 'customer', 42, 'customer', 42 FROM tenants WHERE slug = 'demo'`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"facts", "verify", "--db", db}, &out, &errs); err == nil || !strings.Contains(out.String(), "no longer exist") {
		t.Fatalf("verify of a stray fact: %v %q", err, out.String())
	}
	out.Reset()
	errs.Reset()
	if err := run(ctx, []string{"facts", "rebuild", "--db", db, "--tenant", "demo"}, &out, &errs); err != nil ||
		!strings.Contains(errs.String(), "100%") || !strings.Contains(out.String(), "facts (1 rows changed) in") {
		t.Fatalf("rebuild: %v %q %q", err, out.String(), errs.String())
	}
	out.Reset()
	if err := run(ctx, []string{"facts", "verify", "--db", db}, &out, &errs); err != nil {
		t.Fatalf("verify after the rebuild: %v %q", err, out.String())
	}
	// A rollup that does not sum its facts is found too, and a rebuild
	// mends it.
	if _, err := raw.Exec(`UPDATE facts_monthly SET cnt = cnt + 1 WHERE day = (SELECT min(day) FROM facts_monthly)`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"facts", "verify", "--db", db}, &out, &errs); err == nil || !strings.Contains(out.String(), "facts_monthly") {
		t.Fatalf("verify of a wrong rollup: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"facts", "rebuild", "--db", db, "--tenant", "demo"}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"facts", "verify", "--db", db}, &out, &errs); err != nil {
		t.Fatalf("verify after the second rebuild: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"facts", "check", "--db", db}, &out, &errs); err == nil {
		t.Fatal("an unknown facts subcommand")
	}
}

// TestHelp: every command and sub-command answers --help with its usage and
// succeeds.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "cohort serve"},
		{[]string{"serve", "--help"}, "cohort serve"},
		{[]string{"migrate", "-h"}, "cohort migrate"},
		{[]string{"demo", "--help"}, "--scale"},
		{[]string{"user", "--help"}, "cohort user reset-password"},
		{[]string{"user", "reset-password", "--help"}, "cohort user reset-password --tenant"},
		{[]string{"user", "create", "-h"}, "cohort user create --tenant"},
		{[]string{"search", "--help"}, "cohort search rebuild"},
		{[]string{"backup", "help"}, "cohort backup"},
		{[]string{"config", "--help"}, "COHORT_DB"},
	} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), tc.args, &out, &errs); err != nil || !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "--db") {
			t.Errorf("%v: %v, printed %q", tc.args, err, out.String())
		}
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
