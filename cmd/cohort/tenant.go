package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/app"
	"github.com/cohortcrm/cohort/internal/config"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
)

// stdin is where a prompted password is read from (tests replace it).
var stdin io.Reader = os.Stdin

// tenantCmd provisions tenants: create one with its administrator, list
// them, disable or enable one. The administrator's password comes from
// --password-file, COHORT_USER_PASSWORD or a prompt on the terminal. (An
// emailed set-password link needs a mail sender, which Cohort does not
// have.)
func tenantCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("tenant: say create, list, disable or enable")
	}
	sub := args[0]
	fs := flag.NewFlagSet("tenant", flag.ContinueOnError)
	slug := fs.String("slug", "", "tenant slug: lower-case letters, digits and dashes")
	name := fs.String("name", "", "company name")
	adminEmail := fs.String("admin-email", "", "email of the tenant's administrator")
	adminName := fs.String("admin-name", "", "name of the tenant's administrator (default: Administrator)")
	pwFile := fs.String("password-file", "", "file holding the administrator's password")
	rest := splitFlags(fs, args[1:], "slug", "name", "admin-email", "admin-name", "password-file")
	cfg, err := config.Load(rest, nil)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, obs.NewLogger(stderr, cfg.LogFormat, cfg.SlogLevel()))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	switch sub {
	case "list":
		ts, err := a.Service.ListTenants(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSLUG\tNAME\tSTATUS\tCREATED")
		for _, t := range ts {
			status := "active"
			if t.DisabledAt != nil {
				status = "disabled since " + t.DisabledAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Slug, t.Name, status, t.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	case "create":
		if *slug == "" || *name == "" || *adminEmail == "" {
			return errors.New("tenant create: --slug, --name and --admin-email are required")
		}
		pw, err := adminPassword(*pwFile, stderr)
		if err != nil {
			return err
		}
		t, u, err := a.Service.CreateTenant(ctx, service.NewTenant{Tenant: cohort.Tenant{Name: *name, Slug: *slug},
			AdminName: orDefault(*adminName, "Administrator"), AdminEmail: *adminEmail, AdminPassword: pw})
		if err != nil {
			return fmt.Errorf("tenant create: %s", cohort.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "created tenant %s (%s) with administrator %s\n", t.Slug, t.ID, u.Email)
		return nil
	case "disable", "enable":
		if *slug == "" {
			return fmt.Errorf("tenant %s: --slug is required", sub)
		}
		t, err := a.Service.SetTenantDisabled(ctx, *slug, sub == "disable")
		if err != nil {
			return fmt.Errorf("tenant %s: %s", sub, cohort.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "tenant %s %sd; ", t.Slug, sub)
		if sub == "disable" {
			fmt.Fprintln(stdout, "its sessions are ended and its API tokens refused (running servers see it within 2 seconds)")
		} else {
			fmt.Fprintln(stdout, "its people may log in again")
		}
		return nil
	}
	return fmt.Errorf("tenant: unknown subcommand %q", sub)
}

// adminPassword reads the new administrator's password from a file, the
// environment, or a prompt (twice, not echoed, when stdin is a terminal).
func adminPassword(file string, stderr io.Writer) (string, error) {
	if file != "" {
		b, err := os.ReadFile(filepath.Clean(file))
		return strings.TrimSpace(string(b)), err
	}
	if p := os.Getenv("COHORT_USER_PASSWORD"); p != "" {
		return p, nil
	}
	r := bufio.NewReader(stdin)
	read := func(prompt string) (string, error) {
		fmt.Fprint(stderr, prompt)
		restore := noEcho(stdin)
		line, err := r.ReadString('\n')
		restore()
		fmt.Fprintln(stderr)
		if err != nil && line == "" {
			return "", errors.New("tenant create: no password: give --password-file, COHORT_USER_PASSWORD, or type it at the prompt")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := read("Administrator's password: ")
	if err != nil {
		return "", err
	}
	again, err := read("Again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("tenant create: the two passwords differ")
	}
	return pw, nil
}
