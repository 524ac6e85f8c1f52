-- Background jobs with leases, the periodic schedule, the transactional outbox
-- and the in-app notification inbox. Times are Unix milliseconds (UTC).

-- jobs is global: the runner claims work across all tenants. A job belonging to
-- a tenant names it in its payload.
CREATE TABLE jobs (
    id           BIGINT PRIMARY KEY,
    kind         TEXT    NOT NULL,
    payload      JSONB   NOT NULL,
    status       TEXT    NOT NULL, -- queued, running, done, failed
    run_at       BIGINT  NOT NULL,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    max_attempts BIGINT  NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    last_error   TEXT    NOT NULL DEFAULT '',
    dedupe_key   TEXT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_finished ON jobs (updated_at) WHERE status IN ('done', 'failed');
-- At most one live (queued or running) job per dedupe key: a second enqueue
-- with the same key is a no-op until the first one finishes.
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status IN ('queued', 'running');

-- One row per periodic job kind. A scheduler enqueues a run only when it moves
-- last_slot_at forward (compare-and-set), so with several servers each period
-- is enqueued once.
CREATE TABLE periodic_jobs (
    kind         TEXT    PRIMARY KEY,
    interval_ms  BIGINT  NOT NULL,
    last_slot_at BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);

-- Side effects written in the same transaction as the change that causes them,
-- delivered after commit.
CREATE TABLE outbox (
    tenant_id       BIGINT  NOT NULL,
    id              BIGINT  NOT NULL,
    topic           TEXT    NOT NULL,
    payload         JSONB   NOT NULL,
    created_at      BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    delivered_at    BIGINT,
    failed_at       BIGINT,
    last_error      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- The in-app inbox. The id is the id of the outbox message that produced it,
-- which makes a repeated delivery a no-op.
CREATE TABLE notifications (
    tenant_id  BIGINT  NOT NULL,
    id         BIGINT  NOT NULL,
    user_id    BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    params     JSONB   NOT NULL,
    link       TEXT    NOT NULL DEFAULT '',
    read_at    BIGINT,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id, id) WHERE read_at IS NULL;
