package api_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/files"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// The fuzz targets of the multipart entry points. `make fuzz` runs each for
// minutes; `make test` for a few seconds; `go test` runs the seeds.
// Whatever the body: never a 5xx, and an upload refused keeps nothing.

const fuzzBoundary = "fuzzboundary"

// fuzzBody is a multipart body with the fixed boundary.
func fuzzBody(fields [][2]string, name string, content []byte) []byte {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary(fuzzBoundary)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return buf.Bytes()
}

// post sends body as multipart/form-data with the fuzz boundary.
func (c *client) postMultipart(t *testing.T, path string, body []byte) (int, []byte) {
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func rowCount(t *testing.T, db *store.DB, query string) int {
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func FuzzImportUpload(f *testing.F) {
	db := storetest.Open(f, store.SQLite)
	e := newEnv(f, db)
	admin := e.login("admin@acme.test", adminPassword)
	csv := rawCSV([][]string{{"客户名称", "省份", "负责人"}, {"模糊测试公司", "上海", "admin@acme.test"}})
	xlsx := xlsxBytes(f, [][]string{{"姓名", "手机", "客户名称"}, {"张三", "13800000000", "模糊测试公司"}})
	for _, seed := range [][]byte{
		fuzzBody([][2]string{{"object", "customer"}, {"dry_run", "true"}}, "c.csv", csv),
		fuzzBody([][2]string{{"object", "contact"}, {"dry_run", "true"}}, "k.xlsx", xlsx),
		fuzzBody([][2]string{{"object", "lead"}}, "l.csv", []byte("\xef\xbb\xbf姓名,公司\r\n李四,\"未闭合")),
		fuzzBody([][2]string{{"object", "customer"}}, "", nil),
		fuzzBody(nil, "c.csv", csv),
	} {
		f.Add(seed)
		f.Add(seed[:len(seed)/2])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := rowCount(t, db, "SELECT COUNT(*) FROM imports")
		status, res := admin.postMultipart(t, "/api/v1/imports", body)
		if status >= 500 {
			t.Fatalf("status %d: %s", status, res)
		}
		after := rowCount(t, db, "SELECT COUNT(*) FROM imports")
		if status != http.StatusAccepted {
			if after != before {
				t.Fatalf("refused with %d but an import was kept: %s", status, res)
			}
			return
		}
		// The import is worked to an end, whatever the file holds.
		for {
			n, err := e.jobs.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if n := rowCount(t, db, "SELECT COUNT(*) FROM imports WHERE status NOT IN ('done', 'failed')"); n != 0 {
			t.Fatalf("%d imports left unfinished", n)
		}
	})
}

func FuzzAttachmentUpload(f *testing.F) {
	db := storetest.Open(f, store.SQLite)
	e := newEnv(f, db)
	e.svc.SetFiles(files.Local{Dir: f.TempDir()})
	admin := e.login("admin@acme.test", adminPassword)
	var c cohort.Customer
	admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "附件模糊测试公司"}, &c)
	var logged struct{ Followup cohort.FollowUp }
	admin.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "visit",
		"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "deepen_relationship"}}, &logged)
	path := "/api/v1/followups/" + logged.Followup.ID.String() + "/attachments"
	for _, seed := range [][]byte{
		fuzzBody(nil, "纪要.txt", []byte("拜访纪要")),
		fuzzBody([][2]string{{"note", "x"}}, "a.bin", bytes.Repeat([]byte{0, 1, 2}, 100)),
		fuzzBody(nil, "", nil),
	} {
		f.Add(seed)
		f.Add(seed[:len(seed)-3])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := rowCount(t, db, "SELECT COUNT(*) FROM attachments")
		status, res := admin.postMultipart(t, path, body)
		if status >= 500 {
			t.Fatalf("status %d: %s", status, res)
		}
		if after := rowCount(t, db, "SELECT COUNT(*) FROM attachments"); status != http.StatusCreated && after != before {
			t.Fatalf("refused with %d but an attachment was kept: %s", status, res)
		}
	})
}
