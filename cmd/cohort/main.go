// Command cohort is the Cohort server and its operator commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/app"
	"github.com/cohortcrm/cohort/internal/config"
	"github.com/cohortcrm/cohort/internal/demo"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/store"
)

const usage = `cohort — a sales-performance CRM

Usage:
  cohort serve    [flags]            run the server (migrates first)
  cohort migrate  [flags]            apply database migrations and exit
  cohort demo     [flags] [--scale S|M|L] [--seed N]  create the demo tenant with history
  cohort demo goals [flags]                          add this fiscal year's goals to a demo tenant made without them
  cohort user create --tenant SLUG --email E --name N [--password-file F]
  cohort user reset-password --tenant SLUG --email E [--password-file F]
  cohort user list --tenant SLUG
  cohort tenant create --slug SLUG --name NAME --admin-email E [--admin-name N] [--password-file F]
  cohort tenant list
  cohort tenant disable|enable --slug SLUG
  cohort search rebuild [flags] [--tenant SLUG]  re-index every record for search
  cohort facts rebuild|verify [flags] [--tenant SLUG]  recompute the fact ledger, or
                                     compare it with the records (exit 1 when they differ)
  cohort backup   [flags] FILE       online copy of the SQLite database
  cohort config   [flags]            print the configuration (secrets masked)
  cohort openapi                     print the API's OpenAPI 3.1 document (as served at /api/v1/openapi.json)
  cohort version

Passwords are read from --password-file, or from the COHORT_USER_PASSWORD
environment variable, never from the command line; tenant create also asks
for it on the terminal. (A set-password link by email would need a mail
sender, which Cohort does not have.)

Flags and environment variables of every command:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cohort:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		config.Usage(stdout)
		return nil
	}
	cmd, rest := args[0], args[1:]
	if wantsHelp(rest) {
		commandHelp(stdout, cmd, rest)
		return nil
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "cohort", app.Version)
		return nil
	}
	if cmd == "user" {
		return userCmd(ctx, rest, stdout, stderr)
	}
	if cmd == "tenant" {
		return tenantCmd(ctx, rest, stdout, stderr)
	}
	if cmd == "search" {
		return searchCmd(ctx, rest, stdout, stderr)
	}
	if cmd == "openapi" {
		// The document depends on the route table only: no database is opened.
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(api.New(nil, nil, obs.NewLogger(stderr, "text", 0), obs.NewRegistry(), api.Options{Version: app.Version}).OpenAPI())
	}
	if cmd == "facts" {
		stop, err := cpuProfile()
		if err != nil {
			return err
		}
		defer stop()
		return factsCmd(ctx, rest, stdout, stderr)
	}
	var extra *flag.FlagSet
	var seed *uint64
	var scale *string
	goalsOnly := false
	if cmd == "demo" {
		if len(rest) > 0 && rest[0] == "goals" {
			goalsOnly, rest = true, rest[1:]
		}
		extra = flag.NewFlagSet("demo", flag.ContinueOnError)
		seed = extra.Uint64("seed", 1, "seed of the demo data")
		scale = extra.String("scale", "S", "S, M or L")
		rest = splitFlags(extra, rest, "seed", "scale")
	}
	cfg, err := config.Load(rest, nil)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		config.Usage(stdout)
		return err
	}
	if err != nil {
		return err
	}
	log := obs.NewLogger(stderr, cfg.LogFormat, cfg.SlogLevel())
	switch cmd {
	case "serve":
		return serve(ctx, cfg, stdout, stderr)
	case "config":
		return cfg.Dump(stdout)
	case "migrate":
		db, err := store.Open(ctx, cfg.DB, store.Options{Synchronous: cfg.SQLiteSync})
		if err != nil {
			return err
		}
		defer db.Close()
		n, err := db.Migrate(ctx, log)
		if err == nil {
			fmt.Fprintf(stdout, "%d migrations applied to %s\n", n, db.Display)
		}
		return err
	case "demo":
		a, err := app.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.DB.Close()
		if goalsOnly {
			t, err := store.FindTenantBySlug(ctx, a.DB.Read(), "demo")
			if err != nil {
				return fmt.Errorf("demo goals: no demo tenant: %w", err)
			}
			if err := demo.Goals(ctx, a.Service, t.ID, stderr); err != nil {
				return fmt.Errorf("demo goals: %w", err)
			}
			fmt.Fprintln(stdout, "demo goals: this fiscal year's goal rules and targets made")
			return nil
		}
		res, err := demo.Create(ctx, a.Service, demo.Options{Seed: *seed, Scale: strings.ToUpper(*scale), AdminEmail: cfg.AdminEmail,
			AdminPassword: cfg.AdminPassword, Progress: stderr})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		printLogin(stdout, "", res)
		return nil
	case "backup":
		if len(cfg.Args) != 1 {
			return errors.New("backup: name one destination file, e.g. cohort backup cohort-backup.db")
		}
		db, err := store.Open(ctx, cfg.DB, store.Options{})
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Backup(ctx, cfg.Args[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backed up %s to %s\n", db.Display, cfg.Args[0])
		return nil
	}
	return fmt.Errorf("unknown command %q; run 'cohort help'", cmd)
}

// splitFlags takes the named command-specific flags out of args, parses them
// into fs and returns the rest for the shared configuration.
// wantsHelp reports whether a command's arguments ask for its help
// ("cohort user --help", "cohort user reset-password -h", "cohort serve help").
func wantsHelp(args []string) bool {
	for i, a := range args {
		if a == "-h" || a == "--help" || a == "-help" || (a == "help" && i == len(args)-1) {
			return true
		}
	}
	return false
}

// commandHelp prints the usage lines of cmd (and of its sub-command when one
// is named), then the flags every command takes.
func commandHelp(w io.Writer, cmd string, rest []string) {
	prefix := "cohort " + cmd
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && rest[0] != "help" {
		prefix += " " + rest[0]
	}
	var lines []string
	for _, l := range strings.Split(usage, "\n") {
		if t := strings.TrimSpace(l); t == prefix || strings.HasPrefix(t, prefix+" ") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		fmt.Fprint(w, usage)
	} else {
		fmt.Fprintf(w, "Usage:\n%s\n\n", strings.Join(lines, "\n"))
		if strings.HasPrefix(prefix, "cohort user") {
			fmt.Fprintln(w, "Passwords are read from --password-file, or from the COHORT_USER_PASSWORD\nenvironment variable, never from the command line.")
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "Flags and environment variables of every command:")
	}
	config.Usage(w)
}

func splitFlags(fs *flag.FlagSet, args []string, names ...string) []string {
	var mine, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		own := false
		for _, n := range names {
			own = own || (strings.HasPrefix(a, "-") && name == n)
		}
		if !own {
			rest = append(rest, a)
			continue
		}
		mine = append(mine, a)
		if !hasValue && i+1 < len(args) {
			mine = append(mine, args[i+1])
			i++
		}
	}
	fs.SetOutput(io.Discard)
	_ = fs.Parse(mine)
	return rest
}

// cpuProfile is a debugging aid for load tests and rebuilds, not a setting:
// COHORT_DEBUG_CPUPROFILE names a file that receives a CPU profile of the
// whole run (of serve and of cohort facts). Call stop at the end.
func cpuProfile() (stop func(), err error) {
	name := os.Getenv("COHORT_DEBUG_CPUPROFILE")
	if name == "" {
		return func() {}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func serve(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer) error {
	start := time.Now()
	log := obs.NewLogger(stderr, cfg.LogFormat, cfg.SlogLevel())
	stop, err := cpuProfile()
	if err != nil {
		return err
	}
	defer stop()
	log.Info("starting cohort", "version", app.Version, "db", config.MaskDSN(cfg.DB), "addr", cfg.Addr)
	var dump strings.Builder
	if err := cfg.Dump(&dump); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(dump.String()), "\n") {
			log.Info("config " + strings.Join(strings.Fields(line), " "))
		}
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	a.DB.KeepCacheSize = true // a rebuild in the server stays within its memory
	if err := a.FirstRun(ctx); err != nil {
		a.DB.Close()
		return err
	}
	var demoRes *demo.Result
	if cfg.Demo {
		n, err := a.Service.CountTenants(ctx)
		if err != nil {
			a.DB.Close()
			return err
		}
		if n == 0 {
			demoRes, err = demo.Create(ctx, a.Service, demo.Options{Seed: 1, Scale: "S", AdminEmail: cfg.AdminEmail, AdminPassword: cfg.AdminPassword, Progress: stderr})
			if err != nil {
				a.DB.Close()
				return fmt.Errorf("demo: %w", err)
			}
		}
	}
	if err := a.Start(ctx); err != nil {
		a.DB.Close()
		return err
	}
	log.Info("ready", "url", a.URL(), "took", time.Since(start).Round(time.Millisecond))
	if demoRes != nil {
		printLogin(stdout, a.URL(), demoRes)
	} else if cfg.Demo {
		fmt.Fprintf(stdout, "\nCohort is running at %s (the database had data already, so no demo tenant was made; the demo login is %s / %s if it was made before)\n\n",
			a.URL(), orDefault(cfg.AdminEmail, demo.DefaultAdminEmail), orDefault(cfg.AdminPassword, demo.DefaultPassword))
	}
	<-ctx.Done()
	log.Info("shutting down")
	return a.Shutdown(context.Background())
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func printLogin(w io.Writer, url string, r *demo.Result) {
	fmt.Fprintln(w)
	if url != "" {
		fmt.Fprintf(w, "  Cohort is running at %s\n", url)
	}
	fmt.Fprintf(w, "  Demo company: %s (%d people, %d rows of history)\n", r.Tenant.Name, r.Users, r.Rows)
	fmt.Fprintf(w, "  Administrator (settings, people; owns no customer): %s / %s\n", r.AdminEmail, r.Password)
	if r.SalesEmail != "" {
		fmt.Fprintf(w, "  Salesperson (a day of sales work):                  %s / %s\n", r.SalesEmail, r.UserPassword)
	}
	if r.ManagerEmail != "" {
		fmt.Fprintf(w, "  Sales manager (a team's pipeline and goals):        %s / %s\n", r.ManagerEmail, r.UserPassword)
	}
	fmt.Fprintln(w)
}

func userCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("user: say create, reset-password or list")
	}
	sub := args[0]
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "tenant slug")
	email := fs.String("email", "", "email")
	name := fs.String("name", "", "name")
	pwFile := fs.String("password-file", "", "file holding the password")
	rest := splitFlags(fs, args[1:], "tenant", "email", "name", "password-file")
	cfg, err := config.Load(rest, nil)
	if err != nil {
		return err
	}
	log := obs.NewLogger(stderr, cfg.LogFormat, cfg.SlogLevel())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	if *tenant == "" {
		return errors.New("user: --tenant SLUG is required")
	}
	t, err := store.FindTenantBySlug(ctx, a.DB.Read(), *tenant)
	if err != nil {
		return fmt.Errorf("user: tenant %q: %w", *tenant, err)
	}
	sctx, err := a.Service.SystemContext(ctx, t.ID)
	if err != nil {
		return err
	}
	password := func() (string, error) {
		if *pwFile != "" {
			b, err := os.ReadFile(filepath.Clean(*pwFile))
			return strings.TrimSpace(string(b)), err
		}
		if p := os.Getenv("COHORT_USER_PASSWORD"); p != "" {
			return p, nil
		}
		return "", errors.New("user: give the password with --password-file or COHORT_USER_PASSWORD")
	}
	switch sub {
	case "list":
		users, _, err := a.Service.ListUsers(sctx, cohort.ListQuery{Limit: cohort.MaxLimit, Sort: []cohort.SortKey{{Field: "name"}}})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tSTATUS")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Email, u.Status)
		}
		return tw.Flush()
	case "create":
		pw, err := password()
		if err != nil {
			return err
		}
		u := &cohort.User{Name: *name, Email: *email}
		if err := a.Service.CreateUser(sctx, u, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (%s)\n", u.Email, u.ID)
		return nil
	case "reset-password":
		pw, err := password()
		if err != nil {
			return err
		}
		e, _ := cohort.NormalizeEmail(*email)
		users, _, err := a.Service.ListUsers(sctx, cohort.ListQuery{Filters: []cohort.Filter{{Field: "email", Op: "eq", Values: []string{e}}}})
		if err != nil {
			return err
		}
		if len(users) != 1 {
			return fmt.Errorf("user: no user %s in tenant %s", *email, *tenant)
		}
		if err := a.Service.SetUserPassword(sctx, users[0].ID, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s reset; their sessions are ended\n", users[0].Email)
		return nil
	}
	return fmt.Errorf("user: unknown subcommand %q", sub)
}

// openTenants opens the database named by args' flags and returns the
// tenants a maintenance command works on: the one of --tenant, or all.
func openTenants(ctx context.Context, name string, args []string, stderr io.Writer) (*app.App, []*cohort.Tenant, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	tenant := fs.String("tenant", "", "tenant slug (all tenants when empty)")
	rest := splitFlags(fs, args, "tenant")
	cfg, err := config.Load(rest, nil)
	if err != nil {
		return nil, nil, err
	}
	a, err := app.Open(ctx, cfg, obs.NewLogger(stderr, cfg.LogFormat, cfg.SlogLevel()))
	if err != nil {
		return nil, nil, err
	}
	var ids []cohort.ID
	if *tenant != "" {
		t, err := store.FindTenantBySlug(ctx, a.DB.Read(), *tenant)
		if err != nil {
			a.DB.Close()
			return nil, nil, fmt.Errorf("%s: tenant %q: %w", name, *tenant, err)
		}
		ids = []cohort.ID{t.ID}
	} else if ids, err = store.TenantIDs(ctx, a.DB.Read()); err != nil {
		a.DB.Close()
		return nil, nil, err
	}
	var tenants []*cohort.Tenant
	for _, id := range ids {
		t, err := store.FindTenant(ctx, a.DB.Read(), id)
		if err != nil {
			a.DB.Close()
			return nil, nil, err
		}
		tenants = append(tenants, t)
	}
	return a, tenants, nil
}

// progress prints "label: tenant T 42% done/total" in place, once per percent.
func progress(stderr io.Writer, label string, t *cohort.Tenant) func(done, total int) {
	return meter(stderr, label+": tenant "+t.Slug)
}

// meter prints "what 42% done/total" in place, once per percent.
func meter(stderr io.Writer, what string) func(done, total int) {
	shown := -1
	return func(done, total int) {
		if pct := done * 100 / max(total, 1); pct != shown {
			shown = pct
			fmt.Fprintf(stderr, "\r%s %3d%% %d/%d", what, pct, done, total)
		}
	}
}

// steps prints the progress of a rebuild or a verify step by step, a line each:
// "label: tenant T, step 42% done/total", the line of a finished step
// ending with the time it took; end ends the last one.
func steps(stderr io.Writer, label string, t *cohort.Tenant) (p facts.Progress, end func()) {
	var step facts.Step
	var began time.Time
	var bar func(done, total int)
	end = func() {
		if bar != nil {
			fmt.Fprintf(stderr, " (%s)", time.Since(began).Round(100*time.Millisecond))
		}
		fmt.Fprintln(stderr)
	}
	return func(s facts.Step, done, total int) {
		if s != step || bar == nil {
			if bar != nil {
				fmt.Fprintf(stderr, " (%s)\n", time.Since(began).Round(100*time.Millisecond))
			}
			step, began = s, time.Now()
			bar = meter(stderr, label+": tenant "+t.Slug+", "+string(s))
		}
		bar(done, total)
	}, end
}

// searchCmd rebuilds the search index of one tenant or all of them.
func searchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return errors.New("search: say rebuild")
	}
	a, tenants, err := openTenants(ctx, "search", args[1:], stderr)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	for _, t := range tenants {
		n, err := a.Service.RebuildSearch(ctx, t.ID, progress(stderr, "search rebuild", t))
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tenant %s: %d records indexed\n", t.Slug, n)
	}
	return nil
}

// factsCmd rebuilds or verifies the fact ledger of one tenant or all of
// them; verify exits non-zero when the stored facts differ from a fresh
// projection of the records.
func factsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "rebuild" && args[0] != "verify") {
		return errors.New("facts: say rebuild or verify")
	}
	a, tenants, err := openTenants(ctx, "facts", args[1:], stderr)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	differ := 0
	for _, t := range tenants {
		if args[0] == "rebuild" {
			start := time.Now()
			p, end := steps(stderr, "facts rebuild", t)
			n, changed, err := facts.Rebuild(ctx, a.DB, t, p)
			end()
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "tenant %s: %d facts (%d rows changed) in %s\n", t.Slug, n, changed, time.Since(start).Round(time.Millisecond))
			continue
		}
		p, end := steps(stderr, "facts verify", t)
		diffs, err := facts.Verify(ctx, a.DB, t, 50, p)
		end()
		if err != nil {
			return err
		}
		if len(diffs) == 0 {
			fmt.Fprintf(stdout, "tenant %s: the facts agree with the records\n", t.Slug)
			continue
		}
		differ++
		fmt.Fprintf(stdout, "tenant %s: the facts differ from the records:\n  %s\n", t.Slug, strings.Join(diffs, "\n  "))
	}
	if differ > 0 {
		return fmt.Errorf("facts verify: %d tenants differ; run cohort facts rebuild", differ)
	}
	return nil
}
