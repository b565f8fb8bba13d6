-- purpose: the bot lane's work is a row, written in the transaction that stores the visitor's message: it survives a
-- restart, is never dropped, and any node's lane leases it (FOR UPDATE SKIP LOCKED); a reply past its deadline escalates
CREATE TABLE bot_replies (
    message_id    uuid PRIMARY KEY REFERENCES messages (message_id) ON DELETE CASCADE,
    tenant_id     uuid NOT NULL,
    session_id    uuid NOT NULL,
    seq           integer NOT NULL,
    created_at    timestamptz NOT NULL,
    leased_until  timestamptz NULL,
    attempts      integer NOT NULL DEFAULT 0
);
CREATE INDEX bot_replies_oldest ON bot_replies (created_at);
