package cohort

import "time"

// Import statuses.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// ImportObjects are the object types that can be imported and exported.
var ImportObjects = []ObjectType{ObjCustomer, ObjContact, ObjLead, ObjFollowUp}

// ObjPayment names, in imports, the installments, payments and reversals
// of contracts and orders; they are imported under the contracts'
// permissions.
const ObjPayment ObjectType = "payment"

// MigrationObjects are the object types that only a migration import
// writes (with their histories); they are not exported as sheets.
var MigrationObjects = []ObjectType{ObjOpportunity, ObjContract, ObjOrder, ObjPayment, ObjTicket}

// Import is one upload of records from an .xlsx or .csv file, worked by a
// background job that acts as the uploader. RowsRead counts the data rows
// whose outcome is committed; RowsOK of them were written (or, in a dry run,
// would have been) and RowsFailed are in the error file with their reason.
type Import struct {
	ID         ID         `json:"id"`
	TenantID   ID         `json:"tenant_id"`
	ObjectType ObjectType `json:"object_type"`
	Format     string     `json:"format"`
	FileName   string     `json:"file_name"`
	FileSize   int64      `json:"file_size"`
	DryRun     bool       `json:"dry_run"`
	Status     string     `json:"status"`
	RowsRead   int64      `json:"rows_read"`
	RowsOK     int64      `json:"rows_ok"`
	RowsFailed int64      `json:"rows_failed"`
	// RowsSkipped were not written because a record with their external id
	// exists already (a re-run of a migration).
	RowsSkipped int64 `json:"rows_skipped"`
	// Error says why a failed import stopped (the file as a whole, not a row).
	Error      string     `json:"error"`
	Locale     string     `json:"locale"`
	CreatedBy  ID         `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	UpdatedAt  time.Time  `json:"updated_at"`

	// Where the upload and its error file are kept, relative to the
	// attachments folder, and the committed length of the error file.
	FilePath   string `json:"-"`
	ErrorsPath string `json:"-"`
	ErrorsSize int64  `json:"-"`
	// Permissions are the uploader's at upload time: the job never acts
	// with more, even if the uploader gains some meanwhile.
	Permissions Permissions `json:"-"`
}
