-- purpose: webhook deliveries (one per event and target, with the exact body sent), their attempts, and each tenant's endpoint state
CREATE TABLE webhook_endpoints (
    tenant_id             uuid PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    reason                text NULL,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    first_failure_at      timestamptz NULL,
    updated_at            timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    delivery_id      uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    event_id         uuid NULL REFERENCES events (event_id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    url              text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    leased_until     timestamptz NULL,
    last_status      integer NULL,
    last_error       text NULL,
    replay_of        uuid NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE SET NULL,
    delivered_at     timestamptz NULL,
    created_at       timestamptz NOT NULL,
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
-- The fan-out may run a batch twice (at least once): one original delivery per event and target.
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (event_id, url) WHERE replay_of IS NULL AND event_id IS NOT NULL;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, created_at DESC);

CREATE TABLE webhook_attempts (
    attempt_id        uuid PRIMARY KEY,
    delivery_id       uuid NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
    attempt           integer NOT NULL,
    status_code       integer NULL,
    latency_ms        integer NOT NULL,
    response_excerpt  text NULL,
    error             text NULL,
    created_at        timestamptz NOT NULL,
    UNIQUE (delivery_id, attempt)
);
