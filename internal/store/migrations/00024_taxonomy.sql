-- +goose Up
-- The classification taxonomy as data (docs/classification.md): the
-- seeded category_teams table becomes its category table (each category's
-- team, names and default severity), with subcategories and the terms
-- (Chinese and English) the classifier matches. The API seeds the rest
-- from internal/classify/taxonomy.json into an empty taxonomy once
-- (taxonomy_state), and admins edit it through /v1/taxonomy; every edit is
-- appended to taxonomy_changes, which the application may not rewrite.
ALTER TABLE category_teams
    ADD COLUMN name_zh          text NOT NULL DEFAULT '',
    ADD COLUMN name_en          text NOT NULL DEFAULT '',
    ADD COLUMN default_severity text NOT NULL DEFAULT 'low'
        CHECK (default_severity IN ('low', 'medium', 'high', 'critical')),
    ADD COLUMN position         integer NOT NULL DEFAULT 0,
    ADD COLUMN builtin          boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at       timestamptz NOT NULL DEFAULT now();
UPDATE category_teams SET builtin = true
    WHERE category IN ('product_quality', 'service_attitude', 'delivery_delay', 'billing', 'safety', 'other');

CREATE TABLE taxonomy_subcategories (
    category text NOT NULL REFERENCES category_teams (category) ON DELETE CASCADE,
    code     text NOT NULL,
    name_zh  text NOT NULL,
    name_en  text NOT NULL,
    position integer NOT NULL DEFAULT 0,
    PRIMARY KEY (category, code)
);

-- subcategory is '' for a term of the category itself.
CREATE TABLE taxonomy_terms (
    category    text NOT NULL REFERENCES category_teams (category) ON DELETE CASCADE,
    subcategory text NOT NULL DEFAULT '',
    lang        text NOT NULL CHECK (lang IN ('zh', 'en')),
    term        text NOT NULL,
    PRIMARY KEY (category, subcategory, lang, term)
);

-- One row once the shipped taxonomy has been loaded, so an admin who
-- empties it does not see it come back.
CREATE TABLE taxonomy_state (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    seeded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE taxonomy_changes (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    before jsonb,
    after  jsonb
);
REVOKE UPDATE, DELETE ON taxonomy_changes FROM complaints_app;

-- Staff overrides of a classification are exported as labelled examples
-- (GET /v1/taxonomy/overrides.jsonl) from the audit trail.
CREATE INDEX case_events_override_idx ON case_events (at) WHERE type = 'classification_override';

-- +goose Down
DROP INDEX case_events_override_idx;
DROP TABLE taxonomy_changes;
DROP TABLE taxonomy_state;
DROP TABLE taxonomy_terms;
DROP TABLE taxonomy_subcategories;
ALTER TABLE category_teams
    DROP COLUMN name_zh, DROP COLUMN name_en, DROP COLUMN default_severity,
    DROP COLUMN position, DROP COLUMN builtin, DROP COLUMN updated_at;
