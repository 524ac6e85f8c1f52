package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/notify"
	"github.com/cohortcrm/cohort/internal/outbox"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// inboxNotifier hands the service's notifications to the inbox, as the app
// wires it: an outbox message in the caller's transaction.
type inboxNotifier struct{ n *notify.Service }

func (i inboxNotifier) Notify(ctx context.Context, tx *store.Tx, tenantID, userID cohort.ID, kind string, params map[string]any, link string) error {
	_, err := i.n.Notify(ctx, tx, tenantID, userID, kind, params, link)
	return err
}

// bandMessages are the goal band notifications in the outbox, per user.
func bandMessages(t *testing.T, db *store.DB) map[cohort.ID]int {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), "SELECT payload FROM outbox WHERE topic = ?", notify.Topic)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[cohort.ID]int{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var p struct {
			UserID cohort.ID `json:"user_id"`
			Kind   string    `json:"kind"`
		}
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		if p.Kind == service.KindGoalBandChanged {
			out[p.UserID]++
		}
	}
	return out
}

// currentPeriods are today's month, the months of its fiscal quarter,
// and the quarter and fiscal year keys of the tenant.
func currentPeriods(tn *cohort.Tenant) (month string, months []string, quarter, year string) {
	d := time.Now().In(tn.Location())
	fy := d.Year()
	if int(d.Month()) < tn.FiscalYearStartMonth {
		fy--
	}
	q := (int(d.Month())-tn.FiscalYearStartMonth+12)%12/3 + 1
	first := time.Date(fy, time.Month(tn.FiscalYearStartMonth), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 3*(q-1), 0)
	for i := 0; i < 3; i++ {
		months = append(months, first.AddDate(0, i, 0).Format("2006-01"))
	}
	return d.Format("2006-01"), months, fmt.Sprintf("FY%04d-Q%d", fy, q), fmt.Sprintf("FY%04d", fy)
}

// TestGoalBandNotifications: a contract lifts Alice from below 80 % of her
// month's target into 80–120 %: she is told once, through the outbox, and
// the manager of her department once about the department; evaluating
// again tells nobody; voiding the contract drops her back and tells her
// once more. The first evaluation only records the bands.
func TestGoalBandNotifications(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		ob := outbox.New(db, outbox.Config{Log: log})
		inbox := notify.New(db, ob, notify.Options{Log: log})
		e.svc.SetNotifier(inboxNotifier{inbox})
		o := salesOrgOn(e)
		ctx := context.Background()
		tid := o.tenant.ID
		sales := o.aliceU.DepartmentID
		var d cohort.Department
		o.admin.must(200, "PATCH", "/api/v1/departments/"+sales.String(), map[string]any{"manager_id": o.mgrU.ID}, &d)
		o.admin.must(200, "PATCH", "/api/v1/users/"+o.aliceU.ID.String(), map[string]any{"locale": "en"}, nil)

		var rule goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约金额", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &rule)
		// 10000.00 a month this quarter: the quarter's and the year's
		// targets are 30000.00 (the months' sum), Alice's department's too.
		month, months, quarter, year := currentPeriods(o.tenant)
		var cells []map[string]any
		for _, m := range months {
			cells = append(cells, map[string]any{"subject": person(o.aliceU), "period": m, "value": 1000000})
		}
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+rule.ID.String()+"/values", map[string]any{"cells": cells}, nil)
		var done goalCompletion
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+rule.ID.String()+"/completion?period="+quarter, nil, &done)
		num(t, "the quarter's target", done.row(t, person(o.aliceU)).Target, 3000000)

		evaluate := func() service.GoalBandRun {
			t.Helper()
			run, err := e.svc.EvaluateGoalBands(ctx, tid)
			if err != nil {
				t.Fatal(err)
			}
			return run
		}
		// First evaluation: Alice, her department and the top department in
		// three periods each, all below; recorded, nobody told.
		if run := evaluate(); run.Recorded != 9 || run.Changed != 0 || run.Notified != 0 {
			t.Fatalf("first evaluation %+v", run)
		}
		if got := bandMessages(t, db); len(got) != 0 {
			t.Fatalf("the first evaluation notified %v", got)
		}

		// A contract of 9000.00 (90 % of the month, 30 % of the quarter):
		// Alice's month, her department's and the top department's move.
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "BAND-1", "name": "目标产品", "price": 900000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "宁波目标科技有限公司"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "目标合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &k)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, &k)

		if run := evaluate(); run.Changed != 3 || run.Notified != 2 {
			t.Fatalf("after signing %+v", run)
		}
		if got := bandMessages(t, db); got[o.aliceU.ID] != 1 || got[o.mgrU.ID] != 1 || len(got) != 2 {
			t.Fatalf("after signing: %v, want one for Alice and one for her manager", got)
		}
		var band string
		if err := db.Read().QueryRowContext(ctx, "SELECT band FROM goal_bands WHERE tenant_id = ? AND rule_id = ? AND subject = ? AND period = ?",
			int64(tid), int64(rule.ID), person(o.aliceU), month).Scan(&band); err != nil || band != service.BandOnTrack {
			t.Fatalf("Alice's month band %q, %v", band, err)
		}
		// The same figures again: nothing new.
		if run := evaluate(); run.Changed != 0 || run.Notified != 0 || run.Recorded != 0 {
			t.Fatalf("re-run %+v", run)
		}
		if got := bandMessages(t, db); got[o.aliceU.ID] != 1 || len(got) != 2 {
			t.Fatalf("re-run notified: %v", got)
		}

		// Delivered, Alice reads it in English.
		if _, err := ob.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		items, _, err := inbox.List(ctx, tid, o.aliceU.ID, false, "", 10, "en")
		if err != nil || len(items) == 0 || items[0].Title != "Goal band changed" ||
			items[0].Body != `Alice's goal "签约金额" for `+month+` is at 90.0 % completion: from below 80 % to 80–120 %.` {
			t.Fatalf("Alice's inbox %+v, %v", items, err)
		}

		// Voided, the contract no longer counts: below again, one more.
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/void", map[string]any{"reason": "客户撤销"}, &k)
		if run := evaluate(); run.Changed != 3 || run.Notified != 2 {
			t.Fatalf("after the void %+v", run)
		}
		if got := bandMessages(t, db); got[o.aliceU.ID] != 2 || got[o.mgrU.ID] != 2 {
			t.Fatalf("after the void: %v", got)
		}

		// Targets cleared drop their bands; deleting the rule drops the rest.
		cells = nil
		for _, m := range months {
			cells = append(cells, map[string]any{"subject": person(o.aliceU), "period": m, "value": nil})
		}
		cells = append(cells, map[string]any{"subject": person(o.aliceU), "period": year, "value": 5000000})
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+rule.ID.String()+"/values", map[string]any{"cells": cells}, nil)
		evaluate()
		var n int
		if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM goal_bands WHERE tenant_id = ? AND period <> ?", int64(tid), year).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d bands left of the periods without targets (%v)", n, err)
		}
		o.admin.must(204, "DELETE", "/api/v1/goal-rules/"+rule.ID.String(), nil, nil)
		if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM goal_bands WHERE tenant_id = ?", int64(tid)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d bands left after the rule went (%v)", n, err)
		}
	})
}
