// Package demo creates a realistic demo tenant: a Chinese B2B company with
// regional sales departments, presales, delivery and customer success, and
// about 60 people with managers and roles. The same seed gives the same
// company.
package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
)

// Options choose the demo.
type Options struct {
	Seed uint64
	// Scale is S, M or L (see Scales); empty makes the people only.
	Scale string
	// Custom, when set, is used instead of Scale (tests use small ones).
	Custom        *Scale
	AdminEmail    string
	AdminPassword string
	// UserPassword is every other demo user's password.
	UserPassword string
	// Progress, when set, gets a progress bar.
	Progress io.Writer
}

// Result says how to log in.
type Result struct {
	Tenant     *cohort.Tenant
	AdminEmail string
	Password   string
	Users      int
	// Rows is how many history rows were written.
	Rows int
	// SalesEmail and ManagerEmail are a salesperson's and a sales
	// manager's logins, with UserPassword: the administrator owns no customer.
	SalesEmail   string
	ManagerEmail string
	UserPassword string
}

// The built-in roles of the demo's sales teams.
const (
	salesRole   = "销售 Salesperson"
	managerRole = "销售经理 Sales manager"
)

// Defaults for the demo login.
const (
	DefaultAdminEmail = "admin@demo.cohort.local"
	DefaultPassword   = "cohort-demo"
)

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢")

var givenNames = []string{"伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚",
	"桂英", "子涵", "浩然", "雨轩", "欣怡", "梓萱", "宇航", "思远", "晨曦", "嘉怡", "俊杰", "文博", "一鸣", "佳琪", "晓东", "海峰", "志强", "建华", "丽娟", "文静"}

var pinyin = map[rune]string{'王': "wang", '李': "li", '张': "zhang", '刘': "liu", '陈': "chen", '杨': "yang", '黄': "huang", '赵': "zhao", '吴': "wu",
	'周': "zhou", '徐': "xu", '孙': "sun", '马': "ma", '朱': "zhu", '胡': "hu", '郭': "guo", '何': "he", '高': "gao", '林': "lin", '罗': "luo",
	'郑': "zheng", '梁': "liang", '谢': "xie", '宋': "song", '唐': "tang", '许': "xu", '韩': "han", '冯': "feng", '邓': "deng", '曹': "cao",
	'彭': "peng", '曾': "zeng", '萧': "xiao", '田': "tian", '董': "dong", '潘': "pan", '袁': "yuan", '蔡': "cai", '蒋': "jiang", '余': "yu",
	'于': "yu", '杜': "du", '叶': "ye", '程': "cheng", '魏': "wei", '苏': "su", '吕': "lv", '丁': "ding", '任': "ren", '沈': "shen",
	'姚': "yao", '卢': "lu"}

// unit is a department of the demo company with its head count.
type unit struct {
	name     string
	parent   string
	people   int
	role     string // permission role of the members
	headRole string
}

var company = []unit{
	{name: "销售中心", parent: "", people: 1, role: "销售经理 Sales manager", headRole: "销售经理 Sales manager"},
	{name: "华东大区", parent: "销售中心", people: 9, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "华北大区", parent: "销售中心", people: 8, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "华南大区", parent: "销售中心", people: 8, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "西南大区", parent: "销售中心", people: 6, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "大客户部", parent: "销售中心", people: 5, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "售前技术部", parent: "", people: 6, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "交付中心", parent: "", people: 7, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "客户成功部", parent: "", people: 5, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
	{name: "运营管理部", parent: "", people: 3, role: "销售 Salesperson", headRole: "销售经理 Sales manager"},
}

// Create makes the demo tenant (slug "demo"). It fails with ECONFLICT when
// one exists already.
func Create(ctx context.Context, svc *service.Service, opt Options) (*Result, error) {
	if opt.AdminEmail == "" {
		opt.AdminEmail = DefaultAdminEmail
	}
	if opt.AdminPassword == "" {
		opt.AdminPassword = DefaultPassword
	}
	if opt.UserPassword == "" {
		opt.UserPassword = DefaultPassword
	}
	sc, withHistory := Scales[opt.Scale]
	if opt.Custom != nil {
		sc, withHistory = *opt.Custom, true
	}
	if opt.Scale != "" && !withHistory {
		return nil, cohort.Errorf(cohort.EINVALID, "scale must be S, M or L")
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	t, admin, err := svc.CreateTenant(ctx, service.NewTenant{
		Tenant:    cohort.Tenant{Name: "星云科技有限公司", Slug: "demo"},
		AdminName: "系统管理员", AdminEmail: opt.AdminEmail, AdminPassword: opt.AdminPassword,
	})
	if err != nil {
		return nil, err
	}
	units := companyUnits(sc.People)
	total := 0
	for _, u := range units {
		total += u.people
	}
	bar := newBar(opt.Progress, "demo: people", total)
	hash := svc.HashPassword(opt.UserPassword)
	db := svc.DB()
	now := svc.Clock().Now()
	users := 1
	var salesEmail, managerEmail string
	err = db.WriteTx(ctx, func(tx *store.Tx) error {
		roles, err := store.ListPermRoles(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		roleID := map[string]cohort.ID{}
		for _, r := range roles {
			roleID[r.Name] = r.ID
		}
		depts, err := store.ListDepartments(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		root := depts[0]
		deptID := map[string]cohort.ID{"": root.ID}
		headOf := map[string]cohort.ID{"": admin.ID}
		usedEmail := map[string]bool{}
		for i, u := range units {
			d := &cohort.Department{TenantID: t.ID, Name: u.name, ParentID: deptID[u.parent], SortOrder: i}
			if err := store.InsertDepartment(ctx, tx, d, now); err != nil {
				return err
			}
			deptID[u.name] = d.ID
			for p := 0; p < u.people; p++ {
				name, email := person(rng, usedEmail)
				role := u.role
				manager := headOf[u.name]
				if p == 0 {
					role, manager = u.headRole, headOf[u.parent]
				}
				// Everyone was in their department before the history began.
				user := &cohort.User{TenantID: t.ID, Name: name, Email: email, Phone: fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(1e8)),
					DepartmentID: d.ID, ManagerID: manager, Status: cohort.UserActive, Locale: cohort.DefaultLocale,
					PermRoleIDs: []cohort.ID{roleID[role]}, OrgSince: now.AddDate(-2, -2, 0)}
				if err := store.InsertUser(ctx, tx, user, hash, now); err != nil {
					return err
				}
				if p == 0 {
					headOf[u.name] = user.ID
					d.ManagerID = user.ID
				}
				if role == salesRole && salesEmail == "" {
					salesEmail = email
				}
				if role == managerRole && managerEmail == "" {
					managerEmail = email
				}
				users++
				bar.Add(1)
			}
			prev := *d
			prev.ManagerID = 0
			if err := store.UpdateDepartment(ctx, tx, d, &prev, now); err != nil {
				return err
			}
		}
		return nil
	})
	bar.Done()
	if err != nil {
		return nil, err
	}
	res := &Result{Tenant: t, AdminEmail: opt.AdminEmail, Password: opt.AdminPassword, Users: users,
		SalesEmail: salesEmail, ManagerEmail: managerEmail, UserPassword: opt.UserPassword}
	if !withHistory {
		return res, nil
	}
	sctx, err := svc.SystemContext(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	pool := &cohort.Pool{Name: "公海", IsDefault: true, NoFollowUpDays: poolNoFollowUpDays, NoFollowUpByGrade: map[string]int{"A": poolGradeADays}, WarnDays: 7,
		DailyClaimLimit: 10, MaxOwned: 2000, ReclaimBlockDays: 30}
	if err := svc.SavePool(sctx, pool, 0); err != nil {
		return nil, err
	}
	ppl, err := demoPeople(ctx, db, t.ID)
	if err != nil {
		return nil, err
	}
	hbar := newBar(opt.Progress, "demo: customers", sc.Customers)
	res.Rows, err = history(ctx, db, t, ppl, sc, rng, now, hbar)
	hbar.Done()
	if err != nil {
		return res, err
	}
	n, err := sales(ctx, db, t, ppl, rng, now)
	res.Rows += n
	if err != nil {
		return res, err
	}
	n, err = leads(ctx, db, t, ppl, sc, rng, now)
	res.Rows += n
	if err != nil {
		return res, err
	}
	if err := orgMoves(ctx, db, t, ppl, rng, now); err != nil {
		return res, err
	}
	// The history was written in bulk: its facts are projected at the end,
	// the way `cohort facts rebuild` does.
	if t, err = store.FindTenant(ctx, db.Read(), t.ID); err != nil {
		return res, err
	}
	// A bar for each step of the rebuild.
	fbar, step := newBar(nil, "", 0), facts.Step("")
	n, _, err = facts.Rebuild(ctx, db, t, func(s facts.Step, done, total int) {
		if s != step {
			if step != "" {
				fbar.Done()
			}
			step, fbar = s, newBar(opt.Progress, "demo: facts, "+string(s), total)
		}
		fbar.Add(done - fbar.n)
	})
	if step != "" {
		fbar.Done()
	}
	res.Rows += n
	if err != nil {
		return res, err
	}
	abar := newBar(opt.Progress, "demo: analyze", 1)
	abar.Add(0)
	err = db.Analyze(ctx)
	abar.Add(1)
	abar.Done()
	if err != nil {
		return res, err
	}
	if sc.Goals {
		gbar := newBar(opt.Progress, "demo: goals", len(ppl.sales)*2+len(ppl.presales)+len(units))
		err := goals(sctx, svc, ppl, now, gbar)
		gbar.Done()
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// companyUnits is the base company, with more sales teams under the regions
// until it has about headCount people (and 40 departments at 500 people).
func companyUnits(headCount int) []unit {
	units := append([]unit(nil), company...)
	total := 0
	for _, u := range units {
		total += u.people
	}
	regions := []string{"华东大区", "华北大区", "华南大区", "西南大区", "大客户部"}
	for i := 0; total < headCount; i++ {
		region := regions[i%len(regions)]
		n := min(16, headCount-total)
		units = append(units, unit{name: fmt.Sprintf("%s%d组", region, i/len(regions)+1), parent: region, people: n,
			role: salesRole, headRole: managerRole})
		total += n
	}
	return units
}

// demoPeople sorts the tenant's people by what they do, by department name.
func demoPeople(ctx context.Context, db *store.DB, tenantID cohort.ID) (people, error) {
	depts, err := store.ListDepartments(ctx, db.Read(), tenantID)
	if err != nil {
		return people{}, err
	}
	kind := map[cohort.ID]string{}
	for _, d := range depts {
		switch {
		case strings.Contains(d.Name, "售前"):
			kind[d.ID] = "presales"
		case strings.Contains(d.Name, "客户成功") || strings.Contains(d.Name, "交付"):
			kind[d.ID] = "success"
		case strings.Contains(d.Name, "大区") || strings.Contains(d.Name, "大客户") || strings.Contains(d.Name, "组"):
			kind[d.ID] = "sales"
		}
	}
	var ppl people
	cursor := ""
	for {
		users, next, err := store.ListUsers(ctx, db.Read(), tenantID, cohort.Access{TenantID: tenantID, Scope: cohort.ScopeAll},
			cohort.ListQuery{Limit: cohort.MaxLimit, Sort: []cohort.SortKey{{Field: "email"}}, Cursor: cursor}, nil)
		if err != nil {
			return ppl, err
		}
		for _, u := range users {
			switch kind[u.DepartmentID] {
			case "sales":
				ppl.sales = append(ppl.sales, u)
			case "presales":
				ppl.presales = append(ppl.presales, u)
			case "success":
				ppl.success = append(ppl.success, u)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(ppl.sales) == 0 {
		return ppl, fmt.Errorf("demo: no salespeople")
	}
	return ppl, nil
}

func person(rng *rand.Rand, used map[string]bool) (string, string) {
	for {
		s := surnames[rng.IntN(len(surnames))]
		g := givenNames[rng.IntN(len(givenNames))]
		email := fmt.Sprintf("%s.%d@demo.cohort.local", pinyin[s], 100+rng.IntN(900))
		if !used[email] {
			used[email] = true
			return string(s) + g, email
		}
	}
}

// bar is a terminal progress bar.
type bar struct {
	w     io.Writer
	label string
	total int
	n     int
	shown int
}

func newBar(w io.Writer, label string, total int) *bar {
	return &bar{w: w, label: label, total: total, shown: -1}
}

func (b *bar) Add(n int) {
	b.n += n
	if b.w == nil || b.total == 0 {
		return
	}
	pct := b.n * 100 / b.total
	if pct == b.shown {
		return
	}
	b.shown = pct
	filled := pct * 30 / 100
	fmt.Fprintf(b.w, "\r%s [%s%s] %3d%% %d/%d", b.label, strings.Repeat("█", filled), strings.Repeat("·", 30-filled), pct, b.n, b.total)
}

func (b *bar) Done() {
	if b.w != nil {
		fmt.Fprintln(b.w)
	}
}
