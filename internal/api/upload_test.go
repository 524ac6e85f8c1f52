package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/files"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// multipartBody is a well-formed upload of one file in the field "file",
// after the given form fields.
func multipartBody(fields map[string]string, name string, content []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// countFiles counts the regular files under dir.
func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// TestTruncatedUploads: a multipart body cut anywhere before its closing
// boundary, or otherwise malformed, is a 400 problem and leaves nothing
// behind: no import, no attachment, no file.
func TestTruncatedUploads(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		dir := t.TempDir()
		o.svc.SetFiles(files.Local{Dir: dir})
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "截断上传测试公司"}, &c)
		var logged struct{ Followup cohort.FollowUp }
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "visit",
			"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "deepen_relationship"}}, &logged)
		att := "/api/v1/followups/" + logged.Followup.ID.String() + "/attachments"

		csv := rawCSV([][]string{{"客户名称", "省份"}, {"截断客户甲", "上海"}})
		imp, impType := multipartBody(map[string]string{"object": "customer"}, "c.csv", csv)
		file, fileType := multipartBody(nil, "note.txt", bytes.Repeat([]byte("纪要"), 2000))
		cases := []struct {
			name, path, ctype string
			body              []byte
		}{
			{"import cut before the closing boundary", "/api/v1/imports", impType, imp[:len(imp)-10]},
			{"import cut in the file", "/api/v1/imports", impType, imp[:len(imp)-40]},
			{"import cut in the headers", "/api/v1/imports", impType, imp[:bytes.Index(imp, []byte("filename"))]},
			{"import without the final dashes", "/api/v1/imports", impType, imp[:len(imp)-4]},
			{"import with garbage after a part", "/api/v1/imports", impType, append(append([]byte{}, imp[:len(imp)-4]...), "xx\r\n"...)},
			{"attachment cut before the closing boundary", att, fileType, file[:len(file)-10]},
			{"attachment cut in the file", att, fileType, file[:len(file)/2]},
			{"attachment without the final dashes", att, fileType, file[:len(file)-4]},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequest("POST", o.srv.URL+tc.path, bytes.NewReader(tc.body))
				req.Header.Set("Content-Type", tc.ctype)
				by := o.alice
				if tc.path == "/api/v1/imports" {
					by = o.admin
				}
				res := by.send(req)
				if res.status != 400 || res.problem(t).Code != "bad_request" {
					t.Fatalf("%d %s", res.status, res.body)
				}
			})
		}
		if n := count(t, db, "SELECT COUNT(*) FROM imports"); n != 0 {
			t.Fatalf("%d imports kept of malformed uploads", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM attachments"); n != 0 {
			t.Fatalf("%d attachments kept of malformed uploads", n)
		}
		if n := countFiles(t, dir) + countFiles(t, o.files); n != 0 {
			t.Fatalf("%d files kept of malformed uploads", n)
		}
		// The whole bodies still work.
		for _, u := range []struct {
			path, ctype string
			body        []byte
			status      int
		}{{"/api/v1/imports", impType, imp, 202}, {att, fileType, file, 201}} {
			req, _ := http.NewRequest("POST", o.srv.URL+u.path, bytes.NewReader(u.body))
			req.Header.Set("Content-Type", u.ctype)
			by := o.alice
			if u.path == "/api/v1/imports" {
				by = o.admin
			}
			if res := by.send(req); res.status != u.status {
				t.Fatalf("whole body to %s: %d %s", u.path, res.status, res.body)
			}
		}
	})
}

// send sends a prepared request with the client's session.
func (c *client) send(req *http.Request) response {
	c.e.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}
