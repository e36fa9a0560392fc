-- +goose Up
-- Business calendars loaded at run time. Each load is a new version; a
-- case keeps the snapshot it was registered with, so a new version
-- applies to new cases only. The built-in calendars (shipped in the
-- binary) answer for ids that have no row here.
CREATE TABLE calendars (
    id         text NOT NULL,
    version    integer NOT NULL,
    body       jsonb NOT NULL,
    loaded_by  text NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

-- +goose Down
DROP TABLE calendars;
