-- purpose: events are numbered per tenant after they commit, by one sequencer, instead of under a counter row that every
-- writer of the tenant locks until its commit; readers see only numbered events, so the feed stays gapless and ordered
ALTER TABLE events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE events ALTER COLUMN sequence DROP NOT NULL;
CREATE INDEX events_unsequenced ON events (id) WHERE sequence IS NULL;
