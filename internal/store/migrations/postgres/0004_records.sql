-- The customer lifecycle's first records: customers, contacts, record teams
-- with their history, follow-ups and next actions.

CREATE TABLE customers (
    tenant_id          BIGINT  NOT NULL REFERENCES tenants (id),
    id                 BIGINT  NOT NULL,
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
    expected_amount    BIGINT  NOT NULL DEFAULT 0,
    currency           TEXT    NOT NULL,
    milestones         JSONB   NOT NULL DEFAULT '[]',
    status             TEXT    NOT NULL DEFAULT 'active',
    lost_reason        TEXT    NOT NULL DEFAULT '',
    lost_at            BIGINT,
    first_signed_at    BIGINT,
    owner_id           BIGINT,
    department_id      BIGINT,
    last_followup_at   BIGINT,
    custom             JSONB   NOT NULL DEFAULT '{}',
    created_by         BIGINT,
    version            BIGINT  NOT NULL DEFAULT 1,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
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
    tenant_id   BIGINT  NOT NULL,
    id          BIGINT  NOT NULL,
    customer_id BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    title       TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    wechat      TEXT    NOT NULL DEFAULT '',
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE,
    custom      JSONB   NOT NULL DEFAULT '{}',
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
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
    tenant_id   BIGINT  NOT NULL,
    id          BIGINT  NOT NULL,
    record_type TEXT    NOT NULL,
    record_id   BIGINT  NOT NULL,
    user_id     BIGINT  NOT NULL,
    role_key    TEXT    NOT NULL,
    access      TEXT    NOT NULL,
    share_bp    BIGINT  NOT NULL,
    expires_at  BIGINT,
    valid_from  BIGINT  NOT NULL,
    valid_to    BIGINT,
    added_by    BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, role_key) REFERENCES business_roles (tenant_id, key)
);
CREATE INDEX record_team_record ON record_team (tenant_id, record_type, record_id, valid_to);
CREATE INDEX record_team_user ON record_team (tenant_id, user_id, record_type, valid_to, record_id);

CREATE TABLE followups (
    tenant_id      BIGINT  NOT NULL,
    id             BIGINT  NOT NULL,
    customer_id    BIGINT  NOT NULL,
    contact_id     BIGINT,
    record_type    TEXT    NOT NULL DEFAULT '',
    record_id      BIGINT,
    type           TEXT    NOT NULL,
    direction      TEXT    NOT NULL,
    occurred_at    BIGINT  NOT NULL,
    duration_s     BIGINT  NOT NULL DEFAULT 0,
    content        TEXT    NOT NULL DEFAULT '',
    author_id      BIGINT  NOT NULL,
    department_id  BIGINT,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX followups_customer ON followups (tenant_id, customer_id, occurred_at);
CREATE INDEX followups_author ON followups (tenant_id, author_id, occurred_at);

CREATE TABLE next_actions (
    tenant_id     BIGINT  NOT NULL,
    id            BIGINT  NOT NULL,
    customer_id   BIGINT  NOT NULL,
    owner_id      BIGINT  NOT NULL,
    plan_type     TEXT    NOT NULL,
    fuzzy         TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    due_from      BIGINT  NOT NULL,
    due_to        BIGINT  NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'open',
    done_at       BIGINT,
    from_followup BIGINT,
    done_followup BIGINT,
    reminded      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX next_actions_owner ON next_actions (tenant_id, owner_id, status, due_to);
CREATE INDEX next_actions_customer ON next_actions (tenant_id, customer_id, status);
