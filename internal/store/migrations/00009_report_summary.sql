-- +goose Up
-- The report summary: one row per local day, dimension and value of each
-- time zone the summary keeps, with every breakdown figure in a form that
-- adds up across days (counts and sums) and the durations themselves, so
-- percentiles over any set of days stay exact. A year-wide breakdown reads
-- a few thousand of these rows instead of every case row of the year
-- (measured at 1,000,000 cases: BENCHMARKS.md).
CREATE TABLE report_zones (
    zone     text PRIMARY KEY,
    built_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE report_cells (
    zone         text NOT NULL REFERENCES report_zones (zone) ON DELETE CASCADE,
    dim          text NOT NULL,
    day          date NOT NULL,
    value        text NOT NULL,
    cases        integer NOT NULL,
    breached     integer NOT NULL,
    with_finding integer NOT NULL,
    upheld       integer NOT NULL,
    compensation bigint NOT NULL,
    survey_sum   bigint NOT NULL,
    survey_n     integer NOT NULL,
    repeated     integer NOT NULL,
    reopened     integer NOT NULL,
    closed       integer NOT NULL,
    first_contact integer NOT NULL,
    -- Seconds from receipt to acknowledgement and to resolution of the
    -- cell's cases that have them, in no particular order.
    acknowledge  float8[] NOT NULL,
    resolve      float8[] NOT NULL,
    PRIMARY KEY (zone, dim, day, value)
);
-- The duration arrays do not compress (they are measurements); stored out
-- of line uncompressed, they are read without a decompression pass.
ALTER TABLE report_cells ALTER COLUMN acknowledge SET STORAGE EXTERNAL;
ALTER TABLE report_cells ALTER COLUMN resolve SET STORAGE EXTERNAL;

-- report_changes marks the hours (UTC) of receipt whose cases changed since
-- the summary last took them in. The mark commits with the change, so a
-- report reading in one snapshot sees either the summary with the change
-- or the mark that sends it to the case rows for that day.
CREATE TABLE report_changes (
    received_hour timestamptz NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION report_mark_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (received_hour)
    SELECT DISTINCT date_trunc('hour', received_at, 'UTC') FROM changed;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Statement triggers with transition tables: a bulk insert marks each hour
-- once, not each row.
CREATE TRIGGER cases_report_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_mark_cases();
CREATE TRIGGER cases_report_update AFTER UPDATE ON cases
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_mark_cases();
CREATE TRIGGER cases_report_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_mark_cases();

-- A repeat contact that reopened a case counts in the reopen rate; its
-- event can commit apart from the case row (a change that arrives after a
-- newer one leaves the row as it is), so it marks its case's hour itself.
-- +goose StatementBegin
CREATE FUNCTION report_mark_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (received_hour)
    SELECT date_trunc('hour', received_at, 'UTC') FROM cases WHERE id = NEW.case_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_events_report AFTER INSERT ON case_events
    FOR EACH ROW WHEN (NEW.type = 'repeat_contact') EXECUTE FUNCTION report_mark_event();

-- The reopen rate looks up repeat contacts that reopened a case: a small
-- partial index instead of a pass over the whole audit trail.
CREATE INDEX case_events_reopened_idx ON case_events (case_id)
    WHERE type = 'repeat_contact' AND payload->>'reopened' = 'true';

-- +goose Down
DROP INDEX case_events_reopened_idx;
DROP TRIGGER case_events_report ON case_events;
DROP FUNCTION report_mark_event();
DROP TRIGGER cases_report_delete ON cases;
DROP TRIGGER cases_report_update ON cases;
DROP TRIGGER cases_report_insert ON cases;
DROP FUNCTION report_mark_cases();
DROP TABLE report_changes;
DROP TABLE report_cells;
DROP TABLE report_zones;
