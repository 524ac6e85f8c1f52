package sheet

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets of the import readers: whatever the file, a reader ends
// with rows or an error, never a panic or an endless loop.

// readAll reads every row of r, failing past a sane number of rows.
func readAll(t *testing.T, r Reader) {
	defer r.Close()
	for n := 0; r.Next(); n++ {
		if n > 1_000_000 {
			t.Fatal("more rows than the file has bytes")
		}
		_ = r.Row()
	}
	_ = r.Err()
}

func FuzzCSVReader(f *testing.F) {
	for _, seed := range []string{
		"客户名称,省份\r\n上海星河科技,上海\r\n",
		"\xef\xbb\xbfname,\"quoted,\"\"x\"\"\"\n",
		"\xbf\xcd\xbb\xa7,\xca\xa1\n", // GBK
		"a,\"unclosed\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewCSVReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		readAll(t, r)
	})
}

func FuzzXLSXReader(f *testing.F) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, XLSX, "Sheet1")
	if err != nil {
		f.Fatal(err)
	}
	_ = w.WriteRow([]any{"客户名称", "省份"})
	_ = w.WriteRow([]any{"上海星河科技", 42})
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Add([]byte("PK\x03\x04"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path, XLSX)
		if err != nil {
			return
		}
		readAll(t, r)
	})
}
