-- Full-text search across records (internal/search). search_docs holds one row
-- per indexed record: what the data scope needs (owner, department), what a
-- hit shows (title) and the normalised text that every hit is verified
-- against (body). search_fts indexes the tokens made by Cohort's own
-- tokenizer; its rowid is search_docs.id.

CREATE TABLE search_docs (
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    id            INTEGER NOT NULL,
    object_type   TEXT    NOT NULL,
    object_id     INTEGER NOT NULL,
    owner_id      INTEGER,
    department_id INTEGER,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, object_type, object_id)
);

-- Contentless (the text is in search_docs), with deletes, so that a record's
-- row can be replaced. The ascii tokenizer splits only on ASCII spaces and
-- punctuation and keeps every non-ASCII character, so each pre-made token,
-- CJK bigrams included, stays one FTS5 token. Positions are kept (default
-- detail=full) though queries never use phrases: bm25 of a contentless table
-- with detail=column is always 0, and each token is stored once per column,
-- so they cost about a byte per token.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, body,
    content = '', contentless_delete = 1, tokenize = 'ascii'
);
