-- purpose: the HMAC#1 replay cache (shared by every node) and the audit log
CREATE TABLE hmac_replay (
    tenant_id       uuid NOT NULL,
    request_digest  bytea NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, request_digest)
);
CREATE INDEX hmac_replay_expires ON hmac_replay (expires_at);

CREATE TABLE audit_log (
    audit_id    uuid PRIMARY KEY,
    tenant_id   uuid NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NULL,
    ip_address  text NULL,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, created_at DESC);
