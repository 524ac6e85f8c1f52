-- Cockpits (数据驾驶舱, internal/cockpits): a named layout of widgets, each a
-- metric query. visibility is personal (the owner), department (the
-- department's tree views it) or company (everyone views it); shared_with
-- is a JSON list of user ids who may view a personal cockpit too; layout is
-- the JSON list of widgets.
CREATE TABLE cockpits (
    tenant_id     BIGINT NOT NULL REFERENCES tenants (id),
    id            BIGINT NOT NULL,
    owner_id      BIGINT NOT NULL,
    name          TEXT    NOT NULL,
    visibility    TEXT    NOT NULL,
    department_id BIGINT NOT NULL DEFAULT 0,
    shared_with   TEXT    NOT NULL DEFAULT '[]',
    preset        TEXT    NOT NULL DEFAULT '',
    layout        TEXT    NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX cockpits_owner ON cockpits (tenant_id, owner_id);
