-- +goose Up
-- attachments are the files attached to a case as evidence (photos, PDFs,
-- call recordings), checked by content and with image metadata stripped
-- before they get here (internal/attachments). The case's workflow knows
-- only each file's id and sha256. A file clamd found infected is kept as
-- a record (scan_status 'infected') without its content.
CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (id),
    uploader_kind text NOT NULL CHECK (uploader_kind IN ('customer','staff','email')),
    -- uploader_id is the staff member's id or the sender's address; empty
    -- for the customer through the tracking link or the web form.
    uploader_id   text NOT NULL DEFAULT '',
    -- filename is the name as given, made safe for display and download
    -- (no directory, control or format characters; the content's
    -- extension).
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    sha256        bytea NOT NULL CHECK (octet_length(sha256) = 32),
    scan_status   text NOT NULL CHECK (scan_status IN ('not_scanned','clean','infected')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_case_idx ON attachments (case_id, created_at, id);

-- attachment_contents holds the bytes, apart from the records so that a
-- case's list never reads them; a download reads them in slices.
CREATE TABLE attachment_contents (
    attachment_id uuid PRIMARY KEY REFERENCES attachments (id) ON DELETE CASCADE,
    content       bytea NOT NULL
);
-- The content is already compressed (images, PDF, audio) or not worth
-- compressing: stored as it is, and sliced without decompressing.
ALTER TABLE attachment_contents ALTER COLUMN content SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE attachment_contents;
DROP TABLE attachments;
