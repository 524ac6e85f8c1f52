package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/files"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func (c *client) uploadFile(path, field, name string, content []byte) response {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func TestFollowUpAttachments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		dir := t.TempDir()
		o.svc.SetFiles(files.Local{Dir: dir})
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "附件测试公司"}, &c)
		var logged struct{ Followup cohort.FollowUp }
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "visit",
			"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "deepen_relationship"}}, &logged)
		fid := logged.Followup.ID.String()
		content := []byte("拜访纪要：客户希望下月试用。")
		res := o.alice.uploadFile("/api/v1/followups/"+fid+"/attachments", "file", "拜访纪要.txt", content)
		if res.status != 201 {
			t.Fatalf("upload: %d %s", res.status, res.body)
		}
		var a struct {
			ID   cohort.ID
			Name string
			Size int64
		}
		res.json(t, &a)
		if a.Name != "拜访纪要.txt" || a.Size != int64(len(content)) {
			t.Fatalf("attachment %+v", a)
		}
		if r := o.bob.uploadFile("/api/v1/followups/"+fid+"/attachments", "file", "x.txt", []byte("x")); r.status != 404 {
			t.Fatalf("bob attaches to alice's follow-up: %d", r.status)
		}
		if r := o.alice.uploadFile("/api/v1/followups/"+fid+"/attachments", "other", "x.txt", []byte("x")); r.status != 422 {
			t.Fatalf("upload without the file field: %d", r.status)
		}
		get := o.alice.do("GET", "/api/v1/attachments/"+a.ID.String(), nil, nil)
		if get.status != 200 || !bytes.Equal(get.body, content) || !strings.HasPrefix(get.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %q %s", get.status, get.header.Get("Content-Disposition"), get.body)
		}
		if r := o.bob.do("GET", "/api/v1/attachments/"+a.ID.String(), nil, nil); r.status != 404 {
			t.Fatalf("bob downloads: %d", r.status)
		}
		var list cohort.Page[map[string]any]
		o.mgr.must(200, "GET", "/api/v1/followups/"+fid+"/attachments", nil, &list)
		if len(list.Items) != 1 || list.Items[0]["storage_key"] != nil {
			t.Fatalf("list %+v", list.Items)
		}
		o.alice.must(204, "DELETE", "/api/v1/attachments/"+a.ID.String(), nil, nil)
		if r := o.alice.do("GET", "/api/v1/attachments/"+a.ID.String(), nil, nil); r.status != 404 {
			t.Fatalf("after delete: %d", r.status)
		}
	})
}
