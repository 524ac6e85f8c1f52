package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// errorRows returns an import's error file as rows of line, reason, cells.
func (c *client) errorRows(imp cohort.Import) [][]string {
	c.e.t.Helper()
	res := c.do("GET", "/api/v1/imports/"+imp.ID.String()+"/errors.csv", nil, nil)
	if res.status != 200 {
		c.e.t.Fatalf("errors.csv: %d %s", res.status, res.body)
	}
	return readRows(c.e.t, "csv", res.body)[1:]
}

// TestMigrationImport migrates a small history file by file, each file
// naming the records of the earlier ones by the old system's ids: customers,
// contacts, opportunities with stage histories, outcomes and a 60/40 team,
// follow-ups. A second run skips every row; bad rows land in the error file
// naming their column, and nothing of them is written.
func TestMigrationImport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		en := o.admin
		en.must(200, "PATCH", "/api/v1/me", map[string]any{"locale": "en"}, nil)
		sh, _ := time.LoadLocation("Asia/Shanghai")
		at := func(s string) time.Time {
			tm, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
			if err != nil {
				t.Fatal(err)
			}
			return tm.UTC()
		}
		files := []struct {
			object string
			rows   [][]string
			n      int64
		}{
			{"customer", [][]string{
				{"External ID", "Name", "Owner", "Created at"},
				{"C-1", "星河科技有限公司", "alice@acme.test", "2024-01-10 09:00"},
				{"C-2", "Blue Ocean Ltd", "bob@acme.test", "2024-02-01 10:30"},
			}, 2},
			{"contact", [][]string{
				{"Customer external ID", "External ID", "Name", "Phone", "Created at"},
				{"C-1", "K-1", "张伟", "13800138001", "2024-01-11 09:00"},
				{"C-2", "K-2", "Mary", "13800138002", "2024-02-02 09:00"},
			}, 2},
			{"opportunity", [][]string{
				{"External ID", "Customer external ID", "Name", "Sales process", "Amount (yuan)", "Owner", "Team", "Created at", "Stage history",
					"Outcome", "Closed at", "Loss reason"},
				{"O-1", "C-1", "ERP upgrade", "big_order", "100000", "", "owner:alice@acme.test:60%; owner:bob@acme.test:40%; presales:pre@acme.test",
					"2024-01-15 10:00", "qualify@2024-01-15 10:00; needs@2024-02-01 10:00; qualify@2024-02-10 10:00; proposal@2024-03-01 10:00",
					"won", "2024-04-01 16:00", ""},
				{"O-2", "C-2", "CRM", "", "20000", "bob@acme.test", "", "2024-02-05 10:00", "", "lost", "2024-02-20 10:00", "price"},
			}, 2},
			{"contract", [][]string{
				{"External ID", "Customer external ID", "Opportunity external ID", "Amount (yuan)", "Team", "Created at", "Signed at", "Voided at", "Void reason"},
				{"CT-1", "C-1", "O-1", "100000", "owner:alice@acme.test:60%; owner:bob@acme.test:40%; presales:pre@acme.test",
					"2024-03-20 10:00", "2024-03-28 15:00", "", ""},
				{"CT-2", "C-2", "", "20000", "", "", "2024-02-15 10:00", "2024-03-01 10:00", "customer withdrew"},
			}, 2},
			{"payment", [][]string{
				{"Type", "External ID", "Document external ID", "Date", "Amount (yuan)", "Installment external ID", "Reversed payment external ID",
					"Note (reason of a reversal)"},
				{"installment", "PL-1", "CT-1", "2024-04-30", "60000", "", "", ""},
				{"installment", "PL-2", "CT-1", "2024-06-30", "40000", "", "", ""},
				{"payment", "P-1", "CT-1", "2024-05-10", "60000", "PL-1", "", ""},
				{"payment", "P-2", "CT-1", "2024-07-05", "40000", "PL-2", "", ""},
				{"reversal", "R-1", "CT-1", "2024-10-08", "", "", "P-2", "refunded"},
			}, 5},
			{"followup", [][]string{
				{"Customer external ID", "External ID", "Author", "Type", "Occurred at", "Duration (s)"},
				{"C-1", "F-1", "alice@acme.test", "call", "2024-01-12 10:00", "300"},
				{"C-1", "F-2", "alice@acme.test", "visit", "2024-02-03 14:00", "3600"},
				{"C-2", "F-3", "bob@acme.test", "email", "2024-02-04 09:00", ""},
			}, 3},
			{"ticket", [][]string{
				{"External ID", "Customer external ID", "Contract external ID", "Subject", "Kind", "Owner", "Opened at", "First response at",
					"Resolved at", "Closed at", "Resolution"},
				{"T-1", "C-1", "CT-1", "Login fails", "fault", "alice@acme.test", "2024-06-01 09:00", "2024-06-01 09:30", "2024-06-02 17:00",
					"2024-06-03 10:00", "certificate renewed"},
				{"T-2", "C-2", "", "Training", "request", "bob@acme.test", "2024-06-05 09:00", "", "", "", ""},
			}, 2},
		}
		// A dry run of the first file checks every row and writes nothing.
		dry := en.importFile("customer", true, "customers.csv", rawCSV(files[0].rows))
		if dry.RowsOK != 2 || dry.RowsFailed != 0 || count(t, db, "SELECT count(*) FROM customers WHERE external_id <> ''") != 0 {
			t.Fatalf("dry run %+v", dry)
		}
		counts := map[string]int{}
		tables := []string{"customers", "contacts", "opportunities", "opportunity_stages", "deals", "record_events", "payment_plans", "payments", "tickets", "followups", "record_team", "search_docs"}
		for run := 0; run < 2; run++ {
			for _, f := range files {
				imp := en.importFile(f.object, false, f.object+".csv", rawCSV(f.rows))
				wantOK, wantSkipped := f.n, int64(0)
				if run == 1 {
					wantOK, wantSkipped = 0, f.n
				}
				if imp.RowsOK != wantOK || imp.RowsSkipped != wantSkipped || imp.RowsFailed != 0 {
					t.Fatalf("run %d, %s: %+v %v", run, f.object, imp, en.errorRows(imp))
				}
			}
			for _, tb := range tables {
				n := count(t, db, "SELECT count(*) FROM "+tb)
				if run == 1 && n != counts[tb] {
					t.Errorf("the second run changed %s: %d, was %d", tb, n, counts[tb])
				}
				counts[tb] = n
			}
		}

		// Customers: found by external id, with their business creation
		// time, the time they were written beside it, and the owner's team
		// in force from their creation.
		var cs cohort.Page[cohort.Customer]
		en.must(200, "GET", "/api/v1/customers?filter=external_id:eq:C-1", nil, &cs)
		if len(cs.Items) != 1 || cs.Items[0].Name != "星河科技有限公司" || !cs.Items[0].CreatedAt.Equal(at("2024-01-10 09:00")) ||
			cs.Items[0].OwnerID != o.aliceU.ID || cs.Items[0].ExternalID != "C-1" {
			t.Fatalf("customer C-1: %+v", cs.Items)
		}
		c1 := cs.Items[0]
		if n := count(t, db, "SELECT count(*) FROM customers WHERE id = ? AND recorded_at > created_at", int64(c1.ID)); n != 1 {
			t.Errorf("recorded_at of C-1 not kept")
		}
		// The audit entry names the import and the business time.
		if n := count(t, db, "SELECT count(*) FROM audit_log WHERE action = 'import' AND object_id = ? AND CAST(changes AS TEXT) LIKE '%created_at%'", int64(c1.ID)); n != 1 {
			t.Errorf("import audit of C-1: %d entries", n)
		}
		var team cohort.Page[cohort.TeamMember]
		en.must(200, "GET", "/api/v1/customers/"+c1.ID.String()+"/team", nil, &team)
		if len(team.Items) != 1 || !team.Items[0].ValidFrom.Equal(at("2024-01-10 09:00")) {
			t.Errorf("customer team %+v", team.Items)
		}
		var ks []cohort.Contact
		var kp cohort.Page[cohort.Contact]
		en.must(200, "GET", "/api/v1/customers/"+c1.ID.String()+"/contacts", nil, &kp)
		ks = kp.Items
		if len(ks) != 1 || ks[0].ExternalID != "K-1" || !ks[0].CreatedAt.Equal(at("2024-01-11 09:00")) {
			t.Errorf("contacts of C-1: %+v", ks)
		}

		// The won opportunity: its stage history with the repeated stage,
		// its close, and the 60/40 owners with presales, all from its
		// creation time.
		var ops cohort.Page[cohort.Opportunity]
		en.must(200, "GET", "/api/v1/opportunities?filter=external_id:eq:O-1", nil, &ops)
		if len(ops.Items) != 1 {
			t.Fatalf("O-1: %+v", ops.Items)
		}
		o1 := ops.Items[0]
		if o1.Status != cohort.OppWon || o1.ClosedAt == nil || !o1.ClosedAt.Equal(at("2024-04-01 16:00")) || o1.Stage != "proposal" ||
			o1.Amount != 10000000 || o1.CustomerID != c1.ID || o1.OwnerID != o.aliceU.ID || !o1.CreatedAt.Equal(at("2024-01-15 10:00")) {
			t.Errorf("O-1: %+v", o1)
		}
		var stages cohort.Page[cohort.StageEntry]
		en.must(200, "GET", "/api/v1/opportunities/"+o1.ID.String()+"/stages", nil, &stages)
		var got []string
		for _, s := range stages.Items {
			got = append(got, s.Stage+"@"+s.EnteredAt.In(sh).Format("01-02"))
		}
		if strings.Join(got, " ") != "qualify@01-15 needs@02-01 qualify@02-10 proposal@03-01" ||
			stages.Items[0].LeftAt == nil || !stages.Items[0].LeftAt.Equal(at("2024-02-01 10:00")) {
			t.Errorf("stages %v %+v", got, stages.Items)
		}
		en.must(200, "GET", "/api/v1/opportunities/"+o1.ID.String()+"/team", nil, &team)
		shares := map[string]int{}
		for _, m := range team.Items {
			shares[m.Role+":"+m.UserID.String()] = m.ShareBP
			if !m.ValidFrom.Equal(o1.CreatedAt) {
				t.Errorf("member %+v not in force from the creation time", m)
			}
		}
		if len(team.Items) != 3 || shares["owner:"+o.aliceU.ID.String()] != 6000 || shares["owner:"+o.bobU.ID.String()] != 4000 ||
			shares["presales:"+o.preU.ID.String()] != 10000 {
			t.Errorf("O-1 team %+v", team.Items)
		}
		en.must(200, "GET", "/api/v1/opportunities?filter=external_id:eq:O-2", nil, &ops)
		if len(ops.Items) != 1 || ops.Items[0].Status != cohort.OppLost || ops.Items[0].LossReason != "price" || ops.Items[0].Stage != "qualify" {
			t.Errorf("O-2: %+v", ops.Items)
		}
		// Contracts: the 60/40 contract signed at its time, its team in
		// force from its start; the voided one counts in no first signing.
		var ds cohort.Page[cohort.Deal]
		en.must(200, "GET", "/api/v1/contracts?filter=external_id:eq:CT-1", nil, &ds)
		if len(ds.Items) != 1 || ds.Items[0].Status != cohort.DealSigned || ds.Items[0].SignedAt == nil ||
			!ds.Items[0].SignedAt.Equal(at("2024-03-28 15:00")) || ds.Items[0].Total != 10000000 || ds.Items[0].Number != "CT-1" ||
			ds.Items[0].OpportunityID != o1.ID || ds.Items[0].SigningDepartmentID != o.aliceU.DepartmentID {
			t.Fatalf("CT-1: %+v", ds.Items)
		}
		en.must(200, "GET", "/api/v1/contracts/"+ds.Items[0].ID.String()+"/team", nil, &team)
		shares = map[string]int{}
		for _, m := range team.Items {
			shares[m.Role+":"+m.UserID.String()] = m.ShareBP
			if !m.ValidFrom.Equal(at("2024-03-20 10:00")) {
				t.Errorf("contract member %+v not in force from the start", m)
			}
		}
		if len(team.Items) != 3 || shares["owner:"+o.aliceU.ID.String()] != 6000 || shares["owner:"+o.bobU.ID.String()] != 4000 {
			t.Errorf("CT-1 team %+v", team.Items)
		}
		en.must(200, "GET", "/api/v1/contracts?filter=external_id:eq:CT-2", nil, &ds)
		if len(ds.Items) != 1 || ds.Items[0].Status != cohort.DealVoided || ds.Items[0].VoidedAt == nil ||
			!ds.Items[0].VoidedAt.Equal(at("2024-03-01 10:00")) || ds.Items[0].VoidReason != "customer withdrew" {
			t.Errorf("CT-2: %+v", ds.Items)
		}
		var c1now, c2now cohort.Customer
		en.must(200, "GET", "/api/v1/customers/"+c1.ID.String(), nil, &c1now)
		en.must(200, "GET", "/api/v1/customers/"+ds.Items[0].CustomerID.String(), nil, &c2now)
		if c1now.FirstSignedAt == nil || !c1now.FirstSignedAt.Equal(at("2024-03-28 15:00")) || c2now.FirstSignedAt != nil {
			t.Errorf("first signings: %v %v", c1now.FirstSignedAt, c2now.FirstSignedAt)
		}
		// Payments: two installments, two payments against them and the
		// reversal of the second, dated in another quarter.
		en.must(200, "GET", "/api/v1/contracts?filter=external_id:eq:CT-1", nil, &ds)
		ct1 := ds.Items[0].ID
		var pays cohort.Page[cohort.Payment]
		en.must(200, "GET", "/api/v1/contracts/"+ct1.String()+"/payments", nil, &pays)
		byExt := map[string]cohort.Payment{}
		for _, p := range pays.Items {
			byExt[p.ExternalID] = p
		}
		if len(pays.Items) != 3 || byExt["P-1"].Amount != 6000000 || byExt["P-1"].PlanID == 0 || byExt["R-1"].Amount != -4000000 ||
			byExt["R-1"].ReversesID != byExt["P-2"].ID || byExt["R-1"].ReceivedDate != "2024-10-08" || byExt["R-1"].PlanID != byExt["P-2"].PlanID {
			t.Errorf("payments of CT-1: %+v", pays.Items)
		}
		badPays := [][]string{
			{"Type", "External ID", "Document external ID", "Date", "Amount (yuan)", "Reversed payment external ID"},
			{"payment", "P-10", "CT-404", "2024-05-10", "100", ""},
			{"payment", "P-11", "CT-1", "2099-05-10", "100", ""},
			{"payment", "P-12", "CT-1", "2024-03-01", "100", ""},
			{"reversal", "R-10", "CT-1", "2024-10-09", "", "P-2"},
			{"reversal", "R-11", "CT-1", "2024-05-01", "", "P-1"},
		}
		pimp := en.importFile("payment", false, "bad-payments.csv", rawCSV(badPays))
		if pimp.RowsOK != 0 || pimp.RowsFailed != 5 {
			t.Fatalf("bad payments: %+v %v", pimp, en.errorRows(pimp))
		}
		wantPay := map[string]string{"P-10": "Document external ID: no record has this external id", "P-11": "Date: must not be in the future",
			"P-12": "Date: must not be before the signing date 2024-03-28", "R-10": "Reversed payment external ID: the payment is reversed already",
			"R-11": "Date: must not be before the date of the payment it reverses, 2024-05-10"}
		for _, r := range en.errorRows(pimp) {
			if !strings.Contains(r[1], wantPay[r[3]]) {
				t.Errorf("payment error %v: want %q", r, wantPay[r[3]])
			}
		}
		if n := count(t, db, "SELECT count(*) FROM payments"); n != 3 {
			t.Errorf("%d payments", n)
		}

		badDeals := [][]string{
			{"External ID", "Customer external ID", "Amount (yuan)", "Team", "Signed at", "Voided at", "Void reason"},
			{"CT-10", "C-1", "100", "", "", "2024-03-01 10:00", "wrong"},
			{"CT-11", "C-1", "100", "owner:alice@acme.test:50%; owner:bob@acme.test:40%", "2024-03-01 10:00", "", ""},
			{"CT-12", "C-1", "100", "", "2024-03-01 10:00", "2024-02-01 10:00", "early"},
			{"CT-13", "C-1", "100", "", "2099-03-01 10:00", "", ""},
			{"CT-14", "C-404", "100", "", "", "", ""},
		}
		beforeDeals := count(t, db, "SELECT count(*) FROM deals")
		dimp := en.importFile("contract", false, "bad-contracts.csv", rawCSV(badDeals))
		if dimp.RowsOK != 0 || dimp.RowsFailed != 5 {
			t.Fatalf("bad contracts: %+v %v", dimp, en.errorRows(dimp))
		}
		wantDeal := map[string]string{"CT-10": "Voided at: a document that was never signed is not voided",
			"CT-11": "Team: the revenue roles' shares add up to 90 %", "CT-12": "Voided at: must not be before the signing",
			"CT-13": "Signed at: must not be in the future", "CT-14": "Customer external ID: no record has this external id"}
		for _, r := range en.errorRows(dimp) {
			if !strings.Contains(r[1], wantDeal[r[2]]) {
				t.Errorf("contract error %v: want %q", r, wantDeal[r[2]])
			}
		}
		if n := count(t, db, "SELECT count(*) FROM deals"); n != beforeDeals {
			t.Errorf("%d refused contracts written", n-beforeDeals)
		}

		var fs cohort.Page[cohort.FollowUp]
		en.must(200, "GET", "/api/v1/followups?filter=external_id:eq:F-2", nil, &fs)
		if len(fs.Items) != 1 || fs.Items[0].CustomerID != c1.ID || !fs.Items[0].OccurredAt.Equal(at("2024-02-03 14:00")) {
			t.Errorf("F-2: %+v", fs.Items)
		}

		// Tickets with their times and events.
		var ts cohort.Page[cohort.Ticket]
		en.must(200, "GET", "/api/v1/tickets?filter=external_id:eq:T-1", nil, &ts)
		if len(ts.Items) != 1 || ts.Items[0].Status != cohort.TicketClosed || !ts.Items[0].OpenedAt.Equal(at("2024-06-01 09:00")) ||
			ts.Items[0].FirstResponseAt == nil || !ts.Items[0].FirstResponseAt.Equal(at("2024-06-01 09:30")) || ts.Items[0].ResolvedAt == nil ||
			!ts.Items[0].ResolvedAt.Equal(at("2024-06-02 17:00")) || ts.Items[0].Number != "T-1" || ts.Items[0].CustomerID != c1.ID {
			t.Errorf("T-1: %+v", ts.Items)
		}
		if n := count(t, db, "SELECT count(*) FROM record_events WHERE record_type = 'ticket' AND record_id = ?", int64(ts.Items[0].ID)); n != 4 {
			t.Errorf("T-1 has %d events, want 4", n)
		}
		badTickets := [][]string{
			{"External ID", "Customer external ID", "Subject", "Opened at", "First response at", "Resolved at", "Resolution"},
			{"T-10", "C-1", "Early answer", "2024-06-01 09:00", "2024-05-01 09:00", "", ""},
			{"T-11", "C-1", "Future", "2099-06-01 09:00", "", "", ""},
			{"T-12", "C-1", "No resolution", "2024-06-01 09:00", "", "2024-06-02 09:00", ""},
		}
		timp := en.importFile("ticket", false, "bad-tickets.csv", rawCSV(badTickets))
		wantTicket := map[string]string{"T-10": "First response at: must not be before the Opened at", "T-11": "Opened at: must not be in the future",
			"T-12": "Resolution: a resolved ticket needs its resolution"}
		if timp.RowsOK != 0 || timp.RowsFailed != 3 {
			t.Fatalf("bad tickets: %+v %v", timp, en.errorRows(timp))
		}
		for _, r := range en.errorRows(timp) {
			if !strings.Contains(r[1], wantTicket[r[2]]) {
				t.Errorf("ticket error %v: want %q", r, wantTicket[r[2]])
			}
		}

		// Bad rows: each refused with a reason naming its column, nothing
		// of it written; the good row beside them is written.
		bad := [][]string{
			{"External ID", "Customer external ID", "Name", "Team", "Stage history", "Outcome", "Closed at", "Created at"},
			{"O-10", "C-404", "Unknown customer", "", "", "", "", ""},
			{"O-11", "C-1", "Future stage", "", "qualify@2099-01-01 10:00", "", "", ""},
			{"O-12", "C-1", "Shares", "owner:alice@acme.test:70%; owner:bob@acme.test:40%", "", "", "", ""},
			{"O-13", "C-1", "Unknown stage", "", "qualify@2024-01-01 10:00; signed@2024-02-01 10:00", "", "", ""},
			{"O-14", "C-1", "Out of order", "", "quote@2024-03-01 10:00; negotiation@2024-02-01 10:00", "", "", ""},
			{"O-15", "C-1", "Closed, no outcome", "", "", "", "2024-02-01 10:00", ""},
			{"O-16", "C-1", "Before creation", "", "qualify@2024-01-01 10:00", "", "", "2024-02-01 10:00"},
			{"O-17", "C-1", "Fine", "", "", "invalid", "2024-02-01 10:00", "2024-01-20 10:00"},
			{"O-17", "C-1", "Repeated id", "", "", "", "", ""},
		}
		before := count(t, db, "SELECT count(*) FROM opportunities")
		imp := en.importFile("opportunity", false, "bad.csv", rawCSV(bad))
		if imp.RowsOK != 1 || imp.RowsFailed != 8 {
			t.Fatalf("bad rows: %+v %v", imp, en.errorRows(imp))
		}
		want := map[string]string{
			"C-404": "Customer external ID: no record has this external id", "Future stage": "Stage history: entry 1",
			"Shares": "Team: the revenue roles' shares add up to 110 %", "Unknown stage": "has no stage \"signed\"",
			"Out of order": "Stage history: stage entries must be in time order", "Closed, no outcome": "Closed at: needs an outcome",
			"Before creation": "Stage history: stage entries must be in time order", "Repeated id": "External ID: repeats the external id",
		}
		rows := en.errorRows(imp)
		for _, r := range rows {
			key := r[4]
			if r[3] == "C-404" {
				key = "C-404"
			}
			if w, ok := want[key]; !ok || !strings.Contains(r[1], w) {
				t.Errorf("error row %v: want %q", r, w)
			}
			delete(want, key)
		}
		if len(want) > 0 {
			t.Errorf("not refused: %v (error file %v)", want, rows)
		}
		if n := count(t, db, "SELECT count(*) FROM opportunities"); n != before+1 {
			t.Errorf("%d opportunities written, want 1", n-before)
		}
		if n := count(t, db, "SELECT count(*) FROM opportunities WHERE external_id IN ('O-10','O-11','O-12','O-13','O-14','O-15','O-16')"); n != 0 {
			t.Errorf("%d refused rows written", n)
		}

		// Business times need the backdate permission: a sales manager may
		// import, not backdate; the file is refused at its header, naming
		// the column, and the template leaves the column out.
		res := o.mgr.upload("customer", false, "c.csv", rawCSV([][]string{{"Name", "Created at"}, {"X Ltd", "2024-01-01"}}))
		if res.status != 403 || !strings.Contains(res.problem(t).Detail, "创建时间") {
			t.Errorf("manager backdating: %d %s", res.status, res.body)
		}
		if res := o.mgr.upload("customer", false, "c.csv", rawCSV([][]string{{"Name", "External ID"}, {"X Ltd", "C-9"}})); res.status != 202 {
			t.Errorf("manager without business times: %d %s", res.status, res.body)
		}
		// Follow-ups carry their time in every row: without the permission,
		// those further back than the tenant's window (7 days) are refused.
		recent := time.Now().In(sh).Add(-48 * time.Hour).Format("2006-01-02 15:04")
		fimp := o.mgr.importFile("followup", false, "f.csv", rawCSV([][]string{{"Customer", "Type", "Occurred at"},
			{"星河科技有限公司", "call", recent}, {"星河科技有限公司", "call", "2024-01-12 10:00"}}))
		if fimp.RowsOK != 1 || fimp.RowsFailed != 1 || !strings.Contains(o.mgr.errorRows(fimp)[0][1], "Occurred at: 跟进时间") &&
			!strings.Contains(o.mgr.errorRows(fimp)[0][1], "需要“设置历史时间”") {
			t.Errorf("manager's old follow-ups: %+v %v", fimp, o.mgr.errorRows(fimp))
		}
		tpl := readRows(t, "csv", o.mgr.do("GET", "/api/v1/import/templates/opportunity.csv?lang=en", nil, nil).body)
		if strings.Contains(strings.Join(tpl[0], ","), "Created at") || !strings.Contains(strings.Join(tpl[0], ","), "Customer external ID") {
			t.Errorf("manager's template %v", tpl[0])
		}

		// The API: an external id is settable on create, unique per type.
		var c cohort.Customer
		en.must(201, "POST", "/api/v1/customers", map[string]any{"name": "API Ltd", "external_id": "C-100"}, &c)
		if c.ExternalID != "C-100" {
			t.Errorf("created %+v", c)
		}
		res = en.do("POST", "/api/v1/customers", map[string]any{"name": "API Two Ltd", "external_id": "C-100"}, nil)
		if res.status != 409 || !strings.Contains(string(res.body), "external_id") {
			t.Errorf("taken external id: %d %s", res.status, res.body)
		}
		if n := count(t, db, "SELECT count(*) FROM customers WHERE name = 'API Two Ltd'"); n != 0 {
			t.Errorf("conflicting customer written")
		}
	})
}
