-- facts_source also orders a record's facts by kind and time: a stage move
-- reads the one or two stored facts it changes (its stage entries from the
-- earliest one it changed on, its creation, its open state) as short
-- ranges instead of every fact of the opportunity, whose stage history
-- grows with each move (docs/FACTS.md, "How facts are kept"). Its leading
-- columns are unchanged, so every read by record is served as before, and
-- the index stays one b-tree per fact written.
DROP INDEX facts_source;
CREATE INDEX facts_source ON facts (tenant_id, source_type, source_id, kind, occurred_at);
