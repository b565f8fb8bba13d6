-- purpose: console users (people who log in), their roles per tenant, and one-time invitations
CREATE TABLE console_users (
    user_id        uuid PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    display_name   text NULL,
    password_hash  text NULL,
    created_at     timestamptz NOT NULL,
    CONSTRAINT console_users_email_unique UNIQUE (email)
);

CREATE TABLE tenant_members (
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES console_users (user_id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'operator')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_members_user ON tenant_members (user_id);

CREATE TABLE member_invites (
    invite_id    uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    email        text NOT NULL CHECK (email = lower(btrim(email))),
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'operator')),
    token_hash   bytea NOT NULL UNIQUE,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz NULL,
    created_at   timestamptz NOT NULL
);
