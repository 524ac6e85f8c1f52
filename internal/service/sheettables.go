package service

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/sheet"
)

// The column tables of the importable object types.

// A choice cell imports from its code, its zh-CN label or its en label, the
// labels being the web UI's own (web/src/i18n), and from the words of earlier
// templates (choiceAliases); an export writes the label of the file's language.
var (
	valueQualities = []option{{"valuable", "有价值", "Valuable"}, {"not_valuable", "无价值", "Not valuable"}, {"uncertain", "待确认", "Uncertain"}}
	dealSizes      = []option{{"big", "大单", "Big deal"}, {"normal", "普通单", "Normal deal"}, {"small", "小单", "Small deal"}}
	customerStates = []option{{cohort.CustomerActive, "跟进中", "Active"}, {cohort.CustomerLost, "已丢单", "Lost"}, {cohort.CustomerChurned, "已流失", "Churned"}}
	followUpTypes  = []option{{"call", "电话", "Call"}, {"sms", "短信", "SMS"}, {"email", "邮件", "Email"}, {"wechat", "微信", "WeChat"},
		{"visit", "拜访", "Visit"}, {"meeting", "会议", "Meeting"}, {"proposal_sent", "发方案", "Proposal"},
		{"quote_sent", "发报价", "Quote"}, {"other", "其他", "Other"}}
	directions = []option{{"outbound", "我方发起", "Outbound"}, {"inbound", "客户来电/来访", "Inbound"}}
	leadStates = []option{{"new", "新线索", "New"}, {"contacted", "已联系", "Contacted"}, {"qualified", "已确认", "Qualified"},
		{"disqualified", "无效", "Disqualified"}, {"converted", "已转化", "Converted"}}
	// choiceAliases are the words earlier templates used, by option code.
	choiceAliases = map[string][]string{
		"uncertain":     {"不确定"},
		"not_valuable":  {"not valuable"},
		"normal":        {"普通", "normal"},
		"active":        {"活跃"},
		"churned":       {"已流失（解约）"},
		"email":         {"e-mail"},
		"proposal_sent": {"发送方案", "proposal sent"},
		"quote_sent":    {"发送报价", "quote sent"},
		"outbound":      {"主动"},
		"inbound":       {"被动"},
	}
)

// Example values of the templates.
const (
	exampleCompany = "上海星河科技有限公司"
	exampleCredit  = "91350100M000100Y43"
	exampleOwner   = "zhang.wei@example.com"
)

func idCol[T any](field func(r *T) cohort.ID) column[T] {
	return column[T]{key: "id", label: text{"编号", "ID"}, get: func(_ *sheetCtx, r *T) any { return field(r).String() }}
}

var customerSheet = sheetSpec[cohort.Customer]{
	obj:  cohort.ObjCustomer,
	name: text{"客户", "Customers"},
	cols: []column[cohort.Customer]{
		func() column[cohort.Customer] {
			c := textCol("name", text{"客户名称", "Name"}, exampleCompany, 200, func(r *cohort.Customer) *string { return &r.Name })
			c.required = true
			return c
		}(),
		{key: "credit_code", label: text{"统一社会信用代码", "Credit code"}, example: exampleCredit,
			get: func(_ *sheetCtx, r *cohort.Customer) any { return r.CreditCode },
			set: func(_ *sheetCtx, r *cohort.Customer, v string) *cellError {
				r.CreditCode = toUpper(v)
				if !cohort.ValidCreditCode(r.CreditCode) {
					return fail(msgBadCredit)
				}
				return nil
			}},
		textCol("industry", text{"行业", "Industry"}, "软件和信息技术服务", 200, func(r *cohort.Customer) *string { return &r.Industry }),
		textCol("province", text{"省份", "Province"}, "上海", 200, func(r *cohort.Customer) *string { return &r.Province }),
		textCol("city", text{"城市", "City"}, "上海", 200, func(r *cohort.Customer) *string { return &r.City }),
		textCol("source", text{"来源", "Source"}, "展会", 200, func(r *cohort.Customer) *string { return &r.Source }),
		textCol("grade", text{"等级", "Grade"}, "A", 200, func(r *cohort.Customer) *string { return &r.Grade }),
		textCol("segment", text{"客户分群", "Segment"}, "中型企业", 200, func(r *cohort.Customer) *string { return &r.Segment }),
		choiceCol("value_quality", text{"定性", "Value"}, "有价值", valueQualities, func(r *cohort.Customer) *string { return &r.ValueQuality }),
		choiceCol("deal_size", text{"定级", "Deal size"}, "大单", dealSizes, func(r *cohort.Customer) *string { return &r.DealSize }),
		{key: "expected_sign_date", label: text{"预计签约日期", "Expected sign date"}, example: "2026-06-30",
			get: func(_ *sheetCtx, r *cohort.Customer) any { return r.ExpectedSignDate },
			set: func(x *sheetCtx, r *cohort.Customer, v string) *cellError {
				d, ok := parseDate(v, x.loc)
				if !ok {
					return fail(msgBadDate)
				}
				r.ExpectedSignDate = d
				return nil
			}},
		{key: "expected_amount", label: text{"预计金额（元）", "Expected amount (yuan)"}, example: "500000.00",
			get: func(_ *sheetCtx, r *cohort.Customer) any { return sheet.Cent(r.ExpectedAmount) },
			set: func(_ *sheetCtx, r *cohort.Customer, v string) *cellError {
				n, ok := parseCent(v)
				if !ok || n < 0 {
					return fail(msgBadMoney)
				}
				r.ExpectedAmount = n
				return nil
			}},
		userCol("owner", text{"负责人", "Owner"}, exampleOwner, func(r *cohort.Customer) *cohort.ID { return &r.OwnerID }),
		{key: "status", label: text{"状态", "Status"}, get: choiceCol("status", text{}, "", customerStates,
			func(r *cohort.Customer) *string { return &r.Status }).get},
		timeCol("created_at", text{"创建时间", "Created at"}, func(r *cohort.Customer) time.Time { return r.CreatedAt }),
		idCol(func(r *cohort.Customer) cohort.ID { return r.ID }),
	},
	custom: func(r *cohort.Customer) *json.RawMessage { return &r.Custom },
}

// customerRefCol names a customer by name or credit code on import (the
// importer resolves it; the cell is kept in ref) and by name on export.
func customerRefCol[T any](id func(r *T) cohort.ID, ref func(r *T) *string) column[T] {
	return column[T]{key: "customer", label: text{"客户", "Customer"}, example: exampleCompany, required: true,
		get: func(x *sheetCtx, r *T) any { return x.customers[id(r)] },
		set: func(_ *sheetCtx, r *T, v string) *cellError {
			*ref(r) = v
			return nil
		}}
}

// contactRow is a contact with the customer cell it names.
type contactRow struct {
	cohort.Contact
	customerRef string
}

var contactSheet = sheetSpec[contactRow]{
	obj:  cohort.ObjContact,
	name: text{"联系人", "Contacts"},
	cols: []column[contactRow]{
		customerRefCol(func(r *contactRow) cohort.ID { return r.CustomerID }, func(r *contactRow) *string { return &r.customerRef }),
		func() column[contactRow] {
			c := textCol("name", text{"姓名", "Name"}, "张伟", 100, func(r *contactRow) *string { return &r.Name })
			c.required = true
			return c
		}(),
		textCol("title", text{"职务", "Title"}, "采购经理", 200, func(r *contactRow) *string { return &r.Title }),
		phoneCol(func(r *contactRow) *string { return &r.Phone }),
		emailCol(func(r *contactRow) *string { return &r.Email }),
		textCol("wechat", text{"微信", "WeChat"}, "zhangwei_sh", 100, func(r *contactRow) *string { return &r.WeChat }),
		{key: "is_primary", label: text{"主要联系人", "Primary"}, example: "是",
			get: func(x *sheetCtx, r *contactRow) any { return boolText(r.IsPrimary, x.zh) },
			set: func(_ *sheetCtx, r *contactRow, v string) *cellError {
				b, ok := parseBool(v)
				if !ok {
					return fail(msgBadBool)
				}
				r.IsPrimary = b
				return nil
			}},
		timeCol("created_at", text{"创建时间", "Created at"}, func(r *contactRow) time.Time { return r.CreatedAt }),
		idCol(func(r *contactRow) cohort.ID { return r.ID }),
	},
	custom: func(r *contactRow) *json.RawMessage { return &r.Custom },
}

func phoneCol[T any](field func(r *T) *string) column[T] {
	return column[T]{key: "phone", label: text{"电话", "Phone"}, example: "13800138000",
		get: func(_ *sheetCtx, r *T) any { return *field(r) },
		set: func(_ *sheetCtx, r *T, v string) *cellError {
			p, ok := cohort.NormalizePhone(v)
			if !ok {
				return fail(msgBadPhone)
			}
			*field(r) = p
			return nil
		}}
}

func emailCol[T any](field func(r *T) *string) column[T] {
	return column[T]{key: "email", label: text{"邮箱", "E-mail"}, example: "zhang.wei@example.com",
		get: func(_ *sheetCtx, r *T) any { return *field(r) },
		set: func(_ *sheetCtx, r *T, v string) *cellError {
			e, ok := cohort.NormalizeEmail(v)
			if !ok {
				return fail(msgBadEmail)
			}
			*field(r) = e
			return nil
		}}
}

var leadSheet = sheetSpec[cohort.Lead]{
	obj:  cohort.ObjLead,
	name: text{"线索", "Leads"},
	cols: []column[cohort.Lead]{
		func() column[cohort.Lead] {
			c := textCol("name", text{"姓名", "Name"}, "李娜", 100, func(r *cohort.Lead) *string { return &r.Name })
			c.required = true
			return c
		}(),
		textCol("company", text{"公司", "Company"}, exampleCompany, 200, func(r *cohort.Lead) *string { return &r.Company }),
		textCol("title", text{"职务", "Title"}, "IT 总监", 200, func(r *cohort.Lead) *string { return &r.Title }),
		phoneCol(func(r *cohort.Lead) *string { return &r.Phone }),
		emailCol(func(r *cohort.Lead) *string { return &r.Email }),
		textCol("province", text{"省份", "Province"}, "浙江", 200, func(r *cohort.Lead) *string { return &r.Province }),
		textCol("city", text{"城市", "City"}, "杭州", 200, func(r *cohort.Lead) *string { return &r.City }),
		textCol("industry", text{"行业", "Industry"}, "制造业", 200, func(r *cohort.Lead) *string { return &r.Industry }),
		textCol("source", text{"来源", "Source"}, "官网", 200, func(r *cohort.Lead) *string { return &r.Source }),
		textCol("note", text{"备注", "Note"}, "", 5000, func(r *cohort.Lead) *string { return &r.Note }),
		userCol("owner", text{"负责人", "Owner"}, exampleOwner, func(r *cohort.Lead) *cohort.ID { return &r.OwnerID }),
		{key: "status", label: text{"状态", "Status"}, get: choiceCol("status", text{}, "", leadStates,
			func(r *cohort.Lead) *string { return &r.Status }).get},
		timeCol("created_at", text{"创建时间", "Created at"}, func(r *cohort.Lead) time.Time { return r.CreatedAt }),
		idCol(func(r *cohort.Lead) cohort.ID { return r.ID }),
	},
	custom: func(r *cohort.Lead) *json.RawMessage { return &r.Custom },
}

// followUpRow is a follow-up with the customer cell it names.
type followUpRow struct {
	cohort.FollowUp
	customerRef string
}

var followUpSheet = sheetSpec[followUpRow]{
	obj:  cohort.ObjFollowUp,
	name: text{"跟进记录", "Follow-ups"},
	cols: []column[followUpRow]{
		customerRefCol(func(r *followUpRow) cohort.ID { return r.CustomerID }, func(r *followUpRow) *string { return &r.customerRef }),
		userCol("author", text{"跟进人", "Author"}, exampleOwner, func(r *followUpRow) *cohort.ID { return &r.AuthorID }),
		func() column[followUpRow] {
			c := choiceColOf("type", text{"跟进方式", "Type"}, "电话", func(x *sheetCtx) []option { return x.followUpTypes },
				func(r *followUpRow) *string { return &r.Type })
			c.required = true
			return c
		}(),
		choiceCol("direction", text{"方向", "Direction"}, "主动", directions, func(r *followUpRow) *string { return &r.Direction }),
		{key: "occurred_at", label: text{"跟进时间", "Occurred at"}, example: "2026-01-31 14:30", required: true,
			get: timeCol("", text{}, func(r *followUpRow) time.Time { return r.OccurredAt }).get,
			set: func(x *sheetCtx, r *followUpRow, v string) *cellError {
				t, ok := parseTime(v, x.loc)
				if !ok {
					return fail(msgBadTime)
				}
				if t.After(x.now.Add(5 * time.Minute)) {
					return fail(msgFuture)
				}
				r.OccurredAt = t
				return nil
			}},
		{key: "duration_s", label: text{"时长（秒）", "Duration (s)"}, example: "300",
			get: func(_ *sheetCtx, r *followUpRow) any { return int64(r.DurationS) },
			set: func(_ *sheetCtx, r *followUpRow, v string) *cellError {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 86400 {
					return fail(msgBadInt, 86400)
				}
				r.DurationS = n
				return nil
			}},
		textCol("content", text{"内容", "Content"}, "介绍了新产品，客户下周安排技术交流", 20000, func(r *followUpRow) *string { return &r.Content }),
		idCol(func(r *followUpRow) cohort.ID { return r.ID }),
	},
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
