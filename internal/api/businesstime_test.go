package api_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// rfc formats t for a request body.
func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// refused asserts a request is answered status with a problem naming field,
// and returns nothing else.
func refused(t *testing.T, c *client, status int, field, method, path string, body any) {
	t.Helper()
	res := c.do(method, path, body, nil)
	if res.status != status || !strings.Contains(string(res.body), field) {
		t.Fatalf("%s %s: %d %s, want %d naming %s", method, path, res.status, res.body, status, field)
	}
}

func memberRoles(team []cohort.TeamMember) map[cohort.ID]string {
	out := map[cohort.ID]string{}
	for _, m := range team {
		out[m.UserID] += m.Role + ":" + strconv.Itoa(m.ShareBP) + " "
	}
	return out
}

func TestBusinessTime(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		now := time.Now().UTC().Truncate(time.Second)
		day := 24 * time.Hour
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "BT-1", "name": "业务时间", "price": 1000000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州补录科技有限公司"}, &c)
		lines := []map[string]any{{"product_id": prod.ID, "quantity": 1}}

		// A contract entered today for a signing three days ago credits the
		// team it was signed with: its start moves back with the signing.
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "补录合同", "lines": lines,
			"team": []map[string]any{{"user_id": o.preU.ID, "role": "presales"}}}, &k)
		signedAt := now.Add(-3 * day)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed", "signed_at": rfc(signedAt)}, &k)
		if !k.CreatedAt.Equal(signedAt) || k.SigningDepartmentID != o.aliceU.DepartmentID {
			t.Fatalf("late-entered contract: created_at %v, signing department %s", k.CreatedAt, k.SigningDepartmentID)
		}
		var then cohort.Page[cohort.TeamMember]
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team?at="+rfc(signedAt), nil, &then)
		if r := memberRoles(then.Items); r[o.aliceU.ID] == "" || !strings.HasPrefix(r[o.preU.ID], "presales") {
			t.Fatalf("team at signing %v", r)
		}

		// A team change after the signing does not move its credit.
		changedAt := now.Add(-1 * day)
		o.alice.must(200, "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"effective_at": rfc(changedAt),
			"members": []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}, {"user_id": o.bobU.ID, "role": "presales"}}}, nil)
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team?at="+rfc(signedAt), nil, &then)
		var later cohort.Page[cohort.TeamMember]
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team?at="+rfc(now), nil, &later)
		if r, l := memberRoles(then.Items), memberRoles(later.Items); r[o.preU.ID] == "" || r[o.bobU.ID] != "" || l[o.bobU.ID] == "" || l[o.preU.ID] != "" {
			t.Fatalf("team at signing %v, now %v", r, l)
		}
		// Team changes are dated in order and not before the record began.
		refused(t, o.alice, 422, "effective_at", "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"effective_at": rfc(changedAt.Add(-time.Hour)),
			"members": []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}}})
		refused(t, o.alice, 422, "effective_at", "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"effective_at": rfc(signedAt.Add(-time.Hour)),
			"members": []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}}})
		refused(t, o.alice, 422, "effective_at", "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"effective_at": rfc(now.Add(day)),
			"members": []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}}})

		// Two owners 60/40; shares that do not add up are refused and change nothing.
		refused(t, o.alice, 422, "team", "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.bobU.ID, "role": "owner", "share_bp": 3000}}})
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team", nil, &later)
		if l := memberRoles(later.Items); l[o.bobU.ID] != "presales:10000 " {
			t.Fatalf("a refused team change wrote: %v", l)
		}
		o.alice.must(200, "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.bobU.ID, "role": "owner", "share_bp": 4000}}}, &later)
		if l := memberRoles(later.Items); l[o.aliceU.ID] != "owner:6000 " || l[o.bobU.ID] != "owner:4000 " {
			t.Fatalf("co-owners %v", l)
		}
		var k2 cohort.Deal
		o.bob.must(200, "GET", "/api/v1/contracts/"+id(k.ID), nil, &k2) // the co-owner sees it through the team
		if k2.OwnerID != o.aliceU.ID {
			t.Fatalf("the record's owner moved to %s", k2.OwnerID)
		}

		// A payment received 40 days ago (entered by the administrator) and
		// its reversal today: each counts in the period of its own date.
		paidOn := now.Add(-40 * day).Format(time.DateOnly)
		refused(t, o.alice, 403, "received_date", "POST", "/api/v1/contracts/"+id(k.ID)+"/payments", map[string]any{"amount": 100000, "received_date": paidOn})
		var pay, rev cohort.Payment
		o.admin.must(201, "POST", "/api/v1/contracts/"+id(k.ID)+"/payments", map[string]any{"amount": 100000, "received_date": paidOn}, &pay)
		refused(t, o.alice, 422, "date", "POST", "/api/v1/contracts/"+id(k.ID)+"/payments/"+id(pay.ID)+"/reverse",
			map[string]any{"reason": "退款", "date": now.Add(2 * day).Format(time.DateOnly)})
		refused(t, o.admin, 422, "date", "POST", "/api/v1/contracts/"+id(k.ID)+"/payments/"+id(pay.ID)+"/reverse",
			map[string]any{"reason": "退款", "date": now.Add(-41 * day).Format(time.DateOnly)})
		o.alice.must(201, "POST", "/api/v1/contracts/"+id(k.ID)+"/payments/"+id(pay.ID)+"/reverse", map[string]any{"reason": "退款"}, &rev)
		if rev.ReceivedDate == pay.ReceivedDate || rev.Amount != -100000 || pay.ReceivedDate != paidOn {
			t.Fatalf("payment %+v, reversal %+v", pay, rev)
		}

		// Void: not of an unsigned contract; of a signed one with a reason and
		// a date; it stays visible and the customer's first signing goes.
		var draft cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "草稿", "lines": lines}, &draft)
		refused(t, o.alice, 422, "status", "POST", "/api/v1/contracts/"+id(draft.ID)+"/void", map[string]any{"reason": "录错"})
		refused(t, o.alice, 422, "reason", "POST", "/api/v1/contracts/"+id(k.ID)+"/void", map[string]any{"reason": " "})
		refused(t, o.alice, 422, "voided_at", "POST", "/api/v1/contracts/"+id(k.ID)+"/void", map[string]any{"reason": "录错", "voided_at": rfc(signedAt.Add(-day))})
		refused(t, o.alice, 422, "status", "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "voided"})
		var cust cohort.Customer
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID), nil, &cust)
		if cust.FirstSignedAt == nil || !cust.FirstSignedAt.Equal(signedAt) {
			t.Fatalf("first signed %v, want %v", cust.FirstSignedAt, signedAt)
		}
		voidedAt := now.Add(-2 * time.Hour)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/void", map[string]any{"reason": "客户撤销", "voided_at": rfc(voidedAt)}, &k2)
		if k2.Status != cohort.DealVoided || k2.VoidReason != "客户撤销" || k2.VoidedAt == nil || !k2.VoidedAt.Equal(voidedAt) || k2.SignedAt == nil {
			t.Fatalf("voided %+v", k2)
		}
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID), nil, &cust)
		if cust.FirstSignedAt != nil {
			t.Fatalf("a void contract still counts as the first signing: %v", cust.FirstSignedAt)
		}
		refused(t, o.alice, 409, "void", "POST", "/api/v1/contracts/"+id(k.ID)+"/void", map[string]any{"reason": "again"})
		refused(t, o.alice, 409, "voided", "POST", "/api/v1/contracts/"+id(k.ID)+"/payments", map[string]any{"amount": 1})
		var voided cohort.Page[cohort.Deal]
		o.alice.must(200, "GET", "/api/v1/contracts?filter=status:eq:voided", nil, &voided)
		if len(voided.Items) != 1 || voided.Items[0].ID != k.ID {
			t.Fatalf("voided contracts listed: %+v", voided.Items)
		}

		// Repeated stage entries, each with its own time, dated in order.
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "反复的商机", "amount": 500000}, &opp)
		refused(t, o.alice, 403, "created_at", "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "x", "created_at": rfc(now.Add(-day))})
		refused(t, o.admin, 422, "created_at", "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "x", "created_at": rfc(now.Add(day))})
		var old cohort.Opportunity
		o.admin.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "两年前的商机", "amount": 300000, "created_at": rfc(now.Add(-700 * day))}, &old)
		if !old.CreatedAt.Equal(now.Add(-700 * day)) {
			t.Fatalf("created_at %v", old.CreatedAt)
		}
		var stages cohort.Page[cohort.StageEntry]
		o.admin.must(200, "GET", "/api/v1/opportunities/"+id(old.ID)+"/stages", nil, &stages)
		hist := stages.Items
		if len(hist) != 1 || !hist[0].EnteredAt.Equal(old.CreatedAt) || !hist[0].RecordedAt.After(old.CreatedAt) {
			t.Fatalf("first stage of a backdated opportunity %+v", hist)
		}
		// Entered later: refused before the record began; then moves at past times
		// (the opportunity was created now, so it cannot enter a stage before).
		refused(t, o.alice, 422, "entered_at", "POST", "/api/v1/opportunities/"+id(opp.ID)+"/stage", map[string]any{"stage": "quote", "entered_at": rfc(now.Add(-day))})
		for _, st := range []string{"quote", "qualify", "quote"} {
			o.alice.must(200, "POST", "/api/v1/opportunities/"+id(opp.ID)+"/stage", map[string]any{"stage": st}, nil)
		}
		o.alice.must(200, "GET", "/api/v1/opportunities/"+id(opp.ID)+"/stages", nil, &stages)
		hist = stages.Items
		if len(hist) != 4 || hist[1].Stage != "quote" || hist[3].Stage != "quote" || hist[3].LeftAt != nil || hist[1].LeftAt == nil {
			t.Fatalf("repeated stages %+v", hist)
		}
		refused(t, o.alice, 422, "closed_at", "POST", "/api/v1/opportunities/"+id(opp.ID)+"/close", map[string]any{"outcome": "won", "closed_at": rfc(now.Add(time.Hour))})
		refused(t, o.alice, 422, "closed_at", "POST", "/api/v1/opportunities/"+id(opp.ID)+"/close", map[string]any{"outcome": "won", "closed_at": rfc(hist[3].EnteredAt.Add(-time.Minute))})
		var found cohort.Opportunity
		o.alice.must(200, "GET", "/api/v1/opportunities/"+id(opp.ID), nil, &found)
		if found.Status != cohort.OppOpen {
			t.Fatalf("a refused close wrote: %+v", found)
		}
		// The old opportunity's history: stages dated in the past, won last year.
		wonAt := now.Add(-300 * day)
		o.admin.must(200, "POST", "/api/v1/opportunities/"+id(old.ID)+"/stage", map[string]any{"stage": "quote", "entered_at": rfc(now.Add(-600 * day))}, nil)
		refused(t, o.admin, 422, "entered_at", "POST", "/api/v1/opportunities/"+id(old.ID)+"/stage", map[string]any{"stage": "qualify", "entered_at": rfc(now.Add(-650 * day))})
		o.admin.must(200, "POST", "/api/v1/opportunities/"+id(old.ID)+"/close", map[string]any{"outcome": "won", "closed_at": rfc(wonAt)}, &found)
		if found.ClosedAt == nil || !found.ClosedAt.Equal(wonAt) {
			t.Fatalf("won at %v", found.ClosedAt)
		}

		// Every write dated beyond the window or setting a creation time is
		// audited with both times.
		var audit cohort.Page[cohort.AuditEntry]
		o.admin.must(200, "GET", "/api/v1/audit?filter=action:eq:backdate&limit=200", nil, &audit)
		fields := map[string]int{}
		for _, e := range audit.Items {
			for _, ch := range e.Changes {
				fields[ch.Field]++
			}
		}
		if fields["created_at"] != 1 || fields["closed_at"] != 1 || fields["entered_at"] != 1 || fields["received_date"] != 1 ||
			fields["recorded_at"] != 4 {
			t.Fatalf("backdate audit fields %v", fields)
		}

		// A lead converted a month ago makes a customer and an opportunity that
		// began then; dating it needs the backdate permission.
		var lead, conv cohort.Lead
		o.admin.must(201, "POST", "/api/v1/leads", map[string]any{"name": "钱先生", "company": "宁波旧线索贸易有限公司", "phone": "13900000001",
			"created_at": rfc(now.Add(-60 * day))}, &lead)
		var own cohort.Lead
		o.alice.must(201, "POST", "/api/v1/leads", map[string]any{"name": "孙女士", "company": "温州新线索贸易有限公司", "phone": "13900000002"}, &own)
		refused(t, o.alice, 403, "converted_at", "POST", "/api/v1/leads/"+id(own.ID)+"/convert", map[string]any{"converted_at": rfc(now.Add(-time.Minute))})
		refused(t, o.admin, 422, "converted_at", "POST", "/api/v1/leads/"+id(lead.ID)+"/convert", map[string]any{"converted_at": rfc(now.Add(-61 * day))})
		convertedAt := now.Add(-30 * day)
		o.admin.must(200, "POST", "/api/v1/leads/"+id(lead.ID)+"/convert", map[string]any{"converted_at": rfc(convertedAt),
			"opportunity": map[string]any{"name": "旧线索商机", "amount": 100000}}, &conv)
		var made cohort.Customer
		var madeOpp cohort.Opportunity
		o.admin.must(200, "GET", "/api/v1/customers/"+id(conv.CustomerID), nil, &made)
		o.admin.must(200, "GET", "/api/v1/opportunities/"+id(conv.OpportunityID), nil, &madeOpp)
		if conv.ConvertedAt == nil || !conv.ConvertedAt.Equal(convertedAt) || !made.CreatedAt.Equal(convertedAt) || !madeOpp.CreatedAt.Equal(convertedAt) {
			t.Fatalf("dated conversion: lead %v, customer %v, opportunity %v", conv.ConvertedAt, made.CreatedAt, madeOpp.CreatedAt)
		}

		// A department move dated in the past splits Alice's events by it.
		var depts cohort.Page[cohort.Department]
		o.admin.must(200, "GET", "/api/v1/departments", nil, &depts)
		var presales cohort.ID
		for _, d := range depts.Items {
			if d.Name == "售前部" {
				presales = d.ID
			}
		}
		var k3 cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "调动后签约", "lines": lines}, &k3)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k3.ID)+"/status", map[string]any{"status": "signed", "signed_at": rfc(now.Add(-2 * day))}, &k3)
		before := o.logAt(t, c.ID, now.Add(-5*day))
		after := o.logAt(t, c.ID, now.Add(-2*day))
		moveAt := now.Add(-4 * day)
		refused(t, o.mgr, 403, "", "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"department_id": presales, "org_effective_at": rfc(moveAt)})
		refused(t, o.admin, 422, "org_effective_at", "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"department_id": presales, "org_effective_at": rfc(now.Add(day))})
		refused(t, o.admin, 422, "org_effective_at", "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"department_id": presales, "org_effective_at": rfc(moveAt)})
		// Alice's first department is dated back to when she joined, then the move.
		o.admin.must(200, "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"org_effective_at": rfc(now.Add(-500 * day))}, nil)
		refused(t, o.admin, 422, "org_effective_at", "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"org_effective_at": rfc(now.Add(-400 * day))})
		o.admin.must(200, "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"department_id": presales, "org_effective_at": rfc(moveAt)}, nil)
		var spanPage cohort.Page[cohort.OrgAssignment]
		o.admin.must(200, "GET", "/api/v1/users/"+id(o.aliceU.ID)+"/org-history", nil, &spanPage)
		spans := spanPage.Items
		if len(spans) != 2 || !spans[0].ValidFrom.Equal(now.Add(-500*day)) || spans[0].ValidTo == nil || !spans[0].ValidTo.Equal(moveAt) ||
			!spans[1].ValidFrom.Equal(moveAt) || spans[1].DepartmentID != presales {
			t.Fatalf("org spans %+v", spans)
		}
		for at, want := range map[time.Time]cohort.ID{now.Add(-5 * day): o.aliceU.DepartmentID, now.Add(-2 * day): presales, now.Add(-400 * day): o.aliceU.DepartmentID} {
			if got, _, err := store.DepartmentAt(t.Context(), db.Read(), o.tenant.ID, o.aliceU.ID, at); err != nil || got != want {
				t.Fatalf("department at %v: %s %v, want %s", at, got, err, want)
			}
		}
		var fs cohort.Page[cohort.FollowUp]
		o.alice.must(200, "GET", "/api/v1/followups?filter=customer_id:eq:"+id(c.ID)+"&limit=100", nil, &fs)
		var f1, f2 cohort.FollowUp
		for _, f := range fs.Items {
			switch f.ID {
			case before:
				f1 = f
			case after:
				f2 = f
			}
		}
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k3.ID), nil, &k3)
		if f1.DepartmentID != o.aliceU.DepartmentID || f2.DepartmentID != presales || k3.SigningDepartmentID != presales || k3.DepartmentID != o.aliceU.DepartmentID {
			t.Fatalf("departments: follow-up before the move %s, after %s, contract signed after %s (record %s)", f1.DepartmentID, f2.DepartmentID,
				k3.SigningDepartmentID, k3.DepartmentID)
		}
		// Moves are dated in order.
		refused(t, o.admin, 422, "org_effective_at", "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"department_id": o.aliceU.DepartmentID, "org_effective_at": rfc(now.Add(-5 * day))})
	})
}

// logAt logs a follow-up by Alice on customer c dated at, and returns its id.
func (o *salesOrg) logAt(t *testing.T, c cohort.ID, at time.Time) cohort.ID {
	t.Helper()
	var res struct {
		FollowUp cohort.FollowUp `json:"followup"`
	}
	o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c, "type": "call", "occurred_at": rfc(at), "content": "回访",
		"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, &res)
	return res.FollowUp.ID
}
