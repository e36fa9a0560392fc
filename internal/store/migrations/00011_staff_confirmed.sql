-- +goose Up
-- A staff row created on the first sight of a token is unconfirmed until
-- an admin confirms it: only confirmed members are picked for cases
-- automatically (LeastLoaded, AnyAtLeast), so a token for an unknown
-- subject cannot draw customers' cases to itself. Rows that exist now
-- were known before this rule and stay in service.
ALTER TABLE staff ADD COLUMN confirmed boolean NOT NULL DEFAULT false;
UPDATE staff SET confirmed = true;

DROP INDEX staff_load_idx;
CREATE INDEX staff_load_idx ON staff (team_id, role, open_cases, id) WHERE active AND confirmed;

-- +goose Down
DROP INDEX staff_load_idx;
CREATE INDEX staff_load_idx ON staff (team_id, role, open_cases, id) WHERE active;
ALTER TABLE staff DROP COLUMN confirmed;
