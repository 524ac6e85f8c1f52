-- A group leader's search of a common term (internal/search,
-- Scope.Departments) lists the ids of his departments' documents once and
-- looks each match up among them: with the id in the index, the list is read
-- from the index alone (a search of 上海 in a department of 32,000 documents
-- at scale L: 45 ms with the old index, 26 ms with this one). It replaces the
-- index on (tenant_id, department_id), of which it is an extension.
DROP INDEX search_docs_department;
CREATE INDEX search_docs_department ON search_docs (tenant_id, department_id, id);
