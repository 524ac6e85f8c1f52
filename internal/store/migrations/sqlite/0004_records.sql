-- The customer lifecycle's first records: customers, contacts, record teams
-- with their history, follow-ups and next actions.

CREATE TABLE customers (
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id),
    id                 INTEGER NOT NULL,
    name               TEXT    NOT NULL,
    -- name_key is the normalised company name used to find duplicates.
    name_key           TEXT    NOT NULL,
    credit_code        TEXT    NOT NULL DEFAULT '',
    industry           TEXT    NOT NULL DEFAULT '',
    province           TEXT    NOT NULL DEFAULT '',
    city               TEXT    NOT NULL DEFAULT '',
    source             TEXT    NOT NULL DEFAULT '',
    grade              TEXT    NOT NULL DEFAULT '',
    segment            TEXT    NOT NULL DEFAULT '',
    value_quality      TEXT    NOT NULL DEFAULT '',
    deal_size          TEXT    NOT NULL DEFAULT '',
    expected_sign_date TEXT    NOT NULL DEFAULT '',
    expected_amount    INTEGER NOT NULL DEFAULT 0,
    currency           TEXT    NOT NULL,
    milestones         TEXT    NOT NULL DEFAULT '[]',
    status             TEXT    NOT NULL DEFAULT 'active',
    lost_reason        TEXT    NOT NULL DEFAULT '',
    lost_at            INTEGER,
    first_signed_at    INTEGER,
    owner_id           INTEGER,
    department_id      INTEGER,
    last_followup_at   INTEGER,
    custom             TEXT    NOT NULL DEFAULT '{}',
    created_by         INTEGER,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX customers_owner ON customers (tenant_id, owner_id, id);
CREATE INDEX customers_department ON customers (tenant_id, department_id, id);
CREATE INDEX customers_name_key ON customers (tenant_id, name_key);
CREATE INDEX customers_credit_code ON customers (tenant_id, credit_code);
CREATE INDEX customers_last_followup ON customers (tenant_id, owner_id, last_followup_at);

CREATE TABLE contacts (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    title       TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    wechat      TEXT    NOT NULL DEFAULT '',
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE,
    custom      TEXT    NOT NULL DEFAULT '{}',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id);
CREATE INDEX contacts_phone ON contacts (tenant_id, phone);
CREATE INDEX contacts_email ON contacts (tenant_id, email);

-- A record team member holds a business role on a record from valid_from to
-- valid_to (NULL while current). Credit goes to the team as it was at the
-- time of each event, so rows are closed, never updated in place.
CREATE TABLE record_team (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    record_type TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    role_key    TEXT    NOT NULL,
    access      TEXT    NOT NULL,
    share_bp    INTEGER NOT NULL,
    expires_at  INTEGER,
    valid_from  INTEGER NOT NULL,
    valid_to    INTEGER,
    added_by    INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, role_key) REFERENCES business_roles (tenant_id, key)
);
CREATE INDEX record_team_record ON record_team (tenant_id, record_type, record_id, valid_to);
CREATE INDEX record_team_user ON record_team (tenant_id, user_id, record_type, valid_to, record_id);

CREATE TABLE followups (
    tenant_id      INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    customer_id    INTEGER NOT NULL,
    contact_id     INTEGER,
    record_type    TEXT    NOT NULL DEFAULT '',
    record_id      INTEGER,
    type           TEXT    NOT NULL,
    direction      TEXT    NOT NULL,
    occurred_at    INTEGER NOT NULL,
    duration_s     INTEGER NOT NULL DEFAULT 0,
    content        TEXT    NOT NULL DEFAULT '',
    author_id      INTEGER NOT NULL,
    department_id  INTEGER,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX followups_customer ON followups (tenant_id, customer_id, occurred_at);
CREATE INDEX followups_author ON followups (tenant_id, author_id, occurred_at);

CREATE TABLE next_actions (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    customer_id   INTEGER NOT NULL,
    owner_id      INTEGER NOT NULL,
    plan_type     TEXT    NOT NULL,
    fuzzy         TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    due_from      INTEGER NOT NULL,
    due_to        INTEGER NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'open',
    done_at       INTEGER,
    from_followup INTEGER,
    done_followup INTEGER,
    reminded      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX next_actions_owner ON next_actions (tenant_id, owner_id, status, due_to);
CREATE INDEX next_actions_customer ON next_actions (tenant_id, customer_id, status);
