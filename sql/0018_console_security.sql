-- purpose: console accounts (issue 14): a credential version that a password change bumps (console cookies carry it, so a reset
-- signs every other session out), one-time password reset links, and ASP.NET Core Data Protection's key ring, shared
-- by every node (its keys are encrypted with Relay:MasterKey before they are stored).
ALTER TABLE console_users ADD COLUMN credential_version integer NOT NULL DEFAULT 0;

CREATE TABLE console_password_resets (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES console_users (user_id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX console_password_resets_user ON console_password_resets (user_id);

CREATE TABLE data_protection_keys (
    name        text PRIMARY KEY,
    xml         text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
