-- purpose: usage per tenant and day (messages by sender, sessions, escalations, bot replies, webhook deliveries, peak connections)
CREATE TABLE usage_daily (
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    day        date NOT NULL,
    metric     text NOT NULL,
    value      bigint NOT NULL DEFAULT 0 CHECK (value >= 0),
    PRIMARY KEY (tenant_id, day, metric)
);

-- The usage consumer's own cursor, moved in the transaction that adds the counts: each event is counted exactly once
-- even when the event-log consumer runs a batch twice.
CREATE TABLE usage_cursors (
    tenant_id      uuid PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    last_sequence  bigint NOT NULL DEFAULT 0
);
