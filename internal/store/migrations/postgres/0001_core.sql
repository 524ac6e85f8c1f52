-- Tenants, organisation, permissions, authentication, audit log, idempotency.
-- Every tenant table is keyed (tenant_id, ...) and carries tenant_id in every
-- foreign and unique key; times are Unix milliseconds (UTC).

CREATE TABLE tenants (
    id                      BIGINT PRIMARY KEY,
    name                    TEXT    NOT NULL,
    slug                    TEXT    NOT NULL UNIQUE,
    time_zone               TEXT    NOT NULL,
    fiscal_year_start_month BIGINT  NOT NULL,
    currency                TEXT    NOT NULL,
    locale                  TEXT    NOT NULL,
    version                 BIGINT  NOT NULL DEFAULT 1,
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL
);

CREATE TABLE departments (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    id         BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    parent_id  BIGINT,
    manager_id BIGINT,
    path       TEXT    COLLATE "C" NOT NULL,
    depth      BIGINT  NOT NULL,
    sort_order BIGINT  NOT NULL DEFAULT 0,
    version    BIGINT  NOT NULL DEFAULT 1,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX departments_path ON departments (tenant_id, path);

CREATE TABLE users (
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    id            BIGINT  NOT NULL,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    phone         TEXT    NOT NULL DEFAULT '',
    department_id BIGINT,
    manager_id    BIGINT,
    status        TEXT    NOT NULL,
    locale        TEXT    NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '',
    last_login_at BIGINT,
    version       BIGINT  NOT NULL DEFAULT 1,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email),
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id),
    FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_department ON users (tenant_id, department_id);
CREATE INDEX users_manager ON users (tenant_id, manager_id);

CREATE TABLE user_org_history (
    tenant_id     BIGINT  NOT NULL,
    id            BIGINT  NOT NULL,
    user_id       BIGINT  NOT NULL,
    department_id BIGINT,
    manager_id    BIGINT,
    valid_from    BIGINT  NOT NULL,
    valid_to      BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX user_org_history_user ON user_org_history (tenant_id, user_id, valid_from);

CREATE TABLE perm_roles (
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    id          BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    grants      JSONB    NOT NULL,
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE user_perm_roles (
    tenant_id BIGINT  NOT NULL,
    user_id   BIGINT  NOT NULL,
    role_id   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES perm_roles (tenant_id, id)
);
CREATE INDEX user_perm_roles_role ON user_perm_roles (tenant_id, role_id);

CREATE TABLE business_roles (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    id         BIGINT  NOT NULL,
    key        TEXT    NOT NULL,
    name_zh    TEXT    NOT NULL,
    name_en    TEXT    NOT NULL,
    builtin    BOOLEAN NOT NULL DEFAULT FALSE,
    revenue    BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order BIGINT  NOT NULL DEFAULT 0,
    version    BIGINT  NOT NULL DEFAULT 1,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key)
);

-- The session token is "<tenant id>.<secret>"; only the SHA-256 of the secret is kept.
CREATE TABLE sessions (
    tenant_id    BIGINT  NOT NULL,
    id           BIGINT  NOT NULL,
    token_hash   TEXT    NOT NULL,
    user_id      BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    tenant_id    BIGINT  NOT NULL,
    id           BIGINT  NOT NULL,
    user_id      BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL,
    perm_role_id BIGINT,
    expires_at   BIGINT,
    last_used_at BIGINT,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, perm_role_id) REFERENCES perm_roles (tenant_id, id)
);
CREATE INDEX api_tokens_user ON api_tokens (tenant_id, user_id);

-- Failed logins per key (email, and client address); global because the tenant
-- is not known before a login succeeds.
CREATE TABLE login_failures (
    key          TEXT    PRIMARY KEY,
    failures     BIGINT  NOT NULL,
    window_start BIGINT  NOT NULL,
    locked_until BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
    tenant_id   BIGINT  NOT NULL,
    id          BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    actor_id    BIGINT,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   BIGINT,
    changes     JSONB    NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_object ON audit_log (tenant_id, object_type, object_id, id);
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id, id);

CREATE TABLE idempotency_keys (
    tenant_id    BIGINT  NOT NULL,
    id           BIGINT  NOT NULL,
    user_id      BIGINT  NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       BIGINT  NOT NULL DEFAULT 0,
    response     TEXT,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
