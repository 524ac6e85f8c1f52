package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

const sampleEML = "From: =?UTF-8?B?6ZmI5oC7?= <chen@yunfan.cn>\r\n" +
	"To: Alice <alice@acme.test>\r\n" +
	"Subject: =?UTF-8?B?5oql5Lu35Y2V56Gu6K6k?=\r\n" +
	"Date: Tue, 24 Nov 2026 10:15:00 +0800\r\n" +
	"Message-ID: <m1@yunfan.cn>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"5oql5Lu35bey5pS25Yiw77yM5LiL5ZGo5Zue5aSN44CC\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"\r\n" +
	"<p>ignored</p>\r\n" +
	"--b1--\r\n"

func TestCommunicationCapture(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州云帆网络"}, &c)
		o.alice.must(201, "POST", "/api/v1/customers/"+c.ID.String()+"/contacts", map[string]any{"name": "陈总", "phone": "13800138000", "email": "chen@yunfan.cn"}, nil)
		var tok cohort.APIToken
		o.admin.must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "PBX"}, &tok)
		pbx := &client{e: o.env, http: &http.Client{}}
		hdr := map[string]string{"Authorization": "Bearer " + tok.Secret}
		batch := map[string]any{"items": []map[string]any{
			{"kind": "call", "source": "pbx", "external_id": "c1", "direction": "outbound", "from": "8001", "to": "+86 138 0013 8000",
				"user_email": "alice@acme.test", "started_at": "2026-11-24T02:00:00Z", "duration_s": 420, "recording_url": "https://pbx.example/r/c1.mp3"},
			{"kind": "sms", "source": "pbx", "external_id": "s1", "direction": "inbound", "from": "13900009999", "to": "8001",
				"user_email": "alice@acme.test", "started_at": "2026-11-24T03:00:00Z", "body": "请回电"},
			{"kind": "email", "source": "imap", "direction": "inbound", "raw": sampleEML},
			{"kind": "fax", "external_id": "f1", "direction": "inbound", "started_at": "2026-11-24T03:00:00Z"},
		}}
		res := pbx.do("POST", "/api/v1/capture/batch", batch, hdr)
		var out struct{ Results []service.CaptureResult }
		res.json(t, &out)
		if res.status != 200 || len(out.Results) != 4 {
			t.Fatalf("batch: %d %s", res.status, res.body)
		}
		want := []string{"matched", "unmatched", "matched", "invalid"}
		for i, w := range want {
			if out.Results[i].Status != w {
				t.Errorf("item %d: %+v, want %s", i, out.Results[i], w)
			}
		}
		// Sent again: duplicates, nothing new.
		var again struct{ Results []service.CaptureResult }
		pbx.do("POST", "/api/v1/capture/batch", batch, hdr).json(t, &again)
		if again.Results[0].Status != "duplicate" || again.Results[0].FollowUpID != out.Results[0].FollowUpID {
			t.Fatalf("resend: %+v", again.Results[0])
		}
		var fus cohort.Page[cohort.FollowUp]
		o.alice.must(200, "GET", "/api/v1/followups?customer_id="+c.ID.String(), nil, &fus)
		if len(fus.Items) != 2 {
			t.Fatalf("follow-ups from capture: %+v", fus.Items)
		}
		var email, call cohort.FollowUp
		for _, f := range fus.Items {
			if f.Type == "email" {
				email = f
			} else {
				call = f
			}
		}
		if call.DurationS != 420 || call.AuthorID != o.aliceU.ID || !strings.Contains(call.Content, "c1.mp3") {
			t.Fatalf("call follow-up %+v", call)
		}
		if email.Content != "报价单确认\n\n报价已收到，下周回复。" || email.Direction != "inbound" {
			t.Fatalf("email follow-up %q", email.Content)
		}
		// The unmatched SMS waits in Alice's inbox; she links it by hand.
		var inbox cohort.Page[cohort.CommItem]
		o.alice.must(200, "GET", "/api/v1/capture/inbox", nil, &inbox)
		if len(inbox.Items) != 1 || inbox.Items[0].Reason == "" {
			t.Fatalf("inbox %+v", inbox.Items)
		}
		if r := o.bob.do("POST", "/api/v1/capture/inbox/"+inbox.Items[0].ID.String()+"/link", map[string]any{"customer_id": c.ID}, nil); r.status != 404 {
			t.Fatalf("bob links alice's item: %d", r.status)
		}
		o.alice.must(200, "POST", "/api/v1/capture/inbox/"+inbox.Items[0].ID.String()+"/link", map[string]any{"customer_id": c.ID}, nil)
		o.alice.must(200, "GET", "/api/v1/capture/inbox", nil, &inbox)
		if len(inbox.Items) != 0 {
			t.Fatalf("inbox after linking %+v", inbox.Items)
		}
		if r := o.alice.do("POST", "/api/v1/capture/batch", batch, nil); r.status != 403 {
			t.Fatalf("salesperson ingests: %d", r.status)
		}
	})
}
