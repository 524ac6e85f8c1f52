-- Imports of records from uploaded .xlsx/.csv files. A row is one upload: the
-- file kept under the attachments folder, who uploaded it with the
-- permissions they held then (the job acts as them and never with more), and
-- the progress the job commits together with each batch of rows, so that a
-- job taken over after a crash resumes after the last committed row.

CREATE TABLE imports (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    id           INTEGER NOT NULL,
    object_type  TEXT    NOT NULL,
    format       TEXT    NOT NULL,
    file_name    TEXT    NOT NULL,
    -- file_path and errors_path are relative to the attachments folder.
    file_path    TEXT    NOT NULL,
    file_size    INTEGER NOT NULL,
    dry_run      BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT    NOT NULL DEFAULT 'queued',
    locale       TEXT    NOT NULL,
    permissions  TEXT    NOT NULL,
    -- rows_done counts the data rows whose outcome is committed (written or
    -- failed); errors_size is the committed length of the error file.
    rows_done    INTEGER NOT NULL DEFAULT 0,
    rows_ok      INTEGER NOT NULL DEFAULT 0,
    rows_failed  INTEGER NOT NULL DEFAULT 0,
    errors_path  TEXT    NOT NULL DEFAULT '',
    errors_size  INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX imports_created_by ON imports (tenant_id, created_by, id);
