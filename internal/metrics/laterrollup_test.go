package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestResolvedTicketsFromRollup: the tickets opened in a period and
// resolved by its end (a condition on a later fact of the ticket) are read
// from facts_later_monthly where that is exact — the whole company over
// whole months, in all or by month, quarter or year — and the answers
// equal the facts' for random histories of tickets (resolved the same
// month, later, never, at the very time of opening; teams of several
// people in several roles, uncredited tickets; some resolved or reopened
// afterwards and some deleted, through the ledger), on both engines, in
// every scope, role and period.
func TestResolvedTicketsFromRollup(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(13, uint64(len(db.Engine))))
		users := []int64{ann, bob, cat}
		depts := []int64{east, west, svc}
		roles := []string{"owner", "owner", "presales", ""}
		kinds := []string{"request", "complaint", "fault"}
		first := day("2025-01-01")
		// ticketFacts are a ticket's facts: opened at opened, answered and
		// resolved at resolved when not nil, credited to a team of team+1.
		ticketFacts := func(tk cohort.ID, opened time.Time, resolved *time.Time, team int, kind string) []factledger.Fact {
			var fs []factledger.Fact
			emit := func(k string, at time.Time, amount int64) {
				f := factledger.Fact{Kind: k, OccurredAt: at, Day: int(at.Add(8*time.Hour).Unix() / 86400), SourceType: "ticket", SourceID: tk,
					RecordType: "ticket", RecordID: tk, CustomerID: cohort.ID(c1), Amount: amount, Currency: "CNY", Attr: kind, ShareBP: 10000, N: 1}
				if k != "ticket.opened" {
					f.DurationS, f.RefAt = int64(at.Sub(opened)/time.Second), &opened
				}
				if team < 0 {
					fs = append(fs, f) // nobody holds it
					return
				}
				for m := 0; m <= team; m++ {
					g := f
					g.UserID, g.Role, g.DepartmentID = cohort.ID(users[m]), roles[(m+int(tk))%3], cohort.ID(depts[(m+int(tk)/7)%3])
					g.ShareBP = []int{10000, 6000, 4000}[m]
					fs = append(fs, g)
				}
			}
			emit("ticket.opened", opened, 0)
			if resolved != nil {
				emit("ticket.first_response", opened.Add(resolved.Sub(opened)/2), 0)
				emit("ticket.resolved", *resolved, int64(r.IntN(50000)))
			}
			return fs
		}
		type ticket struct {
			id       cohort.ID
			opened   time.Time
			resolved *time.Time
			team     int
			kind     string
		}
		var tickets []ticket
		for i := 0; i < 160; i++ {
			tk := ticket{id: cohort.ID(5000 + i), team: r.IntN(4) - 1, kind: kinds[r.IntN(3)]}
			tk.opened = time.UnixMilli((first+int64(r.IntN(420)))*86400000 + int64(r.IntN(86400000))).UTC()
			switch r.IntN(5) {
			case 0: // never resolved
			case 1: // at the time of opening
				at := tk.opened
				tk.resolved = &at
			default:
				at := tk.opened.Add(time.Duration(r.IntN(80*24)) * time.Hour)
				tk.resolved = &at
			}
			tickets = append(tickets, tk)
		}
		write := func(ts []ticket) {
			t.Helper()
			var ids []cohort.ID
			var fs []factledger.Fact
			for _, tk := range ts {
				ids = append(ids, tk.id)
				fs = append(fs, ticketFacts(tk.id, tk.opened, tk.resolved, tk.team, tk.kind)...)
			}
			if err := db.WriteTx(ctx, func(tx *store.Tx) error {
				if err := factledger.DeleteSources(ctx, tx, tenant, "ticket", ids); err != nil {
					return err
				}
				return factledger.Insert(ctx, tx, tenant, fs)
			}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < len(tickets); i += 40 {
			write(tickets[i:min(len(tickets), i+40)])
		}
		// Some tickets are resolved later, reopened or deleted.
		var again []ticket
		for i := 0; i < len(tickets); i += 7 {
			tk := &tickets[i]
			if tk.resolved == nil {
				at := tk.opened.Add(time.Duration(r.IntN(60*24)) * time.Hour)
				tk.resolved = &at
			} else {
				tk.resolved = nil
			}
			again = append(again, *tk)
		}
		write(again)
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			return factledger.DeleteSources(ctx, tx, tenant, "ticket", []cohort.ID{5003, 5050, 5101})
		}); err != nil {
			t.Fatal(err)
		}
		if d, err := factledger.VerifyRollups(ctx, db.Read(), tenant, 5); err != nil || len(d) > 0 {
			t.Fatalf("rollups differ from the facts: %v %v", err, d)
		}
		// The marks set in SQL (facts loaded by other means, migration
		// 0045) are the projection's.
		marks := func() string {
			rows, err := db.Read().QueryContext(ctx, `SELECT id, rec, later_day FROM facts WHERE tenant_id = ? AND kind LIKE 'ticket.%' ORDER BY id`, tenant)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var sb strings.Builder
			set := 0
			for rows.Next() {
				var v [3]int64
				if err := rows.Scan(&v[0], &v[1], &v[2]); err != nil {
					t.Fatal(err)
				}
				if v[2] != 0 {
					set++
				}
				fmt.Fprintln(&sb, v)
			}
			return fmt.Sprintf("%d set\n%s", set, sb.String())
		}
		projected := marks()
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE facts SET later_day = 7 WHERE tenant_id = ? AND kind LIKE 'ticket.%'`, tenant); err != nil {
				return err
			}
			return factledger.RebuildRollups(ctx, tx, tenant)
		}); err != nil {
			t.Fatal(err)
		}
		if got := marks(); got != projected || strings.HasPrefix(got, "0 set") {
			t.Fatalf("marks in SQL differ from the projection's:\n%.300s\nprojected:\n%.300s", got, projected)
		}
		ms := [][]string{{"tickets_opened_resolved"}, {"resolution_rate"}, {"unresolved_tickets", "tickets_opened"}, {"tickets_opened_resolved", "complaints"},
			{"resolution_rate", "resolution_hours", "service_cost"}}
		dims := [][]string{nil, {"month"}, {"quarter"}, {"year"}, {"week"}, {"person"}, {"department"}, {"attr"}, {"month", "person"}, {"role"}}
		laterReads := 0
		for i := 0; i < 250; i++ {
			q := metrics.Query{Metrics: ms[r.IntN(len(ms))], Dimensions: dims[r.IntN(len(dims))]}
			from := time.Date(2025, time.Month(1+r.IntN(14)), 1, 0, 0, 0, 0, time.UTC)
			to := from.AddDate(0, 1+r.IntN(6), 0)
			if r.IntN(5) == 0 {
				from = from.AddDate(0, 0, r.IntN(20))
			}
			q.From, q.To = from.Format("2006-01-02"), to.Format("2006-01-02")
			switch r.IntN(6) {
			case 0:
				q.Filters = []metrics.Filter{{Dimension: "attr", Values: []string{"complaint"}}}
			case 1:
				q.Filters = []metrics.Filter{{Dimension: "person", Values: []string{id(ann)}}}
			}
			if r.IntN(3) == 0 {
				q.Compare = []string{"previous", "year_ago"}[:1+r.IntN(2)]
			}
			if r.IntN(4) == 0 {
				q.Role = "presales"
			}
			e := env()
			switch r.IntN(5) {
			case 0:
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: bob})
			case 1:
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: ann, DepartmentID: sales, DepartmentPath: "/10/"})
			}
			sqls, _, err := metrics.Statements(ctx, db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sqls {
				if strings.Contains(s, factledger.LaterRollup) {
					laterReads++
				}
			}
			res, err := metrics.Run(ctx, db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			e.RawFacts = true
			raw, err := metrics.Run(ctx, db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			sameAnswer(t, fmt.Sprintf("%+v (scope %q)", q, e.Scope.SQL), res, raw)
		}
		if laterReads < 30 {
			t.Fatalf("%d statements read %s", laterReads, factledger.LaterRollup)
		}
		// The service cockpit's resolution rate this month reads no fact.
		q := metrics.Query{Metrics: []string{"resolution_rate"}, From: "2025-04-01", To: "2025-05-01"}
		sqls, _, err := metrics.Statements(ctx, db.Read(), env(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sqls {
			if strings.Contains(s, "FROM facts f") {
				t.Errorf("the resolution rate reads the facts: %s", s)
			}
		}
	})
}
