-- purpose: the operators' workspace (issue 16): full-text search over the journal, tags on sessions, internal notes
-- (operators only: never in the visitor's journal, so the visitor's seq stays gapless) and canned responses.
CREATE INDEX messages_text_search ON messages USING gin (to_tsvector('simple', text));
CREATE INDEX sessions_visitor_search ON sessions USING gin (
    to_tsvector('simple', coalesce(visitor_display_name, '') || ' ' || coalesce(visitor_email, '') || ' ' || coalesce(external_user_id, '')));

CREATE TABLE session_tags (
    session_id  uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL,
    tag         text NOT NULL CHECK (tag ~ '^[a-z0-9][a-z0-9_.:-]{0,31}$'),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (session_id, tag)
);
CREATE INDEX session_tags_tenant ON session_tags (tenant_id, tag);

CREATE TABLE session_notes (
    note_id              uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL,
    session_id           uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    operator_id          uuid NULL REFERENCES operators (operator_id),
    author_display_name  text NULL,
    after_seq            integer NOT NULL CHECK (after_seq >= 0),
    text                 text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    created_at           timestamptz NOT NULL
);
CREATE INDEX session_notes_session ON session_notes (session_id, created_at);
CREATE INDEX session_notes_age ON session_notes (created_at);

CREATE TABLE canned_responses (
    canned_id    uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    shortcut     text NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    routing_key  text NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (tenant_id, shortcut)
);
CREATE INDEX events_note_text ON events (created_at) WHERE type = 'note.created' AND data ? 'text';
