-- Records a user follows (关注), and a user's own saved list views.
CREATE TABLE follows (
    tenant_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    record_type TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, record_type, record_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE saved_views (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    object_type TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id, object_type, name),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
