-- purpose: periodic work that must run once for the cluster (sweeps, retention) takes a lease first; retention reaches
-- every copy of a message's text (the journal, message.created events, webhook delivery bodies), through partial
-- indexes of what is left to purge
CREATE TABLE work_leases (
    name    text PRIMARY KEY,
    holder  text NOT NULL,
    until   timestamptz NOT NULL
);
CREATE INDEX sessions_closed ON sessions (closed_at) WHERE status = 'closed';
CREATE INDEX events_message_text ON events (created_at) WHERE type = 'message.created' AND data ? 'text';
CREATE INDEX webhook_deliveries_text ON webhook_deliveries (created_at) WHERE payload -> 'data' ? 'text';
