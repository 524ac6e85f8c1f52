package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// A team changed at the very instant its record began, then an event
// entered for a time before that: the record's start moves back with the
// team in force at its start — the team after the change — and not with
// the team the change ended, or that team and the new one would both be in
// force from the new start (one person twice in one role, two owners at
// 100 % each).
func TestRecordStartMovesOnlyTheTeamInForce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		now := time.Now().UTC().Truncate(time.Second)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "TS-1", "name": "起点", "price": 1000000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "起点团队有限公司"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "起点合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &k)
		// At the instant the contract began: Alice 60 % with Bob 40 %.
		o.mgr.must(200, "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"effective_at": k.CreatedAt.UTC().Format(time.RFC3339Nano),
			"members": []map[string]any{{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.bobU.ID, "role": "owner", "share_bp": 4000}}}, nil)
		signedAt := now.Add(-3 * 24 * time.Hour)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed", "signed_at": rfc(signedAt)}, &k)
		var then cohort.Page[cohort.TeamMember]
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team?at="+rfc(signedAt), nil, &then)
		if r := memberRoles(then.Items); len(then.Items) != 2 || r[o.aliceU.ID] != "owner:6000 " || r[o.bobU.ID] != "owner:4000 " {
			t.Fatalf("team at the signing before the start: %v", r)
		}
		dept := int64(o.aliceU.DepartmentID)
		want := []string{fmt.Sprintf("%d:owner:6000:1000000:%d", o.aliceU.ID, dept), fmt.Sprintf("%d:owner:4000:1000000:%d", o.bobU.ID, int64(o.bobU.DepartmentID))}
		if got := factRows(t, db, o.tenant.ID, k.ID, "contract.signed"); fmt.Sprint(sortedCopy(got)) != fmt.Sprint(sortedCopy(want)) {
			t.Fatalf("the signing is credited to %v, want %v", got, want)
		}
	})
}
