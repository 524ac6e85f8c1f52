package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ｃｏｈｏｒｔ　ＣＲＭ", "cohort crm"},
		{"  华东\t科技\n\n有限公司  ", "华东 科技 有限公司"},
		{"电话：１３８－００１３", "电话:138-0013"},
		{"ÉCOLE Straße", "école straße"},
		{"客户，管理。", "客户,管理。"},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string // must all be present
		not  []string // must all be absent
	}{
		{"客户管理", []string{"客", "客户", "户", "户管", "管", "管理", "理"}, []string{"客户管", "客户管理"}},
		{"Cohort客户管理CRM系统",
			[]string{"cohort", "ohort", "t", "客户", "理", "crm", "rm", "m", "系统", "系", "统"},
			[]string{"t客", "理c", "cohort客户管理crm系统"}},
		{"Ｃｏｈｏｒｔ", []string{"cohort"}, []string{"Ｃｏｈｏｒｔ", "Cohort"}},
		{"Zhang.San@Example.COM", []string{"zhang", "san", "example", "com", "ample"}, []string{"zhang.san@example.com", "."}},
		{"电话 138-0013-8000", []string{"138", "0013", "8000", "13800138000", "00138000", "8000"}, []string{"-"}},
		{"+86 138 0013 8000", []string{"13800138000"}, []string{"+86", "8613800138000"}},
		{"a_b, c/d (e)!", []string{"a", "b", "c", "d", "e"}, []string{"a_b", ",", "("}},
		{"好😀棒 ok👍", []string{"好", "棒", "ok"}, []string{"😀", "好😀", "好棒"}},
		{"東京タワー 서울", []string{"東京", "京タ", "タワ", "ワー", "서울", "서"}, nil},
		{"supercalifragilisticexpialidocious",
			[]string{"supercalifragili", "docious", "s"},
			[]string{"supercalifragilisticexpialidocious"}},
	} {
		got := Tokenize(c.in)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("Tokenize(%q) = %q lacks %q", c.in, got, w)
			}
		}
		for _, n := range c.not {
			if slices.Contains(got, n) {
				t.Errorf("Tokenize(%q) = %q has %q", c.in, got, n)
			}
		}
		for _, tok := range got {
			if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r < 0x80 && class(r) == sep }) {
				t.Errorf("Tokenize(%q): token %q is empty or holds ASCII punctuation", c.in, tok)
			}
		}
	}
	if got := Tokenize("客户客户"); len(got) != 4 { // 客 客户 户 户客, nothing twice
		t.Errorf("Tokenize(客户客户) = %q, want each token once", got)
	}
}

func TestIndexTextPhones(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Tel 138-0013-8000", "tel 138-0013-8000 13800138000"},
		{"(010) 8888-6666 转 12", "(010) 8888-6666 转 12 01088886666"},
		{"13800138000", "13800138000"}, // already compact
		{"2024 年", "2024 年"},           // too short to be a phone
	} {
		if got := IndexText(c.in); got != c.want {
			t.Errorf("IndexText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("客", MaxTextRunes+10)
	if got := IndexText(long); len([]rune(got)) != MaxTextRunes {
		t.Errorf("IndexText of %d runes kept %d, want %d", MaxTextRunes+10, len([]rune(got)), MaxTextRunes)
	}
}

func TestParseQuery(t *testing.T) {
	tokens := func(q Query) []string {
		var out []string
		for _, term := range q.Terms {
			for _, tk := range term.Tokens {
				s := tk.Text
				if tk.Prefix {
					s += "*"
				}
				out = append(out, s)
			}
		}
		return out
	}
	for _, c := range []struct {
		in    string
		terms []string
		toks  []string
	}{
		{"客", []string{"客"}, []string{"客"}},
		{"客户", []string{"客户"}, []string{"客户"}},
		{"客户管理", []string{"客户管理"}, []string{"客户", "户管", "管理"}},
		{"Coh", []string{"coh"}, []string{"coh*"}},
		{"ＣＲＭ系统", []string{"crm系统"}, []string{"crm*", "系统"}},
		{"t客", []string{"t客"}, []string{"t*", "客"}},
		{"客户 客户管理  华东", []string{"客户管理", "华东"}, []string{"客户", "户管", "管理", "华东"}},
		{"zhang@example.com", []string{"zhang@example.com"}, []string{"zhang*", "example*", "com*"}},
		{"supercalifragilisticexpialidocious", []string{"supercalifragilisticexpialidocious"}, []string{"supercalifragili*"}},
		{"a'b\" c:*&|!", []string{"a'b\"", "c:*&|!"}, []string{"a*", "b*", "c*"}},
		{"@ 客", []string{"@", "客"}, []string{"客"}},
	} {
		q, err := ParseQuery(c.in)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", c.in, err)
			continue
		}
		var terms []string
		for _, term := range q.Terms {
			terms = append(terms, term.Text)
		}
		if !slices.Equal(terms, c.terms) || !slices.Equal(tokens(q), c.toks) {
			t.Errorf("ParseQuery(%q) = terms %q tokens %q, want %q %q", c.in, terms, tokens(q), c.terms, c.toks)
		}
	}
	for _, bad := range []string{"", "   \t", "　", "😀", "-- !!", strings.Repeat("客", MaxQueryRunes+1)} {
		if _, err := ParseQuery(bad); cohort.ErrorCode(err) != cohort.EINVALID {
			t.Errorf("ParseQuery(%q) = %v, want EINVALID", bad, err)
		}
	}
	if _, err := ParseQuery(strings.Repeat("客", MaxQueryRunes)); err != nil {
		t.Errorf("a query of %d characters: %v", MaxQueryRunes, err)
	}
}

func TestStoredForms(t *testing.T) {
	key := tenantKey(42)
	if len(key) != 13 || len(tenantKey(1<<62)) != 13 {
		t.Fatalf("tenant keys must be 13 characters: %q %q", key, tenantKey(1<<62))
	}
	q, err := ParseQuery("客户 coh")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ftsQuery(key, q), `"`+key+`客户" AND "`+key+`coh"*`; got != want {
		t.Errorf("ftsQuery = %s, want %s", got, want)
	}
	if got, want := pgQuery(key, q), `'`+key+`客户' & '`+key+`coh':*`; got != want {
		t.Errorf("pgQuery = %s, want %s", got, want)
	}
	if got, want := pgVector(key, []string{"客"}, []string{"客", "x"}), `'`+key+`客':1A '`+key+`x':2`; got != want {
		t.Errorf("pgVector = %s, want %s", got, want)
	}
	q, err = ParseQuery("上海恒通科技有限公司 co")
	if err != nil {
		t.Fatal(err)
	}
	var look []string
	for _, tk := range q.Lookup() {
		look = append(look, tk.Text)
	}
	if want := []string{"上海", "海恒", "恒通", "通科"}; !slices.Equal(look, want) {
		t.Errorf("Lookup = %q, want %q", look, want)
	}
	q, _ = ParseQuery("有限公司 c")
	if got := len(q.Lookup()); got != 4 {
		t.Errorf("Lookup of only weak tokens has %d, want all 4", got)
	}
	if got := pgLexeme(`it's \`); got != `'it''s \\'` {
		t.Errorf("pgLexeme = %s", got)
	}
}
