package notify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Notification kinds and the params each one reads. Every param is optional;
// the text reads sensibly without it.
const (
	// KindPermRolesChanged: actor (name), roles (list of role names).
	KindPermRolesChanged = "perm_roles_changed"
	// KindOrgChanged: actor, department (new department name), manager (new
	// manager name); either or both of the last two.
	KindOrgChanged = "org_changed"
	// KindPasswordReset: actor.
	KindPasswordReset = "password_reset"
	// KindWelcome: name (the new user), tenant (company name).
	KindWelcome = "welcome"
	// KindTest: message.
	KindTest = "test"
	// KindCustomerAssigned: a customer became yours (params: customer).
	KindCustomerAssigned = "customer_assigned"
	// KindPoolReturned: a customer of yours went back to a pool (params: customer, pool, reason).
	KindPoolReturned = "pool_returned"
	// KindPoolWarning: a customer of yours will go back to the pool (params: customer, date).
	KindPoolWarning = "pool_warning"
	// KindNextActionDue: a next action's window opens (params: customer, plan).
	KindNextActionDue = "next_action_due"
	// KindDealSigned: a contract or order whose team you are on was signed
	// (params: kind, number, customer, amount).
	KindDealSigned = "deal_signed"
	// KindPaymentReceived: a payment arrived on a contract or order whose team
	// you are on (params: kind, number, customer, amount).
	KindPaymentReceived = "payment_received"
	// KindPaymentReversed: a payment on a contract or order whose team you
	// are on was reversed (params: kind, number, customer, amount, reason).
	KindPaymentReversed = "payment_reversed"
	// KindDealVoided: a contract or order whose team you are on was
	// declared void (params: kind, number, customer, reason).
	KindDealVoided = "deal_voided"
	// KindTicketAssigned: a service ticket is now yours (params: number,
	// subject, customer, priority).
	KindTicketAssigned = "ticket_assigned"
	// KindGoalBandChanged: a goal subject left its completion band (params:
	// rule, subject (its name), period, from and to (below, on_track,
	// above), rate (the completion rate, 0.9 for 90 %)).
	KindGoalBandChanged = "goal_band_changed"
)

// Locales the catalogue speaks.
const (
	LocaleZH = "zh-CN"
	LocaleEN = "en"
)

// Locale maps a user's locale to one the catalogue speaks: any Chinese
// locale, or none, to zh-CN (Cohort speaks Chinese first); anything else to
// English.
func Locale(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if l == "" || strings.HasPrefix(l, "zh") {
		return LocaleZH
	}
	return LocaleEN
}

// params is a notification's decoded params.
type params map[string]any

// str returns param key as text; a list is joined the way the language
// lists things.
func (p params) str(key string, zh bool) string {
	switch v := p[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			parts = append(parts, fmt.Sprint(x))
		}
		if zh {
			return strings.Join(parts, "、")
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(v)
	}
}

// actor names who made the change, or a stand-in when the params do not say.
func (p params) actor(zh bool) string {
	if a := p.str("actor", zh); a != "" {
		return a
	}
	if zh {
		return "管理员"
	}
	return "An administrator"
}

// renderers turn params into a title and body, in Chinese when zh is set. The
// map is filled here and only read afterwards.
var renderers = map[string]func(p params, zh bool) (title, body string){
	KindPermRolesChanged: func(p params, zh bool) (string, string) {
		roles := p.str("roles", zh)
		if zh {
			if roles == "" {
				return "权限角色已变更", p.actor(zh) + "移除了你的全部权限角色。"
			}
			return "权限角色已变更", p.actor(zh) + "将你的权限角色调整为：" + roles + "。"
		}
		if roles == "" {
			return "Your permission roles changed", p.actor(zh) + " removed all your permission roles."
		}
		return "Your permission roles changed", p.actor(zh) + " set your permission roles to: " + roles + "."
	},
	KindOrgChanged: func(p params, zh bool) (string, string) {
		dept, mgr := p.str("department", zh), p.str("manager", zh)
		var parts []string
		if zh {
			if dept != "" {
				parts = append(parts, "部门调整为「"+dept+"」")
			}
			if mgr != "" {
				parts = append(parts, "直属上级变更为「"+mgr+"」")
			}
			if len(parts) == 0 {
				return "组织信息已变更", p.actor(zh) + "更新了你的部门或直属上级。"
			}
			return "组织信息已变更", p.actor(zh) + "更新了你的组织信息：" + strings.Join(parts, "；") + "。"
		}
		if dept != "" {
			parts = append(parts, "your department is now "+dept)
		}
		if mgr != "" {
			parts = append(parts, "your manager is now "+mgr)
		}
		if len(parts) == 0 {
			return "Your department or manager changed", p.actor(zh) + " changed your department or manager."
		}
		return "Your department or manager changed", p.actor(zh) + " updated your organisation: " + strings.Join(parts, "; ") + "."
	},
	KindPasswordReset: func(p params, zh bool) (string, string) {
		if zh {
			return "密码已被重置", p.actor(zh) + "重置了你的密码，你在其他设备上的登录已退出。"
		}
		return "Your password was reset", p.actor(zh) + " reset your password; you were signed out on other devices."
	},
	KindWelcome: func(p params, zh bool) (string, string) {
		name, tenant := p.str("name", zh), p.str("tenant", zh)
		if zh {
			title := "欢迎使用 Cohort"
			if tenant != "" {
				title = "欢迎加入" + tenant
			}
			if name != "" {
				return title, name + "，你好！你的账号已开通，可以开始工作了。"
			}
			return title, "你的账号已开通，可以开始工作了。"
		}
		title := "Welcome to Cohort"
		if tenant != "" {
			title = "Welcome to " + tenant
		}
		if name != "" {
			return title, "Hi " + name + ", your account is ready."
		}
		return title, "Your account is ready."
	},
	KindCustomerAssigned: func(p params, zh bool) (string, string) {
		c := p.str("customer", zh)
		if zh {
			return "新客户分配给你", "客户「" + c + "」现在由你负责。"
		}
		return "A customer is now yours", "You now own the customer " + c + "."
	},
	KindPoolReturned: func(p params, zh bool) (string, string) {
		c, pool, reason := p.str("customer", zh), p.str("pool", zh), p.str("reason", zh)
		if zh {
			return "客户已退回公海", "客户「" + c + "」已退回公海「" + pool + "」：" + reason + "。"
		}
		return "A customer went back to the pool", c + " went back to the pool " + pool + ": " + reason + "."
	},
	KindPoolWarning: func(p params, zh bool) (string, string) {
		c, date := p.str("customer", zh), p.str("date", zh)
		if zh {
			return "客户即将退回公海", "客户「" + c + "」长期未跟进，将于 " + date + " 退回公海，请尽快跟进。"
		}
		return "A customer will go back to the pool", c + " has not been followed up and goes back to the pool on " + date + "; follow it up soon."
	},
	KindNextActionDue: func(p params, zh bool) (string, string) {
		c, plan := p.str("customer", zh), planLabel(p.str("plan", zh), zh)
		if zh {
			return "下步事务提醒", "该跟进客户「" + c + "」了：" + plan + "。"
		}
		return "Next action due", "Time to follow up " + c + ": " + plan + "."
	},
	KindDealSigned: func(p params, zh bool) (string, string) {
		doc, num, c, amt := docLabel(p.str("kind", zh), zh), p.str("number", zh), p.str("customer", zh), p.str("amount", zh)
		if zh {
			return doc + "已签约", "客户「" + c + "」的" + doc + " " + num + " 已签约，金额 " + amt + "。"
		}
		return strings.ToUpper(doc[:1]) + doc[1:] + " signed", "The " + doc + " " + num + " with " + c + " was signed for " + amt + "."
	},
	KindPaymentReceived: func(p params, zh bool) (string, string) {
		doc, num, c, amt := docLabel(p.str("kind", zh), zh), p.str("number", zh), p.str("customer", zh), p.str("amount", zh)
		if zh {
			return "收到回款", "客户「" + c + "」的" + doc + " " + num + " 收到回款 " + amt + "。"
		}
		return "Payment received", c + " paid " + amt + " on the " + doc + " " + num + "."
	},
	KindPaymentReversed: func(p params, zh bool) (string, string) {
		doc, num, c, amt, why := docLabel(p.str("kind", zh), zh), p.str("number", zh), p.str("customer", zh), p.str("amount", zh), p.str("reason", zh)
		if zh {
			return "回款已冲销", "客户「" + c + "」的" + doc + " " + num + " 的回款 " + amt + " 已冲销，原因：" + why + "。"
		}
		return "Payment reversed", "The payment of " + amt + " from " + c + " on the " + doc + " " + num + " was reversed: " + why + "."
	},
	KindDealVoided: func(p params, zh bool) (string, string) {
		doc, num, c, why := docLabel(p.str("kind", zh), zh), p.str("number", zh), p.str("customer", zh), p.str("reason", zh)
		if zh {
			return doc + "已作废", "客户「" + c + "」的" + doc + " " + num + " 已作废，原因：" + why + "。它不再计入任何签约数字。"
		}
		return "A " + doc + " was voided", "The " + doc + " " + num + " of " + c + " was voided: " + why + ". It no longer counts in any signed figure."
	},
	KindTicketAssigned: func(p params, zh bool) (string, string) {
		num, subj, c, prio := p.str("number", zh), p.str("subject", zh), p.str("customer", zh), p.str("priority", zh)
		if zh {
			return "新工单分配给你", "客户「" + c + "」的工单 " + num + "「" + subj + "」（优先级：" + priorityLabel(prio, zh) + "）现在由你处理。"
		}
		return "A ticket is now yours", "The ticket " + num + " \"" + subj + "\" from " + c + " (priority " + priorityLabel(prio, zh) + ") is now yours."
	},
	KindGoalBandChanged: func(p params, zh bool) (string, string) {
		rule, sub, per := p.str("rule", zh), p.str("subject", zh), p.str("period", zh)
		from, to := bandLabel(p.str("from", zh), zh), bandLabel(p.str("to", zh), zh)
		rate := ""
		if r, ok := p["rate"].(float64); ok {
			rate = strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
			if !zh {
				rate = strconv.FormatFloat(r*100, 'f', 1, 64) + " %"
			}
		}
		if zh {
			return "目标完成状态变化", "「" + sub + "」的目标「" + rule + "」在 " + per + " 的完成率为 " + rate + "，由「" + from + "」变为「" + to + "」。"
		}
		return "Goal band changed", sub + "'s goal \"" + rule + "\" for " + per + " is at " + rate + " completion: from " + from + " to " + to + "."
	},
	KindTest: func(p params, zh bool) (string, string) {
		msg := p.str("message", zh)
		if zh {
			if msg == "" {
				msg = "这是一条测试通知。"
			}
			return "测试通知", msg
		}
		if msg == "" {
			msg = "This is a test notification."
		}
		return "Test notification", msg
	},
}

// Render turns a notification's kind and params into its title and body in
// locale (see Locale). An unknown kind renders as its own name with an empty
// body, so that a notification from a newer server still shows something.
func Render(kind string, rawParams json.RawMessage, locale string) (title, body string) {
	r, ok := renderers[kind]
	if !ok {
		return kind, ""
	}
	var p params
	if len(rawParams) > 0 {
		// Params that are not an object render like missing ones.
		_ = json.Unmarshal(rawParams, &p)
	}
	return r(p, Locale(locale) == LocaleZH)
}

// planLabels names the plan types of next actions in both languages.
var planLabels = map[string][2]string{
	"keep_in_touch":       {"保持联系", "keep in touch"},
	"deepen_relationship": {"加深关系", "deepen the relationship"},
	"cultivate_need":      {"培育需求", "cultivate the need"},
	"explore_opportunity": {"挖掘商机", "explore an opportunity"},
	"counter_competitor":  {"应对竞争", "counter the competitor"},
	"sign_and_collect":    {"签约回款", "sign and collect"},
	"greeting":            {"节日问候", "send greetings"},
}

func planLabel(key string, zh bool) string {
	l, ok := planLabels[key]
	if !ok {
		return key
	}
	if zh {
		return l[0]
	}
	return l[1]
}

// docLabels name the commercial documents in both languages.
var docLabels = map[string][2]string{
	"quote":    {"报价单", "quote"},
	"contract": {"合同", "contract"},
	"order":    {"订单", "order"},
}

func docLabel(kind string, zh bool) string {
	l, ok := docLabels[kind]
	if !ok {
		if zh {
			return "单据"
		}
		return "document"
	}
	if zh {
		return l[0]
	}
	return l[1]
}

// bandLabels name the completion bands in both languages.
var bandLabels = map[string][2]string{
	"below":    {"低于 80%", "below 80 %"},
	"on_track": {"80%–120%", "80–120 %"},
	"above":    {"高于 120%", "above 120 %"},
}

func bandLabel(key string, zh bool) string {
	l, ok := bandLabels[key]
	if !ok {
		return key
	}
	if zh {
		return l[0]
	}
	return l[1]
}

// priorityLabels name the ticket priorities in both languages.
var priorityLabels = map[string][2]string{
	"low":    {"低", "low"},
	"normal": {"普通", "normal"},
	"high":   {"高", "high"},
	"urgent": {"紧急", "urgent"},
}

func priorityLabel(key string, zh bool) string {
	l, ok := priorityLabels[key]
	if !ok {
		return key
	}
	if zh {
		return l[0]
	}
	return l[1]
}
