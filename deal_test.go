package cohort_test

import (
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
)

func TestDealTotals(t *testing.T) {
	d := cohort.Deal{Kind: cohort.ObjOrder, Name: "x", CustomerID: 1, Discount: 1, Lines: []cohort.DealLine{
		{ProductID: 1, Quantity: 3, UnitPrice: 333, DiscountBP: 5000}, // 499.5 → 500, half up
		{ProductID: 2, Quantity: 1, UnitPrice: 1},
	}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Lines[0].Amount != 500 || d.Subtotal != 501 || d.Total != 500 {
		t.Fatalf("amounts %+v subtotal %d total %d", d.Lines, d.Subtotal, d.Total)
	}
	d.Discount = 502
	if err := d.Validate(); err == nil {
		t.Fatal("a discount above the lines passed")
	}
}

func TestDealTransitions(t *testing.T) {
	if err := cohort.CheckTransition(cohort.ObjContract, "signed", "active"); err != nil {
		t.Fatal(err)
	}
	err := cohort.CheckTransition(cohort.ObjOrder, "draft", "delivered")
	if cohort.ErrorCode(err) != cohort.EINVALID || !strings.Contains(err.Error(), "allowed: signed, cancelled") {
		t.Fatalf("draft → delivered: %v", err)
	}
	if err := cohort.CheckTransition(cohort.ObjQuote, "rejected", "sent"); !strings.Contains(err.Error(), "rejected is final") {
		t.Fatalf("from a final status: %v", err)
	}
}

func TestBalances(t *testing.T) {
	plans := []cohort.PaymentPlan{
		{ID: 3, DueDate: "2026-05-15", Amount: 400},
		{ID: 1, DueDate: "2026-03-15", Amount: 300},
		{ID: 2, DueDate: "2026-04-15", Amount: 300},
	}
	pays := []cohort.Payment{{Amount: 200}, {Amount: 150, PlanID: 2}, {Amount: 50, PlanID: 99}}
	b := cohort.Balances(1000, 0, plans, pays, "2026-04-15")
	// Installment 2 takes its 150 first; the other 250 cover installment 1 in due order.
	if b.Collected != 400 || b.Receivable != 600 || b.Planned != 1000 || b.Overdue != 50 || b.Due != 200 ||
		b.NextDue == nil || b.NextDue.ID != 2 || b.NextDue.Remaining != 150 {
		t.Fatalf("balance %+v next %+v", b, b.NextDue)
	}
	if plans[0].ID != 1 || plans[0].Covered != 250 || !plans[0].Overdue || plans[1].Overdue || plans[2].Covered != 0 {
		t.Fatalf("plans %+v", plans)
	}
	// An overpaid installment spills into the next one.
	plans = []cohort.PaymentPlan{{ID: 1, DueDate: "2026-01-01", Amount: 100}, {ID: 2, DueDate: "2026-02-01", Amount: 100}}
	b = cohort.Balances(200, 0, plans, []cohort.Payment{{Amount: 150, PlanID: 2}}, "2026-03-01")
	if plans[0].Covered != 50 || plans[1].Covered != 100 || b.Overdue != 50 || b.NextDue != nil {
		t.Fatalf("spill %+v %+v", plans, b)
	}
}
