-- purpose: visitor sessions, the message journal (gapless per-session seq), assignments (the human queue) and the event outbox
CREATE TABLE sessions (
    session_id            uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    visitor_id            uuid NOT NULL,
    external_user_id      text NULL CHECK (length(external_user_id) BETWEEN 1 AND 128),
    mode                  text NOT NULL CHECK (mode IN ('bot', 'human')),
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'waiting', 'assigned', 'closed')),
    routing_key           text NULL CHECK (routing_key ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    visitor_display_name  text NULL,
    visitor_email         text NULL,
    metadata              jsonb NOT NULL DEFAULT '{}'::jsonb,
    resume_token_hash     bytea NOT NULL,
    ticket_id             text NULL,
    last_seq              integer NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    escalated_at          timestamptz NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    closed_at             timestamptz NULL,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX sessions_tenant ON sessions (tenant_id, created_at DESC);
CREATE UNIQUE INDEX sessions_resume_token ON sessions (resume_token_hash);
CREATE INDEX sessions_open_user ON sessions (tenant_id, external_user_id) WHERE status <> 'closed';

-- The journal: stored before it is acknowledged or delivered. seq is 1, 2, 3 … per session, allocated under the
-- session row's lock; client_message_id makes a retry return the first message.
CREATE TABLE messages (
    message_id           uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL,
    session_id           uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    seq                  integer NOT NULL CHECK (seq >= 1),
    sender_type          text NOT NULL CHECK (sender_type IN ('visitor', 'bot', 'operator', 'system')),
    sender_id            uuid NULL,
    sender_display_name  text NULL,
    text                 text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    client_message_id    text NULL CHECK (length(client_message_id) BETWEEN 1 AND 128),
    created_at           timestamptz NOT NULL,
    UNIQUE (session_id, seq),
    UNIQUE (session_id, client_message_id)
);

-- At most one open assignment per session; an assigned one has an operator, a waiting one has none, a closed one
-- keeps the operator who had it.
CREATE TABLE assignments (
    assignment_id  uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    session_id     uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    routing_key    text NULL,
    status         text NOT NULL CHECK (status IN ('waiting', 'assigned', 'closed')),
    operator_id    uuid NULL REFERENCES operators (operator_id),
    reason         text NULL,
    resolution     text NULL,
    waiting_since  timestamptz NOT NULL,
    assigned_at    timestamptz NULL,
    closed_at      timestamptz NULL,
    created_at     timestamptz NOT NULL,
    CHECK (status <> 'assigned' OR operator_id IS NOT NULL),
    CHECK (status <> 'waiting' OR operator_id IS NULL),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX assignments_one_open_per_session ON assignments (session_id) WHERE status <> 'closed';
CREATE INDEX assignments_queue ON assignments (tenant_id, waiting_since) WHERE status = 'waiting';
CREATE INDEX assignments_operator ON assignments (tenant_id, operator_id) WHERE status = 'assigned';

-- Events for webhooks and the ordered feed, written in the transaction of the change they report. sequence is
-- gapless per tenant: allocated from tenant_event_sequences under that row's lock.
CREATE TABLE tenant_event_sequences (
    tenant_id      uuid PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    last_sequence  bigint NOT NULL DEFAULT 0
);

CREATE TABLE events (
    event_id    uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    sequence    bigint NOT NULL CHECK (sequence >= 1),
    type        text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, sequence)
);
