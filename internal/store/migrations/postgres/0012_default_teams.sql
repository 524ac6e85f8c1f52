-- A user's default team: people who join every new record the user owns,
-- each in a business role with an access level and a share.
CREATE TABLE default_team_members (
    tenant_id  BIGINT  NOT NULL,
    user_id    BIGINT  NOT NULL,
    member_id  BIGINT  NOT NULL,
    role_key   TEXT    NOT NULL,
    access     TEXT    NOT NULL,
    share_bp   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, user_id, member_id, role_key),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, role_key) REFERENCES business_roles (tenant_id, key)
);
