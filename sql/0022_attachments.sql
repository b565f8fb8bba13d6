-- purpose: attachments (issue 17): files uploaded into a conversation. The metadata row stays narrow; the bytes live
-- behind the storage interface, in attachment_blobs by default (bytea, TOASTed out of line). A message carries the
-- attachments it was sent with in messages.extras; claimed_by ties an attachment to the one send that took it.
CREATE TABLE attachments (
    attachment_id   uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    session_id      uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    uploader_type   text NOT NULL CHECK (uploader_type IN ('visitor', 'operator', 'backend')),
    uploader_id     uuid NULL,
    file_name       text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    content_type    text NOT NULL,
    size_bytes      integer NOT NULL CHECK (size_bytes > 0),
    width           integer NULL,
    height          integer NULL,
    has_thumbnail   boolean NOT NULL,
    claimed_by      text NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX attachments_session ON attachments (session_id);

CREATE TABLE attachment_blobs (
    storage_key  text PRIMARY KEY,
    data         bytea NOT NULL
);
