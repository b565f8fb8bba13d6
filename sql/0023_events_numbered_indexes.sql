-- purpose: an event is inserted unnumbered and numbered by the sequencer just after its commit; the per-tenant unique
-- index of numbers and the retention index of message and note texts now hold numbered events only, so each event
-- enters them once (at its numbering) instead of twice (an entry for the unnumbered row, then one for the numbered).
-- Readers always ask for numbers (sequence > n), which PostgreSQL proves to imply "sequence IS NOT NULL".
-- (Built in the migration's transaction, as every index here: on a large events table, run it in a quiet moment.)
CREATE UNIQUE INDEX events_tenant_sequence ON events (tenant_id, sequence) WHERE sequence IS NOT NULL;
ALTER TABLE events DROP CONSTRAINT events_tenant_id_sequence_key;
DROP INDEX events_message_text;
CREATE INDEX events_message_text ON events (created_at) WHERE type = 'message.created' AND data ? 'text' AND sequence IS NOT NULL;
DROP INDEX events_note_text;
CREATE INDEX events_note_text ON events (created_at) WHERE type = 'note.created' AND data ? 'text' AND sequence IS NOT NULL;
