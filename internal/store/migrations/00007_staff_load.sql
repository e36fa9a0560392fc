-- +goose Up
-- Each staff member's open cases, kept by a trigger in the same
-- transaction as the case row, so that picking the least-loaded handler
-- at every intake reads a few staff rows rather than counting every open
-- case of the team (measured: the count grew with the open cases, to
-- about 17,000 index entries and heap visits per intake at 100,000 open
-- cases over 18 agents; BENCHMARKS.md).
ALTER TABLE staff ADD COLUMN open_cases integer NOT NULL DEFAULT 0;

UPDATE staff s SET open_cases = (
    SELECT count(*) FROM cases c WHERE c.assignee_id = s.id AND c.status NOT IN ('closed', 'withdrawn'));

-- +goose StatementBegin
CREATE FUNCTION cases_staff_load() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_open boolean := TG_OP <> 'INSERT' AND OLD.assignee_id IS NOT NULL AND OLD.status NOT IN ('closed', 'withdrawn');
    is_open  boolean := TG_OP <> 'DELETE' AND NEW.assignee_id IS NOT NULL AND NEW.status NOT IN ('closed', 'withdrawn');
BEGIN
    IF was_open AND is_open AND OLD.assignee_id = NEW.assignee_id THEN
        RETURN NULL;
    END IF;
    IF was_open THEN
        UPDATE staff SET open_cases = open_cases - 1 WHERE id = OLD.assignee_id;
    END IF;
    IF is_open THEN
        UPDATE staff SET open_cases = open_cases + 1 WHERE id = NEW.assignee_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER cases_staff_load AFTER INSERT OR DELETE OR UPDATE OF assignee_id, status ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_staff_load();

CREATE INDEX staff_load_idx ON staff (team_id, role, open_cases, id) WHERE active;

-- +goose Down
DROP INDEX staff_load_idx;
DROP TRIGGER cases_staff_load ON cases;
DROP FUNCTION cases_staff_load();
ALTER TABLE staff DROP COLUMN open_cases;
