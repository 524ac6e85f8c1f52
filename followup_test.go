package cohort

import (
	"testing"
	"time"
)

func TestResolveFuzzy(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// Wednesday 2026-11-25 20:30 in Shanghai.
	now := time.Date(2026, 11, 25, 20, 30, 0, 0, sh)
	cases := map[string][2]string{
		"later_today": {"2026-11-25 20:30", "2026-11-26 00:00"},
		"tonight":     {"2026-11-25 20:30", "2026-11-26 00:00"},
		"tomorrow":    {"2026-11-26 00:00", "2026-11-27 00:00"},
		"this_week":   {"2026-11-25 20:30", "2026-11-30 00:00"},
		"next_week":   {"2026-11-30 00:00", "2026-12-07 00:00"},
		"next_month":  {"2026-12-01 00:00", "2027-01-01 00:00"},
	}
	for fuzzy, want := range cases {
		from, to, err := ResolveFuzzy(fuzzy, now, sh)
		if err != nil {
			t.Fatal(err)
		}
		got := [2]string{from.In(sh).Format("2006-01-02 15:04"), to.In(sh).Format("2006-01-02 15:04")}
		if got != want {
			t.Errorf("%s: got %v, want %v", fuzzy, got, want)
		}
	}
	// Morning: tonight starts at 18:00; on a Sunday, this week ends at midnight.
	morning := time.Date(2026, 11, 29, 9, 0, 0, 0, sh)
	from, _, _ := ResolveFuzzy("tonight", morning, sh)
	if from.In(sh).Hour() != 18 {
		t.Errorf("tonight from %v", from.In(sh))
	}
	_, to, _ := ResolveFuzzy("this_week", morning, sh)
	if to.In(sh).Format("2006-01-02 15:04") != "2026-11-30 00:00" {
		t.Errorf("this_week on Sunday ends %v", to.In(sh))
	}
	if _, _, err := ResolveFuzzy("someday", now, sh); ErrorCode(err) != EINVALID {
		t.Errorf("unknown fuzzy: %v", err)
	}
}

func TestCompanyKeyAndCreditCode(t *testing.T) {
	if CompanyKey("北京星云科技有限公司") != CompanyKey(" 北京 星云科技 （有限公司）") {
		t.Errorf("keys differ: %q %q", CompanyKey("北京星云科技有限公司"), CompanyKey(" 北京 星云科技 （有限公司）"))
	}
	if CompanyKey("Acme Co., Ltd.") != CompanyKey("ACME co ltd") {
		t.Errorf("latin keys differ: %q %q", CompanyKey("Acme Co., Ltd."), CompanyKey("ACME co ltd"))
	}
	if !ValidCreditCode("91350100M000100Y43") {
		t.Error("a valid credit code was refused")
	}
	if ValidCreditCode("91350100M000100Y44") {
		t.Error("a wrong check character was accepted")
	}
}
