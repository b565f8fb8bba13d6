-- purpose: tenants, their configuration, HMAC#1 secrets (two live during a rotation) and widget keys
CREATE TABLE tenants (
    tenant_id      uuid PRIMARY KEY,
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    owner_email    text NULL CHECK (owner_email = lower(owner_email)),
    configuration  jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(configuration) = 'object'),
    quotas         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(quotas) = 'object'),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- A secret is encrypted (AES-GCM under Relay:MasterKey). expires_at NULL = the current secret; a rotated one keeps
-- verifying until its expires_at (the grace period). At most one current secret per tenant.
CREATE TABLE tenant_secrets (
    secret_id   uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    ciphertext  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NULL
);
CREATE UNIQUE INDEX tenant_secrets_one_current ON tenant_secrets (tenant_id) WHERE expires_at IS NULL;
CREATE INDEX tenant_secrets_tenant ON tenant_secrets (tenant_id, created_at DESC);

-- Widget keys are public (they ship in web pages): stored as is, looked up by value.
CREATE TABLE widget_keys (
    widget_key  text PRIMARY KEY CHECK (widget_key LIKE 'bwk\_%'),
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NULL
);
CREATE UNIQUE INDEX widget_keys_one_current ON widget_keys (tenant_id) WHERE expires_at IS NULL;
