-- Tickets opened in a period and resolved by its end counted from a rollup
-- (docs/FACTS.md, "Later facts"): the service cockpit's resolution rate
-- read every ticket opened in the period with a lookup of its resolution.
-- On a ticket's opening facts later_day is the day of its resolution (the
-- earliest ticket.resolved fact of the ticket at or after the opening; 0
-- for none), 0 on every other fact; the projection sets it
-- (facts.markLater, facts.LaterMarkSQL runs this statement per tenant).
-- facts_later_monthly sums rec by kind, credit role, month and the month of
-- later_day. Kept with the other rollups by facts.applyRollups.
ALTER TABLE facts ADD COLUMN later_day INTEGER NOT NULL DEFAULT 0;
UPDATE facts SET later_day = COALESCE((SELECT min(g.day) FROM facts g WHERE g.tenant_id = facts.tenant_id AND g.source_type = 'ticket'
        AND g.source_id = facts.record_id AND g.kind = 'ticket.resolved' AND g.occurred_at >= facts.occurred_at), 0)
WHERE kind = 'ticket.opened';
CREATE TABLE facts_later_monthly (
    tenant_id BIGINT  NOT NULL,
    kind      TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    day       INTEGER NOT NULL,
    later     INTEGER NOT NULL,
    rec       BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, kind, role, day, later)
        INCLUDE (rec)
);
INSERT INTO facts_later_monthly (tenant_id, kind, role, day, later, rec)
SELECT tenant_id, kind, role, (CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01'),
    (CAST(date_trunc('month', DATE '1970-01-01' + later_day) AS DATE) - DATE '1970-01-01'), count(*)
FROM facts WHERE kind = 'ticket.opened' AND rec = 1
GROUP BY tenant_id, kind, role, (CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01'),
    (CAST(date_trunc('month', DATE '1970-01-01' + later_day) AS DATE) - DATE '1970-01-01');
