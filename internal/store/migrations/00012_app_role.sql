-- +goose Up
-- The application runs as complaints_app, a role that owns nothing: it may
-- read and write the tables it works with, but only read and append to the
-- audit trail (no UPDATE, DELETE or TRUNCATE, and, owning nothing, it cannot
-- disable the trail's triggers or drop them). Migrations run as the owner.
-- Roles are cluster-wide: the role is created here when missing (NOLOGIN;
-- an operator grants it to the application's login role, or the dev and
-- test servers give it a password) and left in place by Down, since other
-- databases of the cluster may grant to it.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'complaints_app') THEN
        CREATE ROLE complaints_app NOLOGIN;
    END IF;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO complaints_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO complaints_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO complaints_app;
REVOKE UPDATE, DELETE ON case_events FROM complaints_app;
REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM complaints_app;
-- Tables and sequences later migrations create get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO complaints_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO complaints_app;

-- A TRUNCATE skips row triggers, so it is refused by a statement trigger
-- too (the owner can still drop the trigger; the hash chain below makes
-- that visible).
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

-- The trail is tamper-evident: each event carries the hash of the case's
-- previous event (prev_hash, NULL for a case's first) and its own hash,
-- SHA-256 over a canonical encoding of the row and prev_hash (a JSON array
-- of case_id, seq, type, actor, at in UTC with microseconds, payload as
-- jsonb prints it, and prev_hash in hex). Editing, deleting, inserting or
-- reordering a row breaks the chain at that row or the next; `complaints
-- audit verify` recomputes it. The chain follows insertion order (id),
-- which is not always seq order: changes may arrive out of order.
ALTER TABLE case_events ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

CREATE FUNCTION case_events_hash(case_id uuid, seq integer, type text, actor text, at timestamptz, payload jsonb, prev_hash bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(jsonb_build_array(case_id::text, seq, type, actor,
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), payload, coalesce(encode(prev_hash, 'hex'), ''))::text, 'UTF8'))
$$;

-- The hash is computed by this trigger, owned by the owner, whoever
-- inserts: the application cannot skip it, choose the hashes, or disable
-- it. Inserts into one case take turns (a transaction-scoped advisory lock
-- per case), and the row's id is drawn under the lock, so id order is the
-- chain's order even when two transactions append to one case at once.
-- A retried insert that ON CONFLICT skips leaves the chain as it was.
-- +goose StatementBegin
CREATE FUNCTION case_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('case_events:' || NEW.case_id::text, 0));
    NEW.id := nextval(pg_get_serial_sequence('case_events', 'id'));
    SELECT e.hash INTO NEW.prev_hash FROM case_events e WHERE e.case_id = NEW.case_id ORDER BY e.id DESC LIMIT 1;
    NEW.hash := case_events_hash(NEW.case_id, NEW.seq, NEW.type, NEW.actor, NEW.at, NEW.payload, NEW.prev_hash);
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- Existing events get their chain, in id order within each case: one
-- set-wise UPDATE per position in the chain (every case's first events,
-- then every case's second, ...), since each hash needs the one before.
ALTER TABLE case_events DISABLE TRIGGER case_events_no_update;
CREATE TEMP TABLE chain_order ON COMMIT DROP AS
    SELECT id, case_id, row_number() OVER (PARTITION BY case_id ORDER BY id) AS pos FROM case_events;
CREATE INDEX ON chain_order (pos);
CREATE INDEX ON chain_order (case_id, pos);
ANALYZE chain_order;
-- +goose StatementBegin
DO $$
DECLARE
    k integer := 1;
    n integer;
BEGIN
    LOOP
        UPDATE case_events e SET prev_hash = pe.hash,
            hash = case_events_hash(e.case_id, e.seq, e.type, e.actor, e.at, e.payload, pe.hash)
        FROM chain_order o
        LEFT JOIN chain_order po ON po.case_id = o.case_id AND po.pos = o.pos - 1
        LEFT JOIN case_events pe ON pe.id = po.id
        WHERE o.pos = k AND e.id = o.id;
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
        k := k + 1;
    END LOOP;
END
$$;
-- +goose StatementEnd
ALTER TABLE case_events ENABLE TRIGGER case_events_no_update;
ALTER TABLE case_events ALTER COLUMN hash SET NOT NULL;
CREATE TRIGGER case_events_chain BEFORE INSERT ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_chain();
CREATE INDEX case_events_chain_idx ON case_events (case_id, id);

-- +goose Down
DROP INDEX case_events_chain_idx;
DROP TRIGGER case_events_chain ON case_events;
DROP FUNCTION case_events_chain();
DROP FUNCTION case_events_hash(uuid, integer, text, text, timestamptz, jsonb, bytea);
ALTER TABLE case_events DROP COLUMN hash, DROP COLUMN prev_hash;
DROP TRIGGER case_events_no_truncate ON case_events;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM complaints_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM complaints_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM complaints_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM complaints_app;
REVOKE USAGE ON SCHEMA public FROM complaints_app;
