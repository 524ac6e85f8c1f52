-- Nothing to do on PostgreSQL: facts.applyRollups writes a change to the
-- three rollup tables in one statement of data-modifying WITH queries (on
-- SQLite, migration 0043 adds the view facts_rollup_delta and its trigger
-- for the same).
SELECT 1;
