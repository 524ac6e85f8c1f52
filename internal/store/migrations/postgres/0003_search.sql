-- Full-text search across records (internal/search). search_docs holds one row
-- per indexed record: what the data scope needs (owner, department), what a
-- hit shows (title), the normalised text that every hit is verified against
-- (body), and tsv, the tokens made by Cohort's own tokenizer. tsv is built
-- from a tsvector literal, not with to_tsvector, so that PostgreSQL's parser
-- never re-splits the tokens.

CREATE TABLE search_docs (
    tenant_id     BIGINT NOT NULL REFERENCES tenants (id),
    id            BIGINT NOT NULL,
    object_type   TEXT   NOT NULL,
    object_id     BIGINT NOT NULL,
    owner_id      BIGINT,
    department_id BIGINT,
    title         TEXT   NOT NULL,
    body          TEXT   NOT NULL,
    tsv           TSVECTOR NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, object_type, object_id)
);
CREATE INDEX search_docs_tsv ON search_docs USING gin (tsv);
-- Record more of the most common tokens than the default, so that the planner
-- sees a one-character query match a large part of a tenant and reads the
-- newest rows until it has enough, rather than every match through the index.
ALTER TABLE search_docs ALTER COLUMN tsv SET STATISTICS 1000;
