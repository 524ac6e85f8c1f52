-- The commercial and after-sale records: price lists; quotes, contracts and
-- orders ("deals") with product lines; payment plans, payments and invoices
-- on contracts and orders; delivery projects with milestones; service
-- tickets. record_events keeps every status change of a deal, project or
-- ticket with its time and person, for the metric engine: the team that
-- earns credit for an event is the record's team (record_team history) at
-- the event's recorded_at.

CREATE TABLE price_lists (
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    currency   TEXT    NOT NULL,
    -- valid_from and valid_to are local dates 'YYYY-MM-DD'; '' is open.
    valid_from TEXT    NOT NULL DEFAULT '',
    valid_to   TEXT    NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE price_list_items (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    price_list_id INTEGER NOT NULL,
    product_id    INTEGER NOT NULL,
    price         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, price_list_id, product_id),
    FOREIGN KEY (tenant_id, price_list_id) REFERENCES price_lists (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);

-- The last number handed out per kind and year (QT-2026-000123).
CREATE TABLE doc_counters (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    kind      TEXT    NOT NULL,
    year      INTEGER NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, year)
);

CREATE TABLE deals (
    tenant_id      INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    -- kind is quote, contract or order.
    kind           TEXT    NOT NULL,
    number         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    customer_id    INTEGER NOT NULL,
    contact_id     INTEGER,
    opportunity_id INTEGER,
    quote_id       INTEGER,
    status         TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    subtotal       INTEGER NOT NULL DEFAULT 0,
    discount       INTEGER NOT NULL DEFAULT 0,
    total          INTEGER NOT NULL DEFAULT 0,
    valid_until    TEXT    NOT NULL DEFAULT '',
    start_date     TEXT    NOT NULL DEFAULT '',
    end_date       TEXT    NOT NULL DEFAULT '',
    sent_at        INTEGER,
    decided_at     INTEGER,
    signed_at      INTEGER,
    signed_date    TEXT    NOT NULL DEFAULT '',
    signed_by      INTEGER,
    closed_at      INTEGER,
    note           TEXT    NOT NULL DEFAULT '',
    owner_id       INTEGER,
    department_id  INTEGER,
    created_by     INTEGER,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kind, number),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id),
    FOREIGN KEY (tenant_id, quote_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX deals_owner ON deals (tenant_id, owner_id, kind, status, id);
CREATE INDEX deals_department ON deals (tenant_id, department_id, kind, status, id);
CREATE INDEX deals_customer ON deals (tenant_id, customer_id, kind);
CREATE INDEX deals_signed ON deals (tenant_id, kind, signed_at);

CREATE TABLE deal_lines (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    deal_id       INTEGER NOT NULL,
    product_id    INTEGER NOT NULL,
    price_list_id INTEGER,
    quantity      INTEGER NOT NULL,
    unit_price    INTEGER NOT NULL,
    discount_bp   INTEGER NOT NULL DEFAULT 0,
    amount        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
    FOREIGN KEY (tenant_id, price_list_id) REFERENCES price_lists (tenant_id, id)
);
CREATE INDEX deal_lines_deal ON deal_lines (tenant_id, deal_id);

-- Installments of a contract's or order's payment plan.
CREATE TABLE payment_plans (
    tenant_id  INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    deal_id    INTEGER NOT NULL,
    due_date   TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id)
);
CREATE INDEX payment_plans_deal ON payment_plans (tenant_id, deal_id, due_date);

CREATE TABLE payments (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    deal_id       INTEGER NOT NULL,
    plan_id       INTEGER,
    received_date TEXT    NOT NULL,
    amount        INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    reference     TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    recorded_by   INTEGER,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, plan_id) REFERENCES payment_plans (tenant_id, id),
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX payments_deal ON payments (tenant_id, deal_id, received_date);
CREATE INDEX payments_received ON payments (tenant_id, received_date);

CREATE TABLE invoices (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    deal_id     INTEGER NOT NULL,
    number      TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    issued_date TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    voided_at   INTEGER,
    voided_by   INTEGER,
    created_by  INTEGER,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id)
);
CREATE INDEX invoices_deal ON invoices (tenant_id, deal_id);

CREATE TABLE projects (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    number        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    customer_id   INTEGER NOT NULL,
    deal_id       INTEGER,
    status        TEXT    NOT NULL,
    start_date    TEXT    NOT NULL DEFAULT '',
    due_date      TEXT    NOT NULL DEFAULT '',
    started_at    INTEGER,
    completed_at  INTEGER,
    note          TEXT    NOT NULL DEFAULT '',
    owner_id      INTEGER,
    department_id INTEGER,
    created_by    INTEGER,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX projects_owner ON projects (tenant_id, owner_id, status, id);
CREATE INDEX projects_department ON projects (tenant_id, department_id, status, id);
CREATE INDEX projects_customer ON projects (tenant_id, customer_id);

CREATE TABLE project_milestones (
    tenant_id  INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    due_date   TEXT    NOT NULL DEFAULT '',
    done_at    INTEGER,
    done_by    INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id),
    FOREIGN KEY (tenant_id, done_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX project_milestones_project ON project_milestones (tenant_id, project_id, due_date);

CREATE TABLE tickets (
    tenant_id         INTEGER NOT NULL,
    id                INTEGER NOT NULL,
    number            TEXT    NOT NULL,
    customer_id       INTEGER NOT NULL,
    contact_id        INTEGER,
    deal_id           INTEGER,
    kind              TEXT    NOT NULL,
    priority          TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    opened_at         INTEGER NOT NULL,
    first_response_at INTEGER,
    first_response_by INTEGER,
    resolved_at       INTEGER,
    resolved_by       INTEGER,
    resolution        TEXT    NOT NULL DEFAULT '',
    closed_at         INTEGER,
    cost              INTEGER NOT NULL DEFAULT 0,
    currency          TEXT    NOT NULL,
    satisfaction      INTEGER NOT NULL DEFAULT 0,
    satisfaction_note TEXT    NOT NULL DEFAULT '',
    owner_id          INTEGER,
    department_id     INTEGER,
    created_by        INTEGER,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX tickets_owner ON tickets (tenant_id, owner_id, status, id);
CREATE INDEX tickets_department ON tickets (tenant_id, department_id, status, id);
CREATE INDEX tickets_customer ON tickets (tenant_id, customer_id);
CREATE INDEX tickets_opened ON tickets (tenant_id, opened_at);

-- Every event of a deal, project or ticket: created, each status change,
-- first response, milestone done ... occurred_at is the business time (a
-- backdated signing says when the paper was signed); recorded_at is when
-- Cohort learned of it, the instant whose team earns the credit.
CREATE TABLE record_events (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    record_type TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL DEFAULT '',
    occurred_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    user_id     INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX record_events_record ON record_events (tenant_id, record_type, record_id, recorded_at);
CREATE INDEX record_events_event ON record_events (tenant_id, event, occurred_at);

-- The built-in roles of existing tenants reach the new record types as they
-- do for new tenants (cohort.BuiltinPermRoles).
UPDATE perm_roles SET grants = json_patch(grants, '{"quote":{"actions":["view","create","edit","delete","transfer","import","export","approve","administer"],"scope":"all"},"contract":{"actions":["view","create","edit","delete","transfer","import","export","approve","administer"],"scope":"all"},"order":{"actions":["view","create","edit","delete","transfer","import","export","approve","administer"],"scope":"all"},"project":{"actions":["view","create","edit","delete","transfer","import","export","approve","administer"],"scope":"all"},"ticket":{"actions":["view","create","edit","delete","transfer","import","export","approve","administer"],"scope":"all"}}')
 WHERE builtin AND name = '管理员 Administrator';
UPDATE perm_roles SET grants = json_patch(grants, '{"quote":{"actions":["view","create","edit","transfer","import","export"],"scope":"department_and_children"},"contract":{"actions":["view","create","edit","transfer","import","export"],"scope":"department_and_children"},"order":{"actions":["view","create","edit","transfer","import","export"],"scope":"department_and_children"},"project":{"actions":["view","create","edit","transfer","import","export"],"scope":"department_and_children"},"ticket":{"actions":["view","create","edit","transfer","import","export"],"scope":"department_and_children"}}')
 WHERE builtin AND name = '销售经理 Sales manager';
UPDATE perm_roles SET grants = json_patch(grants, '{"quote":{"actions":["view","create","edit"],"scope":"own"},"contract":{"actions":["view","create","edit"],"scope":"own"},"order":{"actions":["view","create","edit"],"scope":"own"},"project":{"actions":["view","create","edit"],"scope":"own"},"ticket":{"actions":["view","create","edit"],"scope":"own"}}')
 WHERE builtin AND name = '销售 Salesperson';
