-- purpose: an event row is written once and never updated. The sequencer's numbers go to a narrow table of their own
-- (event_numbers) instead of an update of the wide event row: that update left a dead copy of every event and indexed
-- it a second time, and the autovacuum of events that followed wrote its pages again in bursts (100 MB of WAL within
-- seconds under load, the tail of the benchmark's latency). Unnumbered events wait in a narrow queue (events_pending)
-- that writers fill in the event's own transaction and the sequencer empties.
CREATE UNIQUE INDEX events_row ON events (id);

CREATE TABLE event_numbers (
    tenant_id  uuid NOT NULL,
    sequence   bigint NOT NULL CHECK (sequence >= 1),
    event_row  bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, sequence)
);

CREATE TABLE events_pending (
    event_row  bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    tenant_id  uuid NOT NULL
);

INSERT INTO event_numbers (tenant_id, sequence, event_row) SELECT tenant_id, sequence, id FROM events WHERE sequence IS NOT NULL;
INSERT INTO events_pending (event_row, tenant_id) SELECT id, tenant_id FROM events WHERE sequence IS NULL;

-- (0023, partial indexes of numbered events, was a step on the way that this migration replaced before release; a
-- database that applied it has events_tenant_sequence instead of the constraint: both are dropped if there.)
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_tenant_id_sequence_key;
DROP INDEX IF EXISTS events_tenant_sequence;
DROP INDEX events_unsequenced;
DROP INDEX events_message_text;
DROP INDEX events_note_text;
ALTER TABLE events DROP COLUMN sequence;
CREATE INDEX events_message_text ON events (created_at) WHERE type = 'message.created' AND data ? 'text';
CREATE INDEX events_note_text ON events (created_at) WHERE type = 'note.created' AND data ? 'text';
