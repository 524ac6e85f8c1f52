package metrics

import (
	"strings"
	"testing"
)

func TestFormula(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1 + 2 * 3", "(1 + (2 * 3))"},
		{"(1 + 2) * 3", "((1 + 2) * 3)"},
		{"a / b / c", "((a / b) / c)"},
		{"-a - -2", "((0 - a) - (0 - 2))"},
		{"won_opportunities/closed_opportunities*100", "((won_opportunities / closed_opportunities) * 100)"},
		{"stage_conversion:won + 0.5", "(stage_conversion:won + 0.5)"},
	} {
		e, err := parseFormula(tc.in)
		if err != nil || e.String() != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.in, e, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1 +", "(1", "1)", "a b", "1..2", "a % b", "#", strings.Repeat("a+", 70) + "a"} {
		if _, err := parseFormula(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	e, _ := parseFormula("1 / (2 - 2) + 3")
	if v := e.eval(nil); v != nil {
		t.Errorf("division by zero gave %v", *v)
	}
	if got := FormulaNames("a + b * (c - a)"); strings.Join(got, ",") != "a,b,c,a" {
		t.Errorf("names %v", got)
	}
}
