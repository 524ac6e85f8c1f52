package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestStageTotals: the board's column totals come from the metric engine
// and equal a count and a sum over the cards the board lists — every open
// opportunity of the process in the asker's scope and view, with or
// without an expected close date — for several askers, views and filters,
// after moves, co-ownership, an amount change and closes.
func TestStageTotals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var board cohort.SalesProcess
		o.admin.must(201, "POST", "/api/v1/sales-processes", map[string]any{"key": "board", "name_zh": "看板流程", "name_en": "Board", "stages": []map[string]any{
			{"key": "s1", "name_zh": "一", "name_en": "One", "probability": 10},
			{"key": "s2", "name_zh": "二", "name_en": "Two", "probability": 50},
			{"key": "s3", "name_zh": "三", "name_en": "Three", "probability": 80}}}, &board)
		var procs cohort.Page[cohort.SalesProcess]
		o.admin.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		other := procs.Items[0].ID

		customer := func(c *client, name string) cohort.ID {
			var x cohort.Customer
			c.must(201, "POST", "/api/v1/customers", map[string]any{"name": name}, &x)
			return x.ID
		}
		cA, cB, cM := customer(o.alice, "看板甲有限公司"), customer(o.bob, "看板乙有限公司"), customer(o.mgr, "看板丙有限公司")
		opp := func(c *client, cust cohort.ID, proc cohort.ID, name string, amount int64, closeDate string) cohort.Opportunity {
			var x cohort.Opportunity
			body := map[string]any{"customer_id": cust, "process_id": proc, "name": name, "amount": amount}
			if closeDate != "" {
				body["expected_close_date"] = closeDate
			}
			c.must(201, "POST", "/api/v1/opportunities", body, &x)
			return x
		}
		move := func(c *client, x cohort.Opportunity, stage string) {
			c.must(200, "POST", "/api/v1/opportunities/"+x.ID.String()+"/stage", map[string]any{"stage": stage}, nil)
		}
		a1 := opp(o.alice, cA, board.ID, "甲一", 100000, "2027-03-31")
		a2 := opp(o.alice, cA, board.ID, "甲二", 250050, "") // no expected close date: no opportunity.open fact
		move(o.alice, a2, "s2")
		o.alice.must(200, "PATCH", "/api/v1/opportunities/"+a2.ID.String(), map[string]any{"amount": 260070}, nil)
		a3 := opp(o.alice, cA, board.ID, "甲三", 33300, "")
		o.alice.must(200, "PUT", "/api/v1/opportunities/"+a3.ID.String()+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner"}, {"user_id": o.preU.ID, "role": "presales", "share_bp": 10000}}}, nil)
		a4 := opp(o.alice, cA, board.ID, "甲四", 900000, "2027-01-15")
		move(o.alice, a4, "s3")
		o.alice.must(200, "POST", "/api/v1/opportunities/"+a4.ID.String()+"/close", map[string]any{"outcome": "won"}, nil)
		a5 := opp(o.alice, cA, board.ID, "甲五", 400000, "")
		move(o.alice, a5, "s3")
		move(o.alice, a5, "s2") // back again: one entry in force
		o.alice.must(200, "POST", "/api/v1/opportunities/"+a5.ID.String()+"/close", map[string]any{"outcome": "lost", "loss_reason": "price"}, nil)
		a6 := opp(o.alice, cA, board.ID, "甲六", 50000, "")
		move(o.alice, a6, "s3")
		b1 := opp(o.bob, cB, board.ID, "乙一", 700001, "2027-02-01")
		o.admin.must(200, "PUT", "/api/v1/opportunities/"+b1.ID.String()+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.bobU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.aliceU.ID, "role": "owner", "share_bp": 4000}}}, nil)
		move(o.bob, b1, "s2")
		o.alice.must(204, "PUT", "/api/v1/opportunities/"+b1.ID.String()+"/follow", nil, nil)
		b2 := opp(o.bob, cB, board.ID, "乙二", 123456, "")
		move(o.bob, b2, "s3")
		opp(o.mgr, cM, board.ID, "丙一", 777, "")
		opp(o.alice, cA, other, "别的流程", 5_000_000, "") // another process: on no column of this board

		// The board of an asker: its cards, read page by page.
		cards := func(c *client, query url.Values) map[string]service.StageTotal {
			t.Helper()
			out := map[string]service.StageTotal{}
			cursor := ""
			for {
				v := url.Values{"filter": {"process_id:eq:" + board.ID.String(), "status:eq:open"}, "limit": {"2"}}
				for k, x := range query {
					switch k {
					case "view":
						v.Set(k, x[0])
					case "owner_id", "customer_id":
						v.Add("filter", k+":eq:"+x[0])
					}
				}
				if cursor != "" {
					v.Set("cursor", cursor)
				}
				var p cohort.Page[cohort.Opportunity]
				c.must(200, "GET", "/api/v1/opportunities?"+v.Encode(), nil, &p)
				for _, x := range p.Items {
					s := out[x.Stage]
					s.Count++
					s.Amount += x.Amount
					out[x.Stage] = s
				}
				if cursor = p.NextCursor; cursor == "" {
					return out
				}
			}
		}
		totals := func(c *client, query url.Values) service.StageTotals {
			t.Helper()
			v := url.Values{"process_id": {board.ID.String()}}
			for k, x := range query {
				v.Set(k, x[0])
			}
			var st service.StageTotals
			c.must(200, "GET", "/api/v1/opportunities/stage-totals?"+v.Encode(), nil, &st)
			if len(st.Stages) != 3 || st.Stages[0].Stage != "s1" || st.Stages[2].Stage != "s3" {
				t.Fatalf("stages %+v", st.Stages)
			}
			return st
		}
		check := func(who string, c *client, query url.Values) service.StageTotals {
			t.Helper()
			st, want := totals(c, query), cards(c, query)
			for _, s := range st.Stages {
				w := want[s.Stage]
				if s.Count != w.Count || s.Amount != w.Amount {
					t.Errorf("%s %v, %s: engine %d / %d, cards %d / %d", who, query, s.Stage, s.Count, s.Amount, w.Count, w.Amount)
				}
			}
			return st
		}
		askers := []struct {
			name string
			c    *client
		}{{"admin", o.admin}, {"mgr", o.mgr}, {"alice", o.alice}, {"bob", o.bob}, {"pre", o.pre}}
		for _, a := range askers {
			for _, view := range []string{"all", "mine", "team", "followed"} {
				check(a.name, a.c, url.Values{"view": {view}})
			}
		}
		check("admin", o.admin, url.Values{"owner_id": {o.aliceU.ID.String()}})
		check("admin", o.admin, url.Values{"customer_id": {cB.String()}})
		check("mgr", o.mgr, url.Values{"view": {"mine"}, "customer_id": {cM.String()}})

		// Figures worked out by hand: the admin's whole board, and Alice's
		// (hers, and Bob's on which she is a co-owner: the whole amount).
		want := func(st service.StageTotals, counts [3]int64, amounts [3]int64) {
			t.Helper()
			for i, s := range st.Stages {
				if s.Count != counts[i] || s.Amount != amounts[i] {
					t.Errorf("%s: %d / %d, want %d / %d", s.Stage, s.Count, s.Amount, counts[i], amounts[i])
				}
			}
		}
		want(check("admin", o.admin, nil), [3]int64{3, 2, 2}, [3]int64{100000 + 33300 + 777, 260070 + 700001, 50000 + 123456})
		want(check("alice", o.alice, nil), [3]int64{2, 2, 1}, [3]int64{100000 + 33300, 260070 + 700001, 50000})
		want(check("pre", o.pre, nil), [3]int64{1, 0, 0}, [3]int64{33300, 0, 0})

		// A move changes the columns at once (the facts are written with it).
		move(o.alice, a1, "s3")
		want(check("alice", o.alice, nil), [3]int64{1, 2, 2}, [3]int64{33300, 260070 + 700001, 100000 + 50000})

		// Bad input is a 4xx.
		for path, status := range map[string]int{
			"/api/v1/opportunities/stage-totals":                                                 400,
			"/api/v1/opportunities/stage-totals?process_id=x1":                                   400,
			"/api/v1/opportunities/stage-totals?process_id=" + board.ID.String() + "&view=no":    400,
			fmt.Sprintf("/api/v1/opportunities/stage-totals?process_id=%d", board.ID+999):        404,
			"/api/v1/opportunities/stage-totals?process_id=" + board.ID.String() + "&owner_id=z": 400,
		} {
			if res := o.admin.do("GET", path, nil, nil); res.status != status {
				t.Errorf("%s: %d %s, want %d", path, res.status, res.body, status)
			}
		}
	})
}
