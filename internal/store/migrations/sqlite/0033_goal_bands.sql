-- The last known completion band of each goal subject in each current
-- period (issue 9: "when a subject leaves its band, the people concerned are
-- notified"). The band job (service/goalbands.go) writes a row on a
-- subject's first evaluation and moves it, with a notification in the same
-- transaction, when the band changes; rows of periods that are over go.
CREATE TABLE goal_bands (
    tenant_id  INTEGER NOT NULL,
    rule_id    INTEGER NOT NULL,
    subject    TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    -- below, on_track or above (service.BandBelow ...).
    band       TEXT    NOT NULL,
    rate       REAL    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, subject, period),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES goal_rules (tenant_id, id) ON DELETE CASCADE
);
