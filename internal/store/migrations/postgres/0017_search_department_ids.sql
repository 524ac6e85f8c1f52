-- Nothing to change on PostgreSQL. On SQLite the index of search documents
-- by department gains the id (see the SQLite migration); here a group
-- leader's search combines the bitmap of the department index with the GIN
-- index's (internal/search, Scope.Departments), for which the id in the
-- index would be no help.
SELECT 1;
