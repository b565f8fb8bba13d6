-- purpose: no foreign-key check on the journal's write path. Each check is a trigger that runs a query and locks the
-- referenced row (FOR KEY SHARE): every message locked its session, every event its tenant's row (one row that every
-- writer of a tenant, on every node, locked), every queue entry its event, and every number the sequencer wrote locked
-- its event again, in a later transaction, which wrote the event's page once more after its commit (the benchmark
-- counted four such checks per message, about a sixth of PostgreSQL's time per message). These rows are written by two
-- statements only: the journal's, in the transaction that holds the session's lock (the session's own key to its
-- tenant stays), and the sequencer's, which takes its event rows from the queue. No message is deleted but by
-- retention or with its session, no session or event but with its tenant: what the cascades did when a tenant is
-- deleted by hand (the relay deletes none), triggers do. TRUNCATE fires no delete trigger: a tenant truncated away leaves
-- its journal behind (the sequencer drops its queue entries unnumbered rather than fail on them).
ALTER TABLE messages DROP CONSTRAINT messages_session_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_tenant_id_fkey;
ALTER TABLE events_pending DROP CONSTRAINT events_pending_event_row_fkey;
ALTER TABLE event_numbers DROP CONSTRAINT event_numbers_event_row_fkey;

CREATE FUNCTION delete_tenant_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_numbers n USING gone WHERE n.tenant_id = gone.tenant_id;
    DELETE FROM events_pending p USING gone WHERE p.tenant_id = gone.tenant_id;
    DELETE FROM events e USING gone WHERE e.tenant_id = gone.tenant_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_delete_events AFTER DELETE ON tenants REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION delete_tenant_events();

CREATE FUNCTION delete_session_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM messages m USING gone WHERE m.session_id = gone.session_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_delete_messages AFTER DELETE ON sessions REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION delete_session_messages();
