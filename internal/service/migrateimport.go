package service

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/idgen"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// Migration imports: a company's history from its old CRM or spreadsheets,
// loaded file by file (customers, contacts, opportunities, follow-ups),
// each record with its business times and the id it had in the old system
// (external_id). Later files name earlier records by those ids
// (customer_external_id); an id not found within the uploader's data scope
// is a row error naming its column. A row whose own external id a stored
// record has is skipped and counted (rows_skipped), so that a migration can
// be run again without duplicates. Columns of business times (a record's
// creation, stage entries, a close) need the backdate permission on the
// object type; a file that has one is refused at its header otherwise.

// Reasons of migration rows.
var (
	msgNoExternal   = text{"找不到该外部编号的记录（或不在你的权限范围内）", "no record has this external id (or it is not in your scope)"}
	msgDupExternal  = text{"外部编号与本文件前面的行重复", "repeats the external id of an earlier row of this file"}
	msgBackdateRow  = text{"早于 %d 天前，需要“设置历史时间”（backdate）权限", "is more than %d days back, which needs the backdate permission"}
	msgNoBackdate   = text{"文件含有业务时间列（%s），需要“设置历史时间”（backdate）权限", "the file has business-time columns (%s), which need the backdate permission"}
	msgBadEntry     = text{"第 %d 项“%s”无效：%s", "entry %d %q is invalid: %s"}
	msgStageFormat  = text{"应写作 阶段@时间", "write it as stage@time"}
	msgTeamFormat   = text{"应写作 角色:邮箱或姓名[:份额%]", "write it as role:e-mail or name[:share%]"}
	msgNoStage      = text{"销售流程“%s”中没有阶段“%s”", "the sales process %q has no stage %q"}
	msgStageOrder   = text{"阶段进入时间必须按先后顺序，且不早于创建时间", "stage entries must be in time order and not before the creation time"}
	msgNoProcess    = text{"没有该销售流程", "no such active sales process"}
	msgNoRole       = text{"没有业务角色“%s”", "no business role %q"}
	msgShares       = text{"收入角色的份额合计为 %s%%，应为 100%%", "the revenue roles' shares add up to %s %%, not 100 %%"}
	msgTwiceInTeam  = text{"%s 在团队中以同一角色出现了两次", "%s holds the same role twice"}
	msgCloseNoTime  = text{"填写了结果时必填", "is required when the outcome is given"}
	msgCloseNoOut   = text{"只有填写了结果才能填写", "needs an outcome"}
	msgCloseOrder   = text{"不能早于最后一个阶段的进入时间", "must not be before the last stage entry"}
	msgWonNoAmount  = text{"赢单需要金额", "a won opportunity needs its amount"}
	msgLostNoReason = text{"输单需要填写原因", "say why it was lost"}
)

// backdateColumns returns the labels of the business-time columns a file's
// header bound.
func (s *sheetSpec[T]) backdateColumns(bound []int, zh bool) []string {
	var out []string
	for _, ci := range bound {
		if ci >= 0 && s.cols[ci].backdate {
			out = append(out, s.cols[ci].label.in(zh))
		}
	}
	return out
}

// bindFor binds a file's header for an uploader who may (or may not)
// backdate: a file with business-time columns is refused, naming them, when
// they may not.
func (s *sheetSpec[T]) bindFor(header []string, zh, backdate bool) ([]int, error) {
	bound, err := s.bind(header, zh)
	if err != nil {
		return nil, err
	}
	if cols := s.backdateColumns(bound, zh); len(cols) > 0 && !backdate {
		return nil, &cohort.Error{Code: cohort.EFORBIDDEN, Message: fail(msgNoBackdate, strings.Join(cols, ", ")).say(zh)}
	}
	return bound, nil
}

// forUploader is the spec as a template shows it to an uploader: without
// the business-time columns when they may not backdate.
func (s *sheetSpec[T]) forUploader(backdate bool) *sheetSpec[T] {
	if backdate {
		return s
	}
	out := *s
	out.cols = nil
	for _, c := range s.cols {
		if !c.backdate {
			out.cols = append(out.cols, c)
		}
	}
	return &out
}

// extIDCol is a record's own external id.
func extIDCol[T any](field func(r *T) *string) column[T] {
	return column[T]{key: "external_id", label: text{"外部编号", "External ID"},
		get: func(_ *sheetCtx, r *T) any { return *field(r) },
		set: func(_ *sheetCtx, r *T, v string) *cellError {
			if msg := cohort.CheckExternalID(v); msg != "" {
				return fail(msgInvalid, msg)
			}
			*field(r) = v
			return nil
		}}
}

// extRefCol names another record by its external id; the importer
// resolves it.
func extRefCol[T any](key string, label text, field func(r *T) *string) column[T] {
	return column[T]{key: key, label: label,
		get: func(_ *sheetCtx, r *T) any { return *field(r) },
		set: func(_ *sheetCtx, r *T, v string) *cellError {
			if msg := cohort.CheckExternalID(v); msg != "" {
				return fail(msgInvalid, msg)
			}
			*field(r) = v
			return nil
		}}
}

// bizTimeCol is a business time the importer sets (needs the backdate
// permission): not in the future.
func bizTimeCol[T any](key string, label text, example string, field func(r *T) *time.Time) column[T] {
	return column[T]{key: key, label: label, example: example, backdate: true,
		get: timeCol("", text{}, func(r *T) time.Time { return *field(r) }).get,
		set: func(x *sheetCtx, r *T, v string) *cellError {
			t, ok := parseTime(v, x.loc)
			if !ok {
				return fail(msgBadTime)
			}
			if t.After(x.now.Add(5 * time.Minute)) {
				return fail(msgFuture)
			}
			*field(r) = t
			return nil
		}}
}

// splitEntries splits a cell of several entries separated by semicolons or
// line breaks.
func splitEntries(v string) []string {
	var out []string
	for _, e := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' || r == '\n' }) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// extRefs resolves the external ids of one table within a scope,
// remembering what it found across batches.
type extRefs struct {
	tenantID cohort.ID
	table    string
	kind     string
	scope    store.Where
	known    map[string]store.ExternalRef
	missing  map[string]bool
}

func newExtRefs(tenantID cohort.ID, table, kind string, scope store.Where) *extRefs {
	return &extRefs{tenantID: tenantID, table: table, kind: kind, scope: scope, known: map[string]store.ExternalRef{}, missing: map[string]bool{}}
}

func (e *extRefs) resolve(ctx context.Context, q store.Queryer, ids []string) error {
	if len(e.known)+len(e.missing) > maxKnownCustomers {
		clear(e.known)
		clear(e.missing)
	}
	var want []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] || e.missing[id] {
			continue
		}
		if _, ok := e.known[id]; ok {
			continue
		}
		seen[id] = true
		want = append(want, id)
	}
	if len(want) == 0 {
		return nil
	}
	found, err := store.ExternalRefs(ctx, q, e.table, e.tenantID, want, e.kind, e.scope)
	if err != nil {
		return err
	}
	for _, id := range want {
		if r, ok := found[id]; ok {
			e.known[id] = r
		} else {
			e.missing[id] = true
		}
	}
	return nil
}

func (e *extRefs) find(id string) (store.ExternalRef, bool) {
	r, ok := e.known[id]
	return r, ok
}

// markExisting marks the rows of a batch whose own external id a stored
// record of table has: skipped, unless this import wrote that record from
// an earlier row of the file (ids from since on), which is a repeat. Rows
// repeating an id within the batch are refused too.
func markExisting[T any](ctx context.Context, q store.Queryer, tenantID cohort.ID, table, kind string, since int64, zh bool,
	batch []importRow[T], ext func(r *T) string, bad map[int][]string) error {
	var ids []string
	first := map[string]int{}
	for i, r := range batch {
		id := ext(r.rec)
		if id == "" {
			continue
		}
		if _, ok := first[id]; ok {
			bad[i] = append(bad[i], text{"外部编号", "External ID"}.in(zh)+": "+msgDupExternal.in(zh))
			continue
		}
		first[id] = i
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := store.ExternalRefs(ctx, q, table, tenantID, ids, kind, store.Where{})
	if err != nil {
		return err
	}
	for id, f := range found {
		i := first[id]
		if int64(f.ID) >= since {
			bad[i] = append(bad[i], text{"外部编号", "External ID"}.in(zh)+": "+msgDupExternal.in(zh))
		} else {
			batch[i].skip = true
		}
	}
	return nil
}

// importSince is the first id of the records an import writes: ids grow
// with the time they are made, and the import's first run started before
// it wrote any (a record of an earlier import has a smaller id).
func importSince(imp *cohort.Import) int64 {
	if imp.StartedAt == nil {
		return 0
	}
	return idgen.FirstAt(*imp.StartedAt)
}

// --- opportunities

// oppRow is an opportunity row with the cells the importer resolves.
type oppRow struct {
	cohort.Opportunity
	customerRef string
	customerExt string
	process     string
	stagesRaw   []stageCell
	teamRaw     []teamCell
	outcome     string
	closedAt    time.Time
	// resolved by check
	stages []store.StageEntryAt
	team   []cohort.TeamMember
}

type stageCell struct {
	stage string
	at    time.Time
}

type teamCell struct {
	role, user string
	share      int // basis points; -1 when not given
}

var oppOutcomes = []option{{cohort.OppWon, "赢单", "won"}, {cohort.OppLost, "输单", "lost"}, {cohort.OppInvalid, "无效", "invalid"}}

// parseStages reads a stage history cell: stage@time entries separated by
// semicolons or line breaks, in the order they were entered (a stage may
// come back).
func parseStages(x *sheetCtx, v string) ([]stageCell, *cellError) {
	var out []stageCell
	for i, e := range splitEntries(v) {
		st, at, ok := strings.Cut(strings.ReplaceAll(e, "＠", "@"), "@")
		st, at = strings.TrimSpace(st), strings.TrimSpace(at)
		if !ok || st == "" || at == "" {
			return nil, fail(msgBadEntry, i+1, e, msgStageFormat.in(x.zh))
		}
		t, ok := parseTime(at, x.loc)
		if !ok {
			return nil, fail(msgBadEntry, i+1, e, msgBadTime.in(x.zh))
		}
		if t.After(x.now.Add(5 * time.Minute)) {
			return nil, fail(msgBadEntry, i+1, e, msgFuture.in(x.zh))
		}
		out = append(out, stageCell{st, t})
	}
	return out, nil
}

// parseTeam reads a team cell: role:user[:share%] entries separated by
// semicolons or line breaks.
func parseTeam(x *sheetCtx, v string) ([]teamCell, *cellError) {
	var out []teamCell
	for i, e := range splitEntries(v) {
		parts := strings.Split(strings.ReplaceAll(e, "：", ":"), ":")
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, fail(msgBadEntry, i+1, e, msgTeamFormat.in(x.zh))
		}
		m := teamCell{role: parts[0], user: parts[1], share: -1}
		if len(parts) == 3 {
			bp, ok := parseShare(parts[2])
			if !ok {
				return nil, fail(msgBadEntry, i+1, e, msgTeamFormat.in(x.zh))
			}
			m.share = bp
		}
		out = append(out, m)
	}
	return out, nil
}

// parseShare reads a share in percent (60, 60%, 33.33%) into basis points.
func parseShare(v string) (int, bool) {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(v, "%"), "％"))
	n, ok := parseCent(v) // percent with two decimals = basis points
	if !ok || n < 0 || n > cohort.FullShare {
		return 0, false
	}
	return int(n), true
}

var oppSheet = sheetSpec[oppRow]{
	obj:   cohort.ObjOpportunity,
	name:  text{"商机", "Opportunities"},
	anyOf: []string{"customer", "customer_external_id"},
	cols: []column[oppRow]{
		func() column[oppRow] {
			c := extIDCol(func(r *oppRow) *string { return &r.ExternalID })
			c.example = "OPP-1001"
			return c
		}(),
		func() column[oppRow] {
			c := extRefCol("customer_external_id", text{"客户外部编号", "Customer external ID"}, func(r *oppRow) *string { return &r.customerExt })
			c.example = "C-1001"
			return c
		}(),
		func() column[oppRow] {
			c := customerRefCol(func(r *oppRow) cohort.ID { return r.CustomerID }, func(r *oppRow) *string { return &r.customerRef })
			c.required, c.example = false, ""
			return c
		}(),
		func() column[oppRow] {
			c := textCol("name", text{"商机名称", "Name"}, "星河科技 ERP 升级", 200, func(r *oppRow) *string { return &r.Name })
			c.required = true
			return c
		}(),
		textCol("process", text{"销售流程", "Sales process"}, "大单", 50, func(r *oppRow) *string { return &r.process }),
		{key: "amount", label: text{"金额（元）", "Amount (yuan)"}, example: "500000.00",
			get: func(_ *sheetCtx, r *oppRow) any { return r.Amount },
			set: func(_ *sheetCtx, r *oppRow, v string) *cellError {
				n, ok := parseCent(v)
				if !ok || n < 0 || n > cohort.MaxMoney {
					return fail(msgBadMoney)
				}
				r.Amount = n
				return nil
			}},
		{key: "expected_close_date", label: text{"预计成交日期", "Expected close date"}, example: "2025-06-30",
			get: func(_ *sheetCtx, r *oppRow) any { return r.ExpectedCloseDate },
			set: func(x *sheetCtx, r *oppRow, v string) *cellError {
				d, ok := parseDate(v, x.loc)
				if !ok {
					return fail(msgBadDate)
				}
				r.ExpectedCloseDate = d
				return nil
			}},
		textCol("source", text{"来源", "Source"}, "展会", 200, func(r *oppRow) *string { return &r.Source }),
		textCol("competitor", text{"竞争对手", "Competitor"}, "", 200, func(r *oppRow) *string { return &r.Competitor }),
		userCol("owner", text{"负责人", "Owner"}, exampleOwner, func(r *oppRow) *cohort.ID { return &r.OwnerID }),
		{key: "team", label: text{"团队", "Team"}, example: "owner:zhang.wei@example.com:60%; owner:li.na@example.com:40%; presales:wang.fang@example.com",
			get: func(_ *sheetCtx, _ *oppRow) any { return nil },
			set: func(x *sheetCtx, r *oppRow, v string) *cellError {
				t, e := parseTeam(x, v)
				r.teamRaw = t
				return e
			}},
		bizTimeCol("created_at", text{"创建时间", "Created at"}, "2025-03-01 09:00", func(r *oppRow) *time.Time { return &r.CreatedAt }),
		{key: "stages", label: text{"阶段历史", "Stage history"}, example: "qualify@2025-03-01 09:00; needs@2025-03-10 14:00; proposal@2025-04-02 10:00",
			backdate: true,
			get:      func(_ *sheetCtx, _ *oppRow) any { return nil },
			set: func(x *sheetCtx, r *oppRow, v string) *cellError {
				st, e := parseStages(x, v)
				r.stagesRaw = st
				return e
			}},
		choiceCol("outcome", text{"结果", "Outcome"}, "赢单", oppOutcomes, func(r *oppRow) *string { return &r.outcome }),
		bizTimeCol("closed_at", text{"结束时间", "Closed at"}, "2025-05-20 16:00", func(r *oppRow) *time.Time { return &r.closedAt }),
		textCol("loss_reason", text{"输单原因", "Loss reason"}, "", 500, func(r *oppRow) *string { return &r.LossReason }),
	},
}

// oppImport: the customer by external id or by name within the uploader's
// scope; the owner (the uploader when empty) and the team's members within
// it; the sales process by key or name (the tenant's first when empty);
// the stage history in time order from the creation time, with stages of
// the process; the outcome with its time and reason. Written with the team
// in force from the creation time, indexed and audited.
func (s *Service) oppImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx) (*objectImport[oppRow], error) {
	scope, a, err := s.importScope(ctx, cohort.ObjOpportunity)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	owners, err := store.UsersInScope(ctx, q, p.Tenant.ID, a)
	if err != nil {
		return nil, err
	}
	procs, err := store.ListProcesses(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	roles, err := store.ListBusinessRoles(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	byExt := newExtRefs(p.Tenant.ID, "customers", "", scope)
	byName := newCustomerRefs(p, scope, x)
	since := importSince(imp)
	label := func(key string) string {
		for _, c := range oppSheet.cols {
			if c.key == key {
				return c.label.in(x.zh)
			}
		}
		return key
	}
	say := func(key string, e *cellError) []string { return []string{label(key) + ": " + e.say(x.zh)} }
	findProcess := func(v string) *cohort.SalesProcess {
		for _, sp := range procs {
			if sp.Active && (v == "" || strings.EqualFold(v, sp.Key) || v == sp.NameZh || strings.EqualFold(v, sp.NameEn)) {
				return sp
			}
		}
		return nil
	}
	return &objectImport[oppRow]{
		spec: &oppSheet,
		check: func(o *oppRow, line int) []string {
			o.TenantID, o.Currency, o.Status, o.CreatedBy = p.Tenant.ID, p.Tenant.Currency, cohort.OppOpen, p.User.ID
			if o.customerExt == "" && o.customerRef == "" {
				return say("customer_external_id", fail(msgRequired))
			}
			proc := findProcess(o.process)
			if proc == nil {
				return say("process", fail(msgNoProcess))
			}
			o.ProcessID = proc.ID
			// The stage history, from the creation time on.
			if len(o.stagesRaw) == 0 {
				at := o.CreatedAt
				if at.IsZero() {
					at = x.now
				}
				o.stagesRaw = []stageCell{{proc.Stages[0].Key, at}}
			}
			if o.CreatedAt.IsZero() {
				o.CreatedAt = o.stagesRaw[0].at
			}
			o.stages = o.stages[:0]
			prev := o.CreatedAt
			for i, e := range o.stagesRaw {
				key := ""
				for _, st := range proc.Stages {
					if strings.EqualFold(e.stage, st.Key) || e.stage == st.NameZh || strings.EqualFold(e.stage, st.NameEn) {
						key = st.Key
					}
				}
				if key == "" {
					return say("stages", fail(msgBadEntry, i+1, e.stage, fail(msgNoStage, text{proc.NameZh, proc.NameEn}.in(x.zh), e.stage).say(x.zh)))
				}
				if e.at.Before(prev) {
					return say("stages", fail(msgStageOrder))
				}
				prev = e.at
				o.stages = append(o.stages, store.StageEntryAt{Stage: key, At: e.at})
			}
			o.Stage = o.stages[len(o.stages)-1].Stage
			// The outcome.
			switch {
			case o.outcome != "" && o.closedAt.IsZero():
				return say("closed_at", fail(msgCloseNoTime))
			case o.outcome == "" && !o.closedAt.IsZero():
				return say("closed_at", fail(msgCloseNoOut))
			case o.outcome != "" && o.closedAt.Before(prev):
				return say("closed_at", fail(msgCloseOrder))
			case o.outcome == cohort.OppWon && o.Amount <= 0:
				return say("amount", fail(msgWonNoAmount))
			case o.outcome == cohort.OppLost && strings.TrimSpace(o.LossReason) == "":
				return say("loss_reason", fail(msgLostNoReason))
			}
			if o.outcome != "" {
				closed := o.closedAt
				o.Status, o.ClosedAt = o.outcome, &closed
			}
			// The team: the owner column (or the first owner of the team, or
			// the uploader) is the record's owner.
			team, why := s.importTeam(x, p, o.teamRaw, &o.OwnerID, owners, roles, say)
			if why != nil {
				return why
			}
			o.DepartmentID = x.users.byID[o.OwnerID].DepartmentID
			for i := range team {
				team[i].RecordType, team[i].ValidFrom = cohort.ObjOpportunity, o.CreatedAt
			}
			o.team = team
			o.CustomerID = -1 // resolved with the batch; let Validate check the rest
			err := o.Validate()
			o.CustomerID = 0
			if err != nil {
				return validationReasons(err, x.zh)
			}
			return nil
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[oppRow]) (map[int][]string, error) {
			bad := map[int][]string{}
			if err := markExisting(ctx, q, p.Tenant.ID, "opportunities", "", since, x.zh, batch,
				func(o *oppRow) string { return o.ExternalID }, bad); err != nil {
				return nil, err
			}
			var exts, names []string
			for _, r := range batch {
				if r.rec.customerExt != "" {
					exts = append(exts, r.rec.customerExt)
				} else {
					names = append(names, r.rec.customerRef)
				}
			}
			if err := byExt.resolve(ctx, q, exts); err != nil {
				return nil, err
			}
			if err := byName.resolve(ctx, q, names); err != nil {
				return nil, err
			}
			for i, r := range batch {
				o := r.rec
				if len(bad[i]) > 0 || r.skip {
					continue
				}
				if o.customerExt != "" {
					c, ok := byExt.find(o.customerExt)
					if !ok {
						bad[i] = say("customer_external_id", fail(msgNoExternal))
						continue
					}
					o.CustomerID, o.customerRef = c.ID, c.Name
				} else if why := byName.reason(o.customerRef); why != nil {
					bad[i] = why
					continue
				} else {
					o.CustomerID = byName.known[o.customerRef].ID
					o.customerRef = byName.known[o.customerRef].Name
				}
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[oppRow], now time.Time) error {
			opps := make([]*cohort.Opportunity, len(batch))
			hist := make([][]store.StageEntryAt, len(batch))
			for i, r := range batch {
				opps[i], hist[i] = &r.rec.Opportunity, r.rec.stages
			}
			if err := store.BulkInsertOpportunities(ctx, tx, opps, hist, now); err != nil {
				return err
			}
			var team []cohort.TeamMember
			docs := make([]search.Doc, len(opps))
			audit := make([]*cohort.AuditEntry, len(opps))
			for i, r := range batch {
				o := opps[i]
				for _, m := range r.rec.team {
					m.RecordID = o.ID
					team = append(team, m)
				}
				docs[i] = search.Doc{TenantID: o.TenantID, ObjectType: string(cohort.ObjOpportunity), ObjectID: o.ID, OwnerID: o.OwnerID,
					DepartmentID: o.DepartmentID, Title: o.Name, Text: joinText(r.rec.customerRef, o.Competitor, o.Source), UpdatedAt: o.UpdatedAt}
				audit[i] = s.importAudit(p, imp, cohort.ObjOpportunity, o.ID, now)
				audit[i].Changes = append(audit[i].Changes, change("created_at", o.CreatedAt))
			}
			if err := store.BulkOpenMemberships(ctx, tx, p.Tenant.ID, team, now); err != nil {
				return err
			}
			if err := search.IndexNew(ctx, tx, docs); err != nil {
				return err
			}
			if err := madeFacts(ctx, tx, p, cohort.ObjOpportunity, opps, func(o *cohort.Opportunity) cohort.ID { return o.ID }); err != nil {
				return err
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
	}, nil
}

// madeFacts writes the facts of the records a batch made, in its
// transaction, plus those of the records it changed (more).
func madeFacts[T any](ctx context.Context, tx *store.Tx, p *cohort.Principal, obj cohort.ObjectType, made []T, id func(T) cohort.ID,
	more ...facts.Source) error {
	sources := make([]facts.Source, 0, len(made)+len(more))
	for _, r := range made {
		sources = append(sources, facts.Source{Type: obj, ID: id(r), New: true})
	}
	return facts.RewriteMany(ctx, tx, p.Tenant, append(sources, more...), nil)
}

// splitShares gives the revenue members of a team without a share (-1)
// an equal part of what the others leave (the first of them the odd basis
// points), and says why when the revenue shares do not add up to 100 %.
// Other roles carry their share as given (100 % when none).
func splitShares(team []cohort.TeamMember, roles []*cohort.BusinessRole) *cellError {
	revenue := map[string]bool{}
	for _, r := range roles {
		revenue[r.Key] = r.Revenue
	}
	given, unshared := 0, 0
	for _, m := range team {
		switch {
		case !revenue[m.Role]:
		case m.ShareBP < 0:
			unshared++
		default:
			given += m.ShareBP
		}
	}
	left := max(0, cohort.FullShare-given)
	first := true
	total := given
	for i := range team {
		m := &team[i]
		switch {
		case m.ShareBP >= 0:
		case !revenue[m.Role]:
			m.ShareBP = cohort.FullShare
		default:
			m.ShareBP = left / unshared
			if first {
				m.ShareBP += left % unshared
				first = false
			}
			total += m.ShareBP
		}
	}
	if total != cohort.FullShare {
		return fail(msgShares, strconv.FormatFloat(float64(total)/100, 'f', -1, 64))
	}
	return nil
}

// --- helpers shared by the per-type imports

// customerByExt resolves the customer_external_id cells of a batch and
// sets each row's customer, refusing the rows whose id is not found.
func customerByExt[T any](ctx context.Context, q store.Queryer, refs *extRefs, batch []importRow[T], zh bool, ext func(r *T) string,
	set func(r *T, c store.ExternalRef), bad map[int][]string) error {
	var ids []string
	for _, r := range batch {
		if id := ext(r.rec); id != "" {
			ids = append(ids, id)
		}
	}
	if err := refs.resolve(ctx, q, ids); err != nil {
		return err
	}
	for i, r := range batch {
		id := ext(r.rec)
		if id == "" || len(bad[i]) > 0 {
			continue
		}
		c, ok := refs.find(id)
		if !ok {
			bad[i] = []string{text{"客户外部编号", "Customer external ID"}.in(zh) + ": " + msgNoExternal.in(zh)}
			continue
		}
		set(r.rec, c)
	}
	return nil
}
