-- purpose: operators (people, one per email) and their per-tenant memberships with routing keys
CREATE TABLE operators (
    operator_id    uuid PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    password_hash  text NOT NULL CHECK (length(password_hash) > 0),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL,
    CONSTRAINT operators_email_unique UNIQUE (email)
);

-- display_name and avatar_url are per membership: a person may show a different name to each tenant.
-- routing_keys NULL = tenant-wide (an empty list is normalised to NULL so there is one representation).
-- token_version is bumped on deprovisioning: tokens carrying an older version are refused.
CREATE TABLE operator_memberships (
    tenant_id       uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    operator_id     uuid NOT NULL REFERENCES operators (operator_id) ON DELETE CASCADE,
    role            text NOT NULL DEFAULT 'operator' CHECK (role IN ('owner', 'admin', 'operator')),
    display_name    text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 120),
    avatar_url      text NULL CHECK (avatar_url LIKE 'https://%'),
    routing_keys    text[] NULL CHECK (routing_keys IS NULL OR cardinality(routing_keys) BETWEEN 1 AND 50),
    active          boolean NOT NULL DEFAULT true,
    token_version   integer NOT NULL DEFAULT 1 CHECK (token_version >= 1),
    availability    text NOT NULL DEFAULT 'available' CHECK (availability IN ('available', 'away')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deactivated_at  timestamptz NULL,
    PRIMARY KEY (tenant_id, operator_id),
    CHECK (active = (deactivated_at IS NULL))
);
CREATE INDEX operator_memberships_operator ON operator_memberships (operator_id);
