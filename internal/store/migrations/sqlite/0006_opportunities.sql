-- Sales processes with ordered stages, products, and opportunities with
-- their stage history and product lines.

CREATE TABLE sales_processes (
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    id            INTEGER NOT NULL,
    key           TEXT    NOT NULL,
    name_zh       TEXT    NOT NULL,
    name_en       TEXT    NOT NULL,
    -- stages is the ordered JSON list of stages with their probability,
    -- entry requirements and guidance.
    stages        TEXT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key)
);

CREATE TABLE product_categories (
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    parent_id  INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE products (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    id          INTEGER NOT NULL,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    category_id INTEGER,
    unit        TEXT    NOT NULL DEFAULT '',
    price       INTEGER NOT NULL DEFAULT 0,
    currency    TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code),
    FOREIGN KEY (tenant_id, category_id) REFERENCES product_categories (tenant_id, id)
);

CREATE TABLE opportunities (
    tenant_id           INTEGER NOT NULL,
    id                  INTEGER NOT NULL,
    customer_id         INTEGER NOT NULL,
    contact_id          INTEGER,
    process_id          INTEGER NOT NULL,
    stage               TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    amount              INTEGER NOT NULL DEFAULT 0,
    currency            TEXT    NOT NULL,
    expected_close_date TEXT    NOT NULL DEFAULT '',
    forecast_category   TEXT    NOT NULL DEFAULT 'pipeline',
    status              TEXT    NOT NULL DEFAULT 'open',
    loss_reason         TEXT    NOT NULL DEFAULT '',
    competitor          TEXT    NOT NULL DEFAULT '',
    source              TEXT    NOT NULL DEFAULT '',
    closed_at           INTEGER,
    owner_id            INTEGER,
    department_id       INTEGER,
    custom              TEXT    NOT NULL DEFAULT '{}',
    created_by          INTEGER,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, process_id) REFERENCES sales_processes (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id, status, id);
CREATE INDEX opportunities_department ON opportunities (tenant_id, department_id, status, id);
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_stage ON opportunities (tenant_id, process_id, status, stage);

-- Every stage an opportunity entered, with when it left it.
CREATE TABLE opportunity_stages (
    tenant_id      INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    opportunity_id INTEGER NOT NULL,
    stage          TEXT    NOT NULL,
    entered_at     INTEGER NOT NULL,
    left_at        INTEGER,
    user_id        INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id)
);
CREATE INDEX opportunity_stages_opportunity ON opportunity_stages (tenant_id, opportunity_id, entered_at);

CREATE TABLE opportunity_lines (
    tenant_id      INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    opportunity_id INTEGER NOT NULL,
    product_id     INTEGER NOT NULL,
    quantity       INTEGER NOT NULL,
    unit_price     INTEGER NOT NULL,
    discount_bp    INTEGER NOT NULL DEFAULT 0,
    amount         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX opportunity_lines_opportunity ON opportunity_lines (tenant_id, opportunity_id);
