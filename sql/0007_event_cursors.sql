-- purpose: durable, at-least-once consumers of the event log (brain persistence now, webhooks next): one cursor per (consumer, tenant)
CREATE TABLE event_cursors (
    consumer         text NOT NULL,
    tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    last_sequence    bigint NOT NULL DEFAULT 0 CHECK (last_sequence >= 0),
    leased_until     timestamptz NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NULL,
    last_error       text NULL,
    PRIMARY KEY (consumer, tenant_id)
);
