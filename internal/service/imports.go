package service

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/idgen"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/sheet"
	"github.com/cohortcrm/cohort/internal/store"
)

// Imports: an upload is checked (format, header row) while the uploader
// waits, kept under the attachments folder, and worked by a background job
// that acts as the uploader with no more than the permissions they held at
// upload.
//
// How a row is never half-written while a million rows still load fast:
//
//   - A row is parsed and validated in full (cells, references, duplicates
//     within the file) before it may join a batch; a refused row goes to the
//     error file with its reasons and is never written.
//   - A batch of up to importBatch rows commits in one transaction: the
//     records, their owner's team membership, their search documents and
//     their audit entries, written with multi-row statements (COPY on
//     PostgreSQL), together with the import's progress and the committed
//     length of the error file. Matching against stored records (duplicate
//     customers, taken phones, the customer a row names) runs inside that
//     transaction.
//   - Should a batch fail anyway, its rows are retried one transaction each,
//     so one bad row cannot take its good neighbours down.
//   - A job taken over after a crash skips the rows whose outcome is
//     committed and cuts the error file back to its committed length.
//
// Audit: every imported record gets an "import" entry naming the import
// (not a field diff: the record itself is the "after", and a diff per row
// would cost more than the row), and the import gets one summarising entry
// (object type "import") when it ends.

// JobImport is the job kind that works an import.
const JobImport = "import.run"

// Import limits.
const (
	// MaxImportBytes is the default largest upload (Options.MaxImportBytes).
	MaxImportBytes = 200 << 20
)

// importBatch is the most rows a batch commits at once: 5,000 rows made a
// batch's fixed costs (commit, statements, a B-tree leaf touched per
// customer) small beside its rows, and loaded twice as fast as 1,000 on
// SQLite (follow-ups) and PostgreSQL (customers).
const importBatch = 5000

// JobQueue enqueues background jobs in the caller's transaction.
type JobQueue interface {
	Enqueue(ctx context.Context, tx *store.Tx, kind string, payload any, runAt time.Time) (cohort.ID, error)
}

// SetJobs wires the job queue that imports are worked by.
func (s *Service) SetJobs(q JobQueue) { s.jobs = q }

// ImportJob is the payload of a JobImport job.
type ImportJob struct {
	TenantID cohort.ID `json:"tenant_id"`
	ImportID cohort.ID `json:"import_id"`
}

// Upload is a file given to StartImport.
type Upload struct {
	Object   cohort.ObjectType
	FileName string
	DryRun   bool
	Body     io.Reader
}

// localeZh reports whether a user reads Chinese: a Chinese locale, or none
// (Cohort speaks Chinese first).
func localeZh(locale string) bool {
	l := strings.ToLower(locale)
	return l == "" || strings.HasPrefix(l, "zh")
}

func (s *Service) callerZh(p *cohort.Principal) bool {
	if p.User != nil && p.User.Locale != "" {
		return localeZh(p.User.Locale)
	}
	return localeZh(p.Tenant.Locale)
}

func checkImportObject(obj cohort.ObjectType) error {
	if !slices.Contains(cohort.ImportObjects, obj) {
		return cohort.Errorf(cohort.ENOTFOUND, "%q cannot be imported or exported; use customer, contact, lead or followup", obj)
	}
	return nil
}

// permObject is the object type whose permissions an import of obj needs:
// payments are imported under the contracts' (and, for the rows of orders,
// the orders').
func permObject(obj cohort.ObjectType) cohort.ObjectType {
	if obj == cohort.ObjPayment {
		return cohort.ObjContract
	}
	return obj
}

// checkImportable checks an object type of an import or a template: the
// exportable ones and those that only a migration imports.
func checkImportable(obj cohort.ObjectType) error {
	if !slices.Contains(cohort.ImportObjects, obj) && !slices.Contains(cohort.MigrationObjects, obj) {
		return cohort.Errorf(cohort.ENOTFOUND, "%q cannot be imported; use customer, contact, lead, followup, opportunity, contract, order, payment or ticket", obj)
	}
	return nil
}

// StartImport keeps an uploaded file and queues its import. The format
// comes from the file's extension; a file that cannot be read as that
// format, or whose header row names unknown columns or lacks required ones,
// is refused at once (EINVALID) and nothing is kept.
func (s *Service) StartImport(ctx context.Context, up Upload) (*cohort.Import, error) {
	if err := checkImportable(up.Object); err != nil {
		return nil, err
	}
	p, err := require(ctx, permObject(up.Object), cohort.ActImport)
	if err != nil {
		return nil, err
	}
	if p.User == nil {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "imports are made by people")
	}
	if s.jobs == nil || s.opt.FilesDir == "" {
		return nil, errors.New("imports are not configured: no job queue or attachments folder")
	}
	zh := s.callerZh(p)
	format := sheet.FormatOf(up.FileName)
	if format == "" {
		return nil, cohort.Errorf(cohort.EINVALID, "%s", text{"文件必须是 .xlsx 或 .csv", "the file must be .xlsx or .csv"}.in(zh))
	}
	imp := &cohort.Import{ID: cohort.ID(s.db.NewID()), TenantID: p.Tenant.ID, ObjectType: up.Object, Format: format,
		FileName: filepath.Base(up.FileName), DryRun: up.DryRun, CreatedBy: p.User.ID, Permissions: p.Permissions, Locale: "en"}
	if zh {
		imp.Locale = "zh-CN"
	}
	dir := filepath.Join("imports", p.Tenant.ID.String())
	imp.FilePath = filepath.Join(dir, imp.ID.String()+"."+format)
	imp.ErrorsPath = filepath.Join(dir, imp.ID.String()+".errors.csv")
	if err := os.MkdirAll(filepath.Join(s.opt.FilesDir, dir), 0o750); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	path := filepath.Join(s.opt.FilesDir, imp.FilePath)
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	if imp.FileSize, err = saveUpload(path, up.Body, s.opt.MaxImportBytes); err != nil {
		return nil, err
	}
	if imp.FileSize == 0 {
		return nil, cohort.Errorf(cohort.EINVALID, "%s", text{"文件是空的", "the file is empty"}.in(zh))
	}
	if err := s.checkHeader(ctx, p, imp, path, zh); err != nil {
		return nil, err
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertImport(ctx, tx, imp, s.now()); err != nil {
			return err
		}
		_, err := s.jobs.Enqueue(ctx, tx, JobImport, ImportJob{TenantID: imp.TenantID, ImportID: imp.ID}, time.Time{})
		return err
	})
	if err != nil {
		return nil, err
	}
	keep = true
	return imp, nil
}

// saveUpload copies body to path, refusing more than max bytes.
func saveUpload(path string, body io.Reader, max int64) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return 0, fmt.Errorf("import: keep upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(body, max+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case n > max:
		return 0, cohort.Errorf(cohort.ETOOLARGE, "the file is larger than %d MiB", max>>20)
	case err != nil:
		return 0, fmt.Errorf("import: keep upload: %w", err)
	}
	return n, nil
}

// readError turns a reader's error into what the uploader is told.
func readError(err error, zh bool) error {
	if errors.Is(err, sheet.ErrCorrupt) {
		return cohort.Errorf(cohort.EINVALID, "%s", text{"文件无法读取，可能已损坏或格式与扩展名不符", "the file cannot be read: it is damaged or not in the format its name says"}.in(zh))
	}
	return err
}

// checkHeader reads the file's header row and binds it to the object's
// columns.
func (s *Service) checkHeader(ctx context.Context, p *cohort.Principal, imp *cohort.Import, path string, zh bool) error {
	r, err := sheet.Open(path, imp.Format)
	if err != nil {
		return readError(err, zh)
	}
	defer r.Close()
	header, ok := firstRow(r)
	if !ok {
		if r.Err() != nil {
			return readError(r.Err(), zh)
		}
		return cohort.Errorf(cohort.EINVALID, "%s", text{"文件没有表头行", "the file has no header row"}.in(zh))
	}
	fields, err := store.CustomFields(ctx, s.db.Read(), p.Tenant.ID, imp.ObjectType)
	if err != nil {
		return err
	}
	backdate := canBackdate(p, permObject(imp.ObjectType))
	switch imp.ObjectType {
	case cohort.ObjCustomer:
		_, err = customerSheet.withCustom(fields).bindFor(header, zh, backdate)
	case cohort.ObjContact:
		_, err = contactSheet.withCustom(fields).bindFor(header, zh, backdate)
	case cohort.ObjLead:
		_, err = leadSheet.withCustom(fields).bindFor(header, zh, backdate)
	case cohort.ObjFollowUp:
		_, err = followUpSheet.withCustom(fields).bindFor(header, zh, backdate)
	case cohort.ObjOpportunity:
		_, err = oppSheet.bindFor(header, zh, backdate)
	case cohort.ObjContract, cohort.ObjOrder:
		_, err = dealSheet.bindFor(header, zh, backdate)
	case cohort.ObjPayment:
		_, err = paymentSheet.bindFor(header, zh, backdate)
	case cohort.ObjTicket:
		_, err = ticketSheet.bindFor(header, zh, backdate)
	}
	return err
}

// firstRow returns a copy of the first non-empty row.
func firstRow(r sheet.Reader) ([]string, bool) {
	for r.Next() {
		if !emptyRow(r.Row()) {
			return slices.Clone(r.Row()), true
		}
	}
	return nil, false
}

func emptyRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// FindImport returns an import of the caller's tenant that the caller made
// (or any, for those who may administer the object type).
func (s *Service) FindImport(ctx context.Context, id cohort.ID) (*cohort.Import, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	imp, err := store.FindImport(ctx, s.db.Read(), p.Tenant.ID, id)
	if err != nil {
		return nil, err
	}
	if !p.System && (p.User == nil || imp.CreatedBy != p.User.ID) && !p.Permissions.Can(permObject(imp.ObjectType), cohort.ActAdminister) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "import not found")
	}
	return imp, nil
}

// ImportErrors writes an import's refused rows, each with its line number
// and reason, as format (csv or xlsx).
func (s *Service) ImportErrors(ctx context.Context, id cohort.ID, format string, w io.Writer) error {
	imp, err := s.FindImport(ctx, id)
	if err != nil {
		return err
	}
	zh := localeZh(imp.Locale)
	out, err := sheet.NewWriter(w, format, text{"错误", "Errors"}.in(zh))
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(s.opt.FilesDir, imp.ErrorsPath))
	if err == nil {
		defer f.Close()
		// Only the committed part: a running job may be writing past it.
		cr := csv.NewReader(io.LimitReader(f, imp.ErrorsSize))
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		row := make([]any, 0, 32)
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read error file: %w", err)
			}
			row = row[:0]
			for i, c := range rec {
				if i == 0 {
					if n, err := strconv.ParseInt(c, 10, 64); err == nil {
						row = append(row, n)
						continue
					}
				}
				row = append(row, c)
			}
			if err := out.WriteRow(row); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read error file: %w", err)
	} else if err := out.WriteRow([]any{msgRowHeader.in(zh), msgReasonHeader.in(zh)}); err != nil {
		return err
	}
	return out.Close()
}

// Template writes the import template of obj: the header row in the
// language asked for and one example row.
func (s *Service) Template(ctx context.Context, obj cohort.ObjectType, format, lang string, w io.Writer) error {
	if err := checkImportable(obj); err != nil {
		return err
	}
	p, err := require(ctx, permObject(obj), cohort.ActImport)
	if err != nil {
		return err
	}
	zh := s.callerZh(p)
	if lang != "" {
		zh = localeZh(lang)
	}
	fields, err := store.CustomFields(ctx, s.db.Read(), p.Tenant.ID, obj)
	if err != nil {
		return err
	}
	var name text
	var header, example []any
	backdate := canBackdate(p, permObject(obj))
	switch obj {
	case cohort.ObjCustomer:
		sp := customerSheet.withCustom(fields).forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjContact:
		sp := contactSheet.withCustom(fields).forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjLead:
		sp := leadSheet.withCustom(fields).forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjFollowUp:
		sp := followUpSheet.withCustom(fields).forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjOpportunity:
		sp := oppSheet.forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjContract, cohort.ObjOrder:
		sp := dealSheet.forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjPayment:
		sp := paymentSheet.forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	case cohort.ObjTicket:
		sp := ticketSheet.forUploader(backdate)
		name, header, example = sp.name, sp.headers(zh, true), sp.example()
	}
	out, err := sheet.NewWriter(w, format, name.in(zh))
	if err != nil {
		return err
	}
	if err := out.WriteRow(header); err != nil {
		return err
	}
	if err := out.WriteRow(example); err != nil {
		return err
	}
	return out.Close()
}

// RunImport works an import as its uploader. It returns an error only for
// what a retry may cure (the database went away); a file that turns out
// unreadable fails the import, not the job. lastAttempt fails the import
// on any error, so that it does not stay "running" for ever.
func (s *Service) RunImport(ctx context.Context, job ImportJob, lastAttempt bool) error {
	imp, err := store.FindImport(ctx, s.db.Read(), job.TenantID, job.ImportID)
	if cohort.ErrorCode(err) == cohort.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if imp.Status == cohort.ImportDone || imp.Status == cohort.ImportFailed {
		return nil
	}
	p, err := s.loadPrincipal(ctx, s.db.Read(), imp.TenantID, imp.CreatedBy, 0)
	if err == nil {
		p.Permissions = intersect(p.Permissions, imp.Permissions)
		p.Meta.RequestID = "import-" + imp.ID.String()
		ctx = cohort.NewContext(ctx, p)
		_, err = require(ctx, permObject(imp.ObjectType), cohort.ActImport)
	}
	if err == nil {
		err = s.runImport(ctx, p, imp)
	}
	var ce *cohort.Error
	if err == nil || ctx.Err() != nil || (!errors.As(err, &ce) && !lastAttempt) {
		return err
	}
	// The file, the uploader or their permission is at fault: say so on
	// the import and stop.
	if imp.Error = err.Error(); ce == nil {
		s.log.ErrorContext(ctx, "import failed", "import", imp.ID, "err", err)
		imp.Error = msgSaveFailed.in(localeZh(imp.Locale))
	}
	imp.Status = cohort.ImportFailed
	now := s.now()
	imp.FinishedAt = &now
	return s.db.WriteTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if err := finishFollowUps(ctx, tx, imp); err != nil {
			return err
		}
		if err := s.refreshSignedCustomerFacts(ctx, tx, imp); err != nil {
			return err
		}
		return store.SaveImportProgress(ctx, tx, imp, now)
	})
}

// finishFollowUps moves the last follow-up times of the customers that an
// import of follow-ups wrote to when it fails, or when it ends after a run
// of its job that did not see all its batches (followUpImport's finish
// remembers them otherwise): all its follow-ups have ids from its start on,
// whichever run of the job wrote them. A minute of margin covers servers
// whose clocks differ a little; follow-ups logged meanwhile have moved their
// customers already.
func finishFollowUps(ctx context.Context, tx *store.Tx, imp *cohort.Import) error {
	if imp.ObjectType != cohort.ObjFollowUp || imp.DryRun || imp.StartedAt == nil || imp.RowsOK == 0 {
		return nil
	}
	return store.MoveLastFollowUps(ctx, tx, imp.TenantID, idgen.FirstAt(imp.StartedAt.Add(-time.Minute)))
}

// refreshSignedCustomerFacts rewrites the facts of the customers whose first
// signing an import of follow-ups dated before it changed: their
// "follow-ups before the first signing" and first contact.
func (s *Service) refreshSignedCustomerFacts(ctx context.Context, tx *store.Tx, imp *cohort.Import) error {
	if imp.StartedAt == nil || imp.DryRun || imp.ObjectType != cohort.ObjFollowUp {
		return nil
	}
	t, err := store.FindTenant(ctx, tx, imp.TenantID)
	if err != nil {
		return err
	}
	ids, err := store.QueryIDs(ctx, tx, `SELECT DISTINCT f.customer_id FROM followups f JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id
		WHERE f.tenant_id = ? AND f.id >= ? AND c.first_signed_at IS NOT NULL AND f.occurred_at < c.first_signed_at`,
		int64(imp.TenantID), int64(idgen.FirstAt(imp.StartedAt.Add(-time.Minute))))
	if err != nil {
		return fmt.Errorf("import: signed customers: %w", err)
	}
	for _, id := range ids {
		if err := facts.Rewrite(ctx, tx, t, cohort.ObjCustomer, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) runImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import) error {
	zh := localeZh(imp.Locale)
	now := s.now()
	if imp.StartedAt == nil {
		imp.StartedAt = &now
	}
	imp.Status = cohort.ImportRunning
	if err := s.db.WriteTx(ctx, func(tx *store.Tx) error { return store.SaveImportProgress(ctx, tx, imp, now) }); err != nil {
		return err
	}
	x, err := s.newSheetCtx(ctx, p, zh, now)
	if err != nil {
		return err
	}
	x.backdate = canBackdate(p, permObject(imp.ObjectType))
	fields, err := store.CustomFields(ctx, s.db.Read(), p.Tenant.ID, imp.ObjectType)
	if err != nil {
		return err
	}
	var finish func(ctx context.Context, tx *store.Tx) error
	switch imp.ObjectType {
	case cohort.ObjCustomer:
		oi, err := s.customerImport(ctx, p, imp, x, fields)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	case cohort.ObjContact:
		oi, err := s.contactImport(ctx, p, imp, x, fields)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	case cohort.ObjLead:
		oi, err := s.leadImport(ctx, p, imp, x, fields)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	case cohort.ObjFollowUp:
		oi, err := s.followUpImport(ctx, p, imp, x, fields)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
		finish = oi.finish
	case cohort.ObjOpportunity:
		oi, err := s.oppImport(ctx, p, imp, x)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	case cohort.ObjContract, cohort.ObjOrder:
		oi, err := s.dealImport(ctx, p, imp, x)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	case cohort.ObjPayment:
		oi, err := s.paymentImport(ctx, p, imp, x)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	case cohort.ObjTicket:
		oi, err := s.ticketImport(ctx, p, imp, x)
		if err != nil {
			return err
		}
		err = runRows(ctx, s, imp, x, oi)
	}
	if err != nil {
		return err
	}
	end := s.now()
	imp.Status, imp.FinishedAt = cohort.ImportDone, &end
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if finish != nil && !imp.DryRun {
			if err := finish(ctx, tx); err != nil {
				return err
			}
		}
		if err := store.SaveImportProgress(ctx, tx, imp, end); err != nil {
			return err
		}
		return s.audit(ctx, tx, "import", "import", imp.ID, []cohort.FieldChange{
			change("object_type", imp.ObjectType), change("file_name", imp.FileName), change("dry_run", imp.DryRun),
			change("rows_ok", imp.RowsOK), change("rows_failed", imp.RowsFailed),
			change("rows_skipped", imp.RowsSkipped)})
	})
}

func change(field string, after any) cohort.FieldChange {
	b, _ := json.Marshal(after)
	return cohort.FieldChange{Field: field, Before: json.RawMessage("null"), After: b}
}

// recordExists checks the record a lookup custom field names.
func (s *Service) recordExists(ctx context.Context, tenantID cohort.ID, obj cohort.ObjectType, id cohort.ID) bool {
	var err error
	switch obj {
	case cohort.ObjCustomer:
		_, err = store.FindCustomer(ctx, s.db.Read(), tenantID, id, store.Where{})
	case cohort.ObjOpportunity:
		_, err = store.FindOpportunity(ctx, s.db.Read(), tenantID, id, store.Where{})
	case cohort.ObjContact:
		_, err = store.FindContact(ctx, s.db.Read(), tenantID, id)
	case cohort.ObjLead:
		_, err = store.FindLead(ctx, s.db.Read(), tenantID, id, store.Where{})
	default:
		return false
	}
	return err == nil
}

// importRow is a parsed row waiting in a batch.
type importRow[T any] struct {
	rec   *T
	line  int
	cells []string
	// doc is the row's search document made by prepare, if any.
	doc *search.Prepared
	// skip is set by match for a row whose external id a stored record
	// has: a re-run of a migration skips it and counts it.
	skip bool
}

// refusedRow is a row on its way to the error file.
type refusedRow struct {
	line    int
	cells   []string
	reasons []string
}

// objectImport is what differs between the object types an import writes.
type objectImport[T any] struct {
	spec *sheetSpec[T]
	// check finishes and validates a parsed row with what needs no
	// database: defaults, owners, duplicates within the file.
	check func(r *T, line int) []string
	// match checks a batch against stored records inside the batch's
	// transaction (duplicates, the customer a row names); it returns the
	// reasons of refused rows by index.
	match func(ctx context.Context, q store.Queryer, batch []importRow[T]) (map[int][]string, error)
	// prepare, if set, makes a checked row's search document ahead of
	// write, while the previous batch commits (not in a dry run).
	prepare func(r *T) search.Prepared
	// write stores a batch with everything the one-record path writes.
	write func(ctx context.Context, tx *store.Tx, batch []importRow[T], now time.Time) error
	// finish, if set, runs in the transaction that ends the import.
	finish func(ctx context.Context, tx *store.Tx) error
}

// errorFile is an import's error file: CSV of line, reason and the row's
// cells, cut back to the committed length before each batch appends.
type errorFile struct {
	f    *os.File
	w    *bufio.Writer
	csv  *csv.Writer
	size int64 // committed length
}

func openErrorFile(path string, committed int64) (*errorFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("error file: %w", err)
	}
	e := &errorFile{f: f, size: committed}
	e.w = bufio.NewWriter(f)
	e.csv = csv.NewWriter(e.w)
	return e, e.rewind()
}

// rewind drops whatever was written past the committed length.
func (e *errorFile) rewind() error {
	e.w.Reset(e.f)
	if err := e.f.Truncate(e.size); err != nil {
		return fmt.Errorf("error file: %w", err)
	}
	_, err := e.f.Seek(e.size, io.SeekStart)
	return err
}

func (e *errorFile) add(line int, reasons []string, cells []string) error {
	rec := append([]string{strconv.Itoa(line), strings.Join(reasons, "; ")}, cells...)
	return e.csv.Write(rec)
}

// flush writes out what was added and returns the new length, to be
// committed with the batch.
func (e *errorFile) flush() (int64, error) {
	e.csv.Flush()
	if err := e.csv.Error(); err != nil {
		return 0, err
	}
	if err := e.w.Flush(); err != nil {
		return 0, err
	}
	return e.f.Seek(0, io.SeekCurrent)
}

func (e *errorFile) Close() error { return e.f.Close() }

// runRows reads the import's file and works its rows in batches.
func runRows[T any](ctx context.Context, s *Service, imp *cohort.Import, x *sheetCtx, oi *objectImport[T]) error {
	r, err := sheet.Open(filepath.Join(s.opt.FilesDir, imp.FilePath), imp.Format)
	if err != nil {
		return readError(err, x.zh)
	}
	defer r.Close()
	header, ok := firstRow(r)
	if !ok {
		return readError(r.Err(), x.zh)
	}
	bound, err := oi.spec.bindFor(header, x.zh, x.backdate)
	if err != nil {
		return err
	}
	ef, err := openErrorFile(filepath.Join(s.opt.FilesDir, imp.ErrorsPath), imp.ErrorsSize)
	if err != nil {
		return err
	}
	defer ef.Close()
	if imp.ErrorsSize == 0 {
		if err := ef.csv.Write(append([]string{msgRowHeader.in(x.zh), msgReasonHeader.in(x.zh)}, header...)); err != nil {
			return err
		}
		if ef.size, err = ef.flush(); err != nil {
			return err
		}
		imp.ErrorsSize = ef.size
	}
	// Reading runs one batch ahead of writing: the next batch is parsed and
	// checked (CPU) while the previous one commits (the database), so on two
	// cores neither waits for the other. Parsing touches nothing that
	// writing does (check's state is its own; match and write run here).
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan parsedBatch[T], 1)
	var readErr error // set before batches is closed
	go func() {
		defer close(batches)
		readErr = readBatches(readCtx, r, imp.RowsRead, x, oi, bound, !imp.DryRun, batches)
	}()
	for b := range batches {
		if err := commitBatch(ctx, s, imp, ef, oi, b.rows, b.refused); err != nil {
			stop()
			for range batches { // let the reader finish before r closes
			}
			return err
		}
	}
	if readErr != nil && ctx.Err() == nil {
		return readError(readErr, x.zh)
	}
	return ctx.Err()
}

// parsedBatch is a batch read, parsed and checked, waiting to be committed.
type parsedBatch[T any] struct {
	rows    []importRow[T]
	refused []refusedRow
}

// readBatches parses the rows after the first skip (committed by an earlier
// run of the job) and sends them in batches of importBatch. It returns the
// reader's error, if any.
func readBatches[T any](ctx context.Context, r sheet.Reader, skip int64, x *sheetCtx, oi *objectImport[T], bound []int, prepare bool, out chan<- parsedBatch[T]) error {
	var b parsedBatch[T]
	send := func() bool {
		select {
		case out <- b:
			b = parsedBatch[T]{}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for r.Next() {
		cells := r.Row()
		if emptyRow(cells) {
			continue
		}
		if oi.spec.isExample(bound, cells) {
			continue // the template's example row, left in: never counted
		}
		if skip > 0 {
			skip--
			continue
		}
		rec, reasons := oi.spec.parse(x, bound, cells)
		if len(reasons) == 0 {
			reasons = oi.check(rec, r.Line())
		}
		if len(reasons) > 0 {
			b.refused = append(b.refused, refusedRow{r.Line(), slices.Clone(cells), reasons})
		} else {
			row := importRow[T]{rec: rec, line: r.Line(), cells: slices.Clone(cells)}
			if prepare && oi.prepare != nil {
				doc := oi.prepare(rec)
				row.doc = &doc
			}
			b.rows = append(b.rows, row)
		}
		if len(b.rows)+len(b.refused) == importBatch && !send() {
			return nil
		}
	}
	if len(b.rows)+len(b.refused) > 0 && !send() {
		return nil
	}
	return r.Err()
}

// commitBatch commits a batch; should that fail, it commits the rows one
// by one, refusing only those that fail alone.
func commitBatch[T any](ctx context.Context, s *Service, imp *cohort.Import, ef *errorFile, oi *objectImport[T], batch []importRow[T], refused []refusedRow) error {
	if len(batch)+len(refused) == 0 {
		return nil
	}
	err := commitRows(ctx, s, imp, ef, oi, batch, refused)
	if err == nil || ctx.Err() != nil {
		return err
	}
	s.log.WarnContext(ctx, "import batch failed; retrying its rows one by one", "import", imp.ID, "err", err)
	for _, row := range batch {
		if err := commitRows(ctx, s, imp, ef, oi, []importRow[T]{row}, nil); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.ErrorContext(ctx, "import row failed", "import", imp.ID, "line", row.line, "err", err)
			failed := []refusedRow{{row.line, row.cells, []string{msgSaveFailed.in(localeZh(imp.Locale))}}}
			if err := commitRows[T](ctx, s, imp, ef, oi, nil, failed); err != nil {
				return err
			}
		}
	}
	if len(refused) > 0 {
		return commitRows[T](ctx, s, imp, ef, oi, nil, refused)
	}
	return nil
}

// commitRows writes rows (unless the import is a dry run) and the refused
// rows' errors, and commits the import's progress with them.
func commitRows[T any](ctx context.Context, s *Service, imp *cohort.Import, ef *errorFile, oi *objectImport[T], rows []importRow[T], refused []refusedRow) error {
	next := *imp
	now := s.now()
	n := int64(len(rows) + len(refused))
	err := s.db.BulkTx(ctx, func(tx *store.Tx) error {
		if err := ef.rewind(); err != nil {
			return err
		}
		bad, err := oi.match(ctx, tx, rows)
		if err != nil {
			return err
		}
		ok := make([]importRow[T], 0, len(rows))
		skipped := 0
		for i, row := range rows {
			switch {
			case len(bad[i]) > 0:
				refused = append(refused, refusedRow{row.line, row.cells, bad[i]})
			case row.skip:
				skipped++
			default:
				ok = append(ok, row)
			}
		}
		slices.SortFunc(refused, func(a, b refusedRow) int { return a.line - b.line })
		for _, r := range refused {
			if err := ef.add(r.line, r.reasons, r.cells); err != nil {
				return fmt.Errorf("error file: %w", err)
			}
		}
		if next.ErrorsSize, err = ef.flush(); err != nil {
			return fmt.Errorf("error file: %w", err)
		}
		if !imp.DryRun && len(ok) > 0 {
			if err := oi.write(ctx, tx, ok, now); err != nil {
				return err
			}
		}
		next.RowsRead += n
		next.RowsOK += int64(len(ok))
		next.RowsFailed += int64(len(refused))
		next.RowsSkipped += int64(skipped)
		return store.SaveImportProgress(ctx, tx, &next, now)
	})
	if err != nil {
		return err
	}
	*imp = next
	ef.size = imp.ErrorsSize
	return nil
}

// importAudit is the "import" audit entry of one imported record.
func (s *Service) importAudit(p *cohort.Principal, imp *cohort.Import, obj cohort.ObjectType, id cohort.ID, now time.Time) *cohort.AuditEntry {
	return &cohort.AuditEntry{TenantID: p.Tenant.ID, At: now, ActorID: actorID(p), Action: "import", ObjectType: obj, ObjectID: id,
		Changes: []cohort.FieldChange{change("import_id", imp.ID.String())}, RequestID: p.Meta.RequestID}
}

// importScope is the data scope over customers (alias c) that an import of
// obj reaches: the scope of the uploader's import grant on obj, or their
// write membership in a customer's team.
func (s *Service) importScope(ctx context.Context, obj cohort.ObjectType) (store.Where, cohort.Access, error) {
	a, err := s.Access(ctx, obj, cohort.ActImport)
	if err != nil {
		return store.Where{}, a, err
	}
	w := store.RecordAccessWhere(a, cohort.ObjCustomer, "c", s.now())
	if w.SQL != "" {
		w.SQL = strings.Replace(w.SQL, "AND t.valid_to IS NULL", "AND t.valid_to IS NULL AND t.access = 'write'", 1)
	}
	return w, a, nil
}

// validationReasons turns a domain validation error into reasons.
func validationReasons(err error, zh bool) []string {
	var ce *cohort.Error
	if errors.As(err, &ce) && len(ce.Fields) > 0 {
		var out []string
		for _, f := range ce.Fields {
			out = append(out, f.Field+": "+fail(msgInvalid, f.Message).say(zh))
		}
		return out
	}
	return []string{fail(msgInvalid, err.Error()).say(zh)}
}
