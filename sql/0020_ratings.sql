-- purpose: the visitor's rating of an ended conversation (1-5, an optional comment), one per session, changeable.
CREATE TABLE session_ratings (
    session_id  uuid PRIMARY KEY REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL,
    score       smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     text NULL CHECK (length(comment) <= 1000),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX session_ratings_tenant ON session_ratings (tenant_id, created_at);
