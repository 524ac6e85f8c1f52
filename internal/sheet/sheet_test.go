package sheet

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("x")`: `'=HYPERLINK("x")`, "+1": "'+1", "-2": "'-2", "@A1": "'@A1", "\tx": "'\tx", "\rx": "'\rx",
		"plain": "plain", "": "", "'=x": "'=x", "a=b": "a=b",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
		if in != "'=x" && Unneutralise(Neutralise(in)) != in {
			t.Errorf("Unneutralise(Neutralise(%q)) = %q", in, Unneutralise(Neutralise(in)))
		}
	}
}

func TestCSVEncodings(t *testing.T) {
	text := "客户名称,省份\n杭州西湖软件,浙江\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(text)
	// A long ASCII head puts the first Chinese character past a read
	// buffer's edge; the sniffing must still see it.
	long := strings.Repeat("a,b\n", 100) + text
	longGBK, _ := simplifiedchinese.GBK.NewEncoder().String(long)
	for name, tc := range map[string]struct {
		in  string
		gbk bool
	}{"utf8": {text, false}, "bom": {"\xEF\xBB\xBF" + text, false}, "gbk": {gbk, true}, "long gbk": {longGBK, true}} {
		r, err := NewCSVReader(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for r.Next() {
			rows = append(rows, append([]string(nil), r.Row()...))
		}
		if r.GBK != tc.gbk || r.Err() != nil {
			t.Errorf("%s: GBK %v err %v", name, r.GBK, r.Err())
		}
		last := rows[len(rows)-1]
		if rows[len(rows)-2][0] != "客户名称" || last[0] != "杭州西湖软件" || last[1] != "浙江" {
			t.Errorf("%s: rows %q", name, rows)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, CSV, "")
	_ = w.WriteRow([]any{"=1+1", Cent(-12345), int64(7), nil, 1.5})
	_ = w.Close()
	if got := buf.String(); got != "\xEF\xBB\xBF'=1+1,-123.45,7,,1.5\r\n" {
		t.Errorf("csv %q", got)
	}
}
