-- purpose: no foreign-key check on the event log's write path. Each check is a trigger that runs a query and locks the
-- referenced row (FOR KEY SHARE): every event locked its tenant's row (one row that every writer of a tenant, on every
-- node, locked), every queue entry locked its event, and every number the sequencer wrote locked its event again, in a
-- later transaction, which wrote the event's page once more after its commit (the benchmark counted four such checks per
-- message, about a sixth of PostgreSQL's time per message). These rows are written by two statements only, the journal's
-- (in the transaction that holds the session, whose own key to its tenant stays) and the sequencer's (which takes its
-- event rows from the queue), and no event is ever deleted but with its tenant. What the cascades did for a tenant
-- deleted by hand (the relay deletes none) a trigger on tenants does.
ALTER TABLE events DROP CONSTRAINT events_tenant_id_fkey;
ALTER TABLE events_pending DROP CONSTRAINT events_pending_event_row_fkey;
ALTER TABLE event_numbers DROP CONSTRAINT event_numbers_event_row_fkey;

CREATE FUNCTION delete_tenant_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_numbers WHERE tenant_id = OLD.tenant_id;
    DELETE FROM events_pending WHERE tenant_id = OLD.tenant_id;
    DELETE FROM events WHERE tenant_id = OLD.tenant_id;
    RETURN OLD;
END
$$;

CREATE TRIGGER tenants_delete_events AFTER DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION delete_tenant_events();
