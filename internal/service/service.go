// Package service is the only place that decides who may do what. It
// validates input, runs every write in one transaction together with its audit
// entry and its outbox messages, and hands the store the access filter that
// every read must apply.
package service

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/cohortcrm/cohort/internal/facts"
	"log/slog"
	"sort"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/files"
	"github.com/cohortcrm/cohort/internal/store"
)

// Notifier puts a message in a user's inbox, in the caller's transaction.
type Notifier interface {
	Notify(ctx context.Context, tx *store.Tx, tenantID, userID cohort.ID, kind string, params map[string]any, link string) error
}

// Options tune the service.
type Options struct {
	// SessionTTL is a session's longest life; SessionIdleTTL ends it sooner
	// when unused for that long (0: no idle limit).
	SessionTTL       time.Duration
	SessionIdleTTL   time.Duration
	LoginMaxFailures int
	LoginWindow      time.Duration
	LoginLockout     time.Duration
	// LoginAddressMaxFailures failed logins from one address lock it; the
	// count decays by that many every LoginAddressWindow. [50 per 15 min;
	// negative: no address limit]
	LoginAddressMaxFailures int
	LoginAddressWindow      time.Duration
	// Argon2 cost; tests lower it.
	PasswordMemoryKiB uint32
	PasswordTime      uint32
	// FilesDir is the attachments folder; imports keep their files there.
	FilesDir string
	// MaxImportBytes caps an uploaded import file. [MaxImportBytes]
	MaxImportBytes int64
}

// Service implements cohort.OrgService, cohort.AuthService and
// cohort.AuditService.
type Service struct {
	db        *store.DB
	clock     cohort.Clock
	log       *slog.Logger
	opt       Options
	notifier  Notifier
	reminders Reminders
	files     files.Store
	jobs      JobQueue
	auth      authCache
	// orgs keeps people's organisation histories for the fact projections
	// of writes; cleared whenever a user changes.
	orgs *facts.OrgCache
	// factsChanged hears, after commit, of each transaction that rewrote
	// a tenant's facts (live cockpits).
	factsChanged func(tenantID cohort.ID)
}

// Reminders schedules the reminder of a next action, in the caller's
// transaction.
type Reminders interface {
	Schedule(ctx context.Context, tx *store.Tx, n *cohort.NextAction) error
}

// SetReminders wires next-action reminders.
func (s *Service) SetReminders(r Reminders) { s.reminders = r }

// New returns a Service over db.
func New(db *store.DB, clock cohort.Clock, log *slog.Logger, opt Options) *Service {
	if opt.SessionTTL == 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.LoginMaxFailures == 0 {
		opt.LoginMaxFailures = 5
	}
	if opt.LoginWindow == 0 {
		opt.LoginWindow = 15 * time.Minute
	}
	if opt.LoginLockout == 0 {
		opt.LoginLockout = 15 * time.Minute
	}
	if opt.LoginAddressMaxFailures == 0 {
		opt.LoginAddressMaxFailures = 50
	}
	if opt.LoginAddressWindow == 0 {
		opt.LoginAddressWindow = 15 * time.Minute
	}
	if opt.PasswordMemoryKiB == 0 {
		opt.PasswordMemoryKiB = 19 * 1024
	}
	if opt.MaxImportBytes == 0 {
		opt.MaxImportBytes = MaxImportBytes
	}
	if opt.PasswordTime == 0 {
		opt.PasswordTime = 2
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, clock: clock, log: log, opt: opt, orgs: facts.NewOrgCache()}
}

// SetNotifier wires the inbox; without one, notifications are dropped.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

// SetFactsListener has f called after every transaction that rewrote facts,
// once per transaction, with the tenant (the "facts changed" event of the
// live event stream). f must not block.
func (s *Service) SetFactsListener(f func(tenantID cohort.ID)) { s.factsChanged = f }

// DB returns the service's database.
func (s *Service) DB() *store.DB { return s.db }

// Clock returns the service's clock.
func (s *Service) Clock() cohort.Clock { return s.clock }

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// principal returns the caller or an EUNAUTHORIZED error.
func principal(ctx context.Context) (*cohort.Principal, error) {
	p := cohort.PrincipalFrom(ctx)
	if p == nil || p.Tenant == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return p, nil
}

// require returns the caller when they may do act on obj.
func require(ctx context.Context, obj cohort.ObjectType, act cohort.Action) (*cohort.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.System || p.Permissions.Can(obj, act) {
		return p, nil
	}
	return nil, cohort.Errorf(cohort.EFORBIDDEN, "you may not %s %s", act, obj)
}

// Access turns (caller, object type, action) into the filter every read path
// of that object type must apply: lists, details, search, reports, exports.
// It fails with EFORBIDDEN when the action is not granted at all.
func (s *Service) Access(ctx context.Context, obj cohort.ObjectType, act cohort.Action) (cohort.Access, error) {
	p, err := require(ctx, obj, act)
	if err != nil {
		return cohort.Access{}, err
	}
	a := cohort.Access{TenantID: p.Tenant.ID, Scope: cohort.ScopeAll}
	if p.System {
		return a, nil
	}
	a.Scope = p.Permissions[obj].Scope
	a.UserID = p.User.ID
	a.DepartmentID = p.User.DepartmentID
	a.DepartmentPath = p.DepartmentPath
	return a, nil
}

// audit appends an audit entry for the caller in tx.
func (s *Service) audit(ctx context.Context, tx *store.Tx, action string, obj cohort.ObjectType, id cohort.ID, changes []cohort.FieldChange) error {
	p := cohort.PrincipalFrom(ctx)
	e := &cohort.AuditEntry{At: s.now(), Action: action, ObjectType: obj, ObjectID: id, Changes: changes}
	if p != nil {
		e.TenantID = p.Tenant.ID
		if p.User != nil {
			e.ActorID = p.User.ID
		}
		e.IP, e.UserAgent, e.RequestID = p.Meta.IP, p.Meta.UserAgent, p.Meta.RequestID
	}
	switch obj {
	case cohort.ObjUser, cohort.ObjRole, cohort.ObjDepartment, cohort.ObjTenant, "api_token":
		// Who may do what may have changed: cached principals are stale.
		tx.AfterCommit(s.auth.clear)
	}
	if obj == cohort.ObjUser {
		// A department move may have changed a person's history: this
		// transaction's projections read it fresh, and the others' once
		// it commits.
		s.factWork(ctx, tx).freshOrgs = true
		tx.AfterCommit(s.orgs.Clear)
	}
	s.project(ctx, tx, obj, id)
	return store.InsertAudit(ctx, tx, e)
}

// projectOpenActions has the transaction rewrite the facts of a customer's
// open next actions: call it before a statement closes, hands over or
// cancels them.
func (s *Service) projectOpenActions(ctx context.Context, tx *store.Tx, customerID cohort.ID) error {
	p := cohort.PrincipalFrom(ctx)
	ids, err := store.OpenNextActionIDs(ctx, tx, p.Tenant.ID, customerID)
	for _, id := range ids {
		s.project(ctx, tx, facts.SourceNextAction, id)
	}
	return err
}

// projectSigningFollowUp has the transaction rewrite a customer's facts when
// follow-up f, dated before the customer's first signing, changes its
// "follow-ups before the first signing" and first contact.
func (s *Service) projectSigningFollowUp(ctx context.Context, tx *store.Tx, c *cohort.Customer, f *cohort.FollowUp) {
	if c.FirstSignedAt != nil && f.OccurredAt.Before(*c.FirstSignedAt) {
		s.project(ctx, tx, cohort.ObjCustomer, c.ID)
	}
}

// project has the transaction rewrite the facts of record id of type obj
// before it commits (once, however often the record was touched): every
// audited write of a measurable record keeps its facts in step.
func (s *Service) project(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID) {
	s.projectSource(ctx, tx, facts.Source{Type: obj, ID: id})
}

// projectNew is project for a record made in tx (no facts to delete).
func (s *Service) projectNew(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID) {
	s.projectSource(ctx, tx, facts.Source{Type: obj, ID: id, New: true})
}

// projectMade is projectNew for a record the writer holds as it was made:
// its facts are projected from made, not read back. Call it after the
// record's last audit in tx: a later change of the record in tx
// (registered by its audit) has its facts read back again.
func (s *Service) projectMade(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, made func(*facts.Projector) ([]facts.Fact, error)) {
	s.projectSource(ctx, tx, facts.Source{Type: obj, ID: id, New: true, Made: made})
}

// projectHeld has the transaction rewrite the facts of record id, which
// it changed but did not make, from what made projects (the record as
// written, held in memory) instead of reading the record back; its stored
// facts are read to compare as for project. A later registration without
// made reads it back.
func (s *Service) projectHeld(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, made func(*facts.Projector) ([]facts.Fact, error)) {
	s.projectSource(ctx, tx, facts.Source{Type: obj, ID: id, Made: made})
}

// projected reports whether tx has registered the facts of record id of
// type obj for a rewrite.
func (s *Service) projected(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID) bool {
	_, ok := s.factWork(ctx, tx).index[sourceKey{obj, id}]
	return ok
}

// projectMoved narrows the rewrite of open opportunity o's facts to what
// its move to another stage changed: the stage entries from from on (as
// store.EnterStage returned it), its creation and its current state
// (facts.StageMove).
// Call it after the move's audits, and only when the opportunity was not
// registered before them (projected): the move must be the only change of
// the opportunity in tx. A later registration has the whole record
// projected again.
func (s *Service) projectMoved(ctx context.Context, tx *store.Tx, o *cohort.Opportunity, from time.Time) {
	s.projectSource(ctx, tx, facts.Source{Type: cohort.ObjOpportunity, ID: o.ID, Moved: &facts.StageMove{Opportunity: o, From: from}})
}

// teamAsWritten returns, for a fact projection at the end of tx, members
// (a record's whole team as newTeam wrote it) while no later statement of
// tx wrote a team; nil then, and the projection reads the team back.
func teamAsWritten(tx *store.Tx, members []cohort.TeamMember) func() []cohort.TeamMember {
	mark := tx.TeamWrites()
	return func() []cohort.TeamMember {
		if tx.TeamWrites() != mark {
			return nil
		}
		return members
	}
}

func (s *Service) projectSource(ctx context.Context, tx *store.Tx, src facts.Source) {
	obj, id := src.Type, src.ID
	p := cohort.PrincipalFrom(ctx)
	if p == nil || p.Tenant == nil || id == 0 || !facts.IsSource(obj) {
		return
	}
	w := s.factWork(ctx, tx)
	key := sourceKey{obj, id}
	if i, ok := w.index[key]; ok {
		w.sources[i].New = w.sources[i].New || src.New
		// What was held in memory may be stale now: read the record back
		// unless this registration brings the record itself.
		w.sources[i].Made = src.Made
		w.sources[i].Moved = src.Moved
		return
	}
	w.index[key] = len(w.sources)
	w.sources = append(w.sources, src)
	if obj == cohort.ObjQuote || obj == cohort.ObjContract || obj == cohort.ObjOrder {
		// A won opportunity's quote.won fact reads its last quote and final
		// contract or order: their writes rewrite it too.
		var opp *int64
		if err := tx.QueryRowContext(ctx, "SELECT opportunity_id FROM deals WHERE tenant_id = ? AND id = ?", int64(p.Tenant.ID), int64(id)).Scan(&opp); err == nil && opp != nil {
			s.projectSource(ctx, tx, facts.Source{Type: cohort.ObjOpportunity, ID: cohort.ID(*opp)})
		}
	}
}

// sourceKey names a source record in a transaction's fact work.
type sourceKey struct {
	typ cohort.ObjectType
	id  cohort.ID
}

// factWork is the records whose facts a transaction rewrites before it
// commits.
type factWork struct {
	sources   []facts.Source
	index     map[sourceKey]int
	freshOrgs bool
}

// factWork returns tx's fact work, registering its rewrite before commit the
// first time.
func (s *Service) factWork(ctx context.Context, tx *store.Tx) *factWork {
	return tx.Local("facts", func() any {
		w := &factWork{index: map[sourceKey]int{}}
		tx.BeforeCommit("facts", func() error {
			p := cohort.PrincipalFrom(ctx)
			if len(w.sources) == 0 || p == nil || p.Tenant == nil {
				return nil
			}
			if s.factsChanged != nil {
				// This runs once per transaction: one event however many
				// records it rewrote.
				tenantID := p.Tenant.ID
				tx.AfterCommit(func() { s.factsChanged(tenantID) })
			}
			orgs := s.orgs
			if w.freshOrgs {
				orgs = nil
			}
			return facts.RewriteMany(ctx, tx, p.Tenant, w.sources, orgs)
		})
		return w
	}).(*factWork)
}

// notify queues an inbox message for userID in tx.
func (s *Service) notify(ctx context.Context, tx *store.Tx, tenantID, userID cohort.ID, kind string, params map[string]any, link string) error {
	if s.notifier == nil || userID == 0 {
		return nil
	}
	return s.notifier.Notify(ctx, tx, tenantID, userID, kind, params, link)
}

// jsonFields returns the top-level fields of v's JSON, each as its raw
// text, as json.Unmarshal into a map of json.RawMessage gives them. It
// splits the marshalled object itself (json.Unmarshal took most of an audit
// diff's time), and falls back to json.Unmarshal for anything but a plain
// object with unescaped keys.
func jsonFields(v any) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if v == nil {
		return m
	}
	b, _ := json.Marshal(v)
	if !splitObject(b, m) {
		clear(m)
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// splitObject puts the members of the compact JSON object b into m; false
// when b is not one it can split (whitespace, escaped keys, not an object).
func splitObject(b []byte, m map[string]json.RawMessage) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	i := 1
	if b[i] == '}' {
		return i == len(b)-1
	}
	for {
		if b[i] != '"' {
			return false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				return false
			}
			j++
		}
		if j+1 >= len(b) || b[j+1] != ':' {
			return false
		}
		key := string(b[i+1 : j])
		start := j + 2
		end, ok := valueEnd(b, start)
		if !ok || end >= len(b) {
			return false
		}
		m[key] = json.RawMessage(b[start:end])
		switch b[end] {
		case ',':
			i = end + 1
		case '}':
			return end == len(b)-1
		default:
			return false
		}
	}
}

// valueEnd returns where the compact JSON value at b[i:] ends.
func valueEnd(b []byte, i int) (int, bool) {
	depth, inString := 0, false
	for j := i; j < len(b); j++ {
		c := b[j]
		if inString {
			switch c {
			case '\\':
				j++
			case '"':
				inString = false
				if depth == 0 {
					return j + 1, true
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j, j > i
			}
			depth--
			if depth == 0 {
				return j + 1, true
			}
		case ',':
			if depth == 0 {
				return j, j > i
			}
		case ' ', '\t', '\n', '\r':
			return 0, false
		}
	}
	return 0, false
}

// unchangedFields are left out of audit diffs.
var unchangedFields = map[string]bool{"version": true, "updated_at": true, "created_at": true, "last_login_at": true}

// diff lists the JSON fields that differ between before and after (either
// may be nil, for creates and deletes).
func diff(before, after any) []cohort.FieldChange {
	a, b := jsonFields(before), jsonFields(after)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	created, deleted := len(a) == 0, len(b) == 0
	var out []cohort.FieldChange
	for k := range keys {
		if unchangedFields[k] || bytes.Equal(a[k], b[k]) {
			continue
		}
		// A create (or delete) names the fields it set (or cleared): an
		// empty one is the default, and the ids are the entry's own.
		if (created && emptyJSON(b[k])) || (deleted && emptyJSON(a[k])) || ((created || deleted) && recordKeys[k]) {
			continue
		}
		out = append(out, cohort.FieldChange{Field: k, Before: orNull(a[k]), After: orNull(b[k])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// recordKeys are a record's own keys, already in every audit entry
// (object_id and the tenant).
var recordKeys = map[string]bool{"id": true, "tenant_id": true}

// emptyJSON reports a JSON value that says nothing: null, "", 0, false, [],
// {}.
func emptyJSON(r json.RawMessage) bool {
	switch string(bytes.TrimSpace(r)) {
	case "", "null", `""`, "0", "false", "[]", "{}":
		return true
	}
	return false
}

func orNull(r json.RawMessage) json.RawMessage {
	if r == nil {
		return json.RawMessage("null")
	}
	return r
}

// checkVersion fails with EPRECONDITION when the client's version is stale.
func checkVersion(ifVersion, current int, what string) error {
	if ifVersion != 0 && ifVersion != current {
		return cohort.Errorf(cohort.EPRECONDITION, "the %s was changed by someone else (version %d, you have %d); reload and try again", what, current, ifVersion)
	}
	return nil
}
