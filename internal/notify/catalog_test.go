package notify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/notify"
)

func TestRender(t *testing.T) {
	cases := []struct {
		kind, params, locale, title, body string
	}{
		{notify.KindPermRolesChanged, `{"actor":"王经理","roles":["销售"]}`, "zh-CN",
			"权限角色已变更", "王经理将你的权限角色调整为：销售。"},
		{notify.KindPermRolesChanged, `{"roles":[]}`, "en-US",
			"Your permission roles changed", "An administrator removed all your permission roles."},
		{notify.KindOrgChanged, `{"actor":"王经理","department":"华东销售部","manager":"李四"}`, "zh",
			"组织信息已变更", "王经理更新了你的组织信息：部门调整为「华东销售部」；直属上级变更为「李四」。"},
		{notify.KindOrgChanged, `{"manager":"Li Si"}`, "en",
			"Your department or manager changed", "An administrator updated your organisation: your manager is now Li Si."},
		{notify.KindPasswordReset, `{}`, "",
			"密码已被重置", "管理员重置了你的密码，你在其他设备上的登录已退出。"},
		{notify.KindPasswordReset, `{"actor":"Ann"}`, "en",
			"Your password was reset", "Ann reset your password; you were signed out on other devices."},
		{notify.KindWelcome, `{"name":"张三","tenant":"示例科技"}`, "zh-CN",
			"欢迎加入示例科技", "张三，你好！你的账号已开通，可以开始工作了。"},
		{notify.KindWelcome, `null`, "en", "Welcome to Cohort", "Your account is ready."},
		{notify.KindTest, `{"message":"hello"}`, "en", "Test notification", "hello"},
		{notify.KindTest, `[1,2]`, "zh-CN", "测试通知", "这是一条测试通知。"},
		{notify.KindDealSigned, `{"kind":"contract","number":"HT-2026-000001","customer":"星河科技","amount":"12345.67 CNY"}`, "zh-CN",
			"合同已签约", "客户「星河科技」的合同 HT-2026-000001 已签约，金额 12345.67 CNY。"},
		{notify.KindDealSigned, `{"kind":"order","number":"DD-2026-000002","customer":"Acme","amount":"5.00 USD"}`, "en",
			"Order signed", "The order DD-2026-000002 with Acme was signed for 5.00 USD."},
		{notify.KindPaymentReceived, `{"kind":"contract","number":"HT-2026-000001","customer":"星河科技","amount":"100.00 CNY"}`, "zh",
			"收到回款", "客户「星河科技」的合同 HT-2026-000001 收到回款 100.00 CNY。"},
		{notify.KindTicketAssigned, `{"number":"GD-2026-000003","subject":"无法登录","customer":"星河科技","priority":"urgent"}`, "zh-CN",
			"新工单分配给你", "客户「星河科技」的工单 GD-2026-000003「无法登录」（优先级：紧急）现在由你处理。"},
		{notify.KindGoalBandChanged, `{"rule":"签约金额","subject":"Alice","period":"2026-05","from":"below","to":"on_track","rate":0.9}`, "zh-CN",
			"目标完成状态变化", "「Alice」的目标「签约金额」在 2026-05 的完成率为 90.0%，由「低于 80%」变为「80%–120%」。"},
		{notify.KindGoalBandChanged, `{"rule":"Signed","subject":"East","period":"FY2026-Q2","from":"on_track","to":"above","rate":1.25}`, "en",
			"Goal band changed", "East's goal \"Signed\" for FY2026-Q2 is at 125.0 % completion: from 80–120 % to above 120 %."},
		{"deal_won", `{"amount":1}`, "zh-CN", "deal_won", ""},
	}
	for _, c := range cases {
		title, body := notify.Render(c.kind, json.RawMessage(c.params), c.locale)
		if title != c.title || body != c.body {
			t.Errorf("Render(%s, %s, %q) = %q, %q; want %q, %q", c.kind, c.params, c.locale, title, body, c.title, c.body)
		}
	}
}

func TestHubNeverBlocks(t *testing.T) {
	h := notify.NewHub(2)
	a := h.Subscribe(1, 10)
	other := h.Subscribe(1, 11)
	elsewhere := h.Subscribe(2, 10)
	done := make(chan struct{})
	go func() {
		for i := 1; i <= 5; i++ {
			h.Publish(cohort.Notification{ID: cohort.ID(i), TenantID: 1, UserID: 10})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	if len(a.C) != 2 || a.TakeDropped() != 3 || a.TakeDropped() != 0 {
		t.Fatalf("slow subscriber holds %d", len(a.C))
	}
	if n := <-a.C; n.ID != 1 {
		t.Fatalf("first kept notification %d, want 1", n.ID)
	}
	if len(other.C) != 0 || len(elsewhere.C) != 0 {
		t.Fatal("another user's (or tenant's) subscriber got the notification")
	}
	a.Close()
	a.Close()
	if h.Subscribers() != 2 {
		t.Fatalf("subscribers after close = %d", h.Subscribers())
	}
}
