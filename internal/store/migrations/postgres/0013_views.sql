-- Records a user follows (关注), and a user's own saved list views.
CREATE TABLE follows (
    tenant_id   BIGINT  NOT NULL,
    user_id     BIGINT  NOT NULL,
    record_type TEXT    NOT NULL,
    record_id   BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, user_id, record_type, record_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE saved_views (
    tenant_id   BIGINT  NOT NULL,
    id          BIGINT  NOT NULL,
    user_id     BIGINT  NOT NULL,
    object_type TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id, object_type, name),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
