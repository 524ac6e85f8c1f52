-- The scope-first search plan (internal/search): a salesperson searching a
-- common term reads their own (or their department's) documents through
-- these indexes and verifies the text, instead of reading every match in the
-- tenant before the scope filter.
CREATE INDEX search_docs_owner ON search_docs (tenant_id, owner_id);
CREATE INDEX search_docs_department ON search_docs (tenant_id, department_id);
