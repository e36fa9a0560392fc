package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The reports on the handling practices of docs/practices.md: how the
// response scripts are used, which refusal scripts lead to appeals, and
// the abusive contacts staff received. They read the case events that
// carry a script (an info request's "script", a proposal's
// "proposal.script", an abuse warning's "script") or an abuse record.

// scriptOfEvent is the script an event's payload names, as jsonb.
const scriptOfEvent = `COALESCE(e.payload->'script', e.payload->'proposal'->'script')`

// ScriptUsage is how often one version of a script was sent in a period,
// and how often the staff member edited the filled-in text first.
type ScriptUsage struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
	Stage   string `json:"stage"`
	Uses    int    `json:"uses"`
	Edited  int    `json:"edited"`
}

// ScriptUsageBetween counts the messages sent from each script version
// with from <= at < to.
func (s *Store) ScriptUsageBetween(ctx context.Context, from, to time.Time) ([]ScriptUsage, error) {
	rows, err := s.Pool.Query(ctx, `
SELECT u.key, u.version, COALESCE(sc.stage, ''), count(*)::int, count(*) FILTER (WHERE u.edited)::int
FROM (SELECT `+scriptOfEvent+`->>'key' AS key, (`+scriptOfEvent+`->>'version')::int AS version,
             COALESCE((`+scriptOfEvent+`->>'edited')::boolean, false) AS edited
      FROM case_events e
      WHERE e.type IN ('proposed','info_requested','abusive_contact') AND e.at >= $1 AND e.at < $2
        AND COALESCE(`+scriptOfEvent+`->>'key', '') <> '') u
LEFT JOIN scripts sc ON sc.key = u.key AND sc.version = u.version
GROUP BY u.key, u.version, sc.stage
ORDER BY u.key, u.version`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store.ScriptUsageBetween: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ScriptUsage])
	if err != nil {
		return nil, fmt.Errorf("store.ScriptUsageBetween: %w", err)
	}
	return out, nil
}

// RefusalAppeals is, for one refusal script, how many refusals were sent
// from it and how many of those the customer appealed (before any next
// proposal on the case).
type RefusalAppeals struct {
	Key        string  `json:"key"`
	Refusals   int     `json:"refusals"`
	Appealed   int     `json:"appealed"`
	AppealRate float64 `json:"appeal_rate"`
}

// RefusalAppealsBetween is RefusalAppeals for the refusals proposed with
// from <= at < to, by script key.
func (s *Store) RefusalAppealsBetween(ctx context.Context, from, to time.Time) ([]RefusalAppeals, error) {
	rows, err := s.Pool.Query(ctx, `
WITH refusals AS (
    SELECT e.case_id, e.seq, e.payload->'proposal'->'script'->>'key' AS key
    FROM case_events e
    WHERE e.type = 'proposed' AND e.at >= $1 AND e.at < $2
      AND COALESCE(e.payload->'proposal'->>'refusal_reason', '') <> ''
      AND COALESCE(e.payload->'proposal'->'script'->>'key', '') <> ''
), judged AS (
    SELECT r.key, EXISTS (
        SELECT 1 FROM case_events a
        WHERE a.case_id = r.case_id AND a.type = 'appealed' AND a.seq > r.seq
          AND a.seq < COALESCE((SELECT min(n.seq) FROM case_events n
                                WHERE n.case_id = r.case_id AND n.type = 'proposed' AND n.seq > r.seq), 2147483647)
    ) AS appealed
    FROM refusals r
)
SELECT key, count(*)::int, count(*) FILTER (WHERE appealed)::int,
       round(count(*) FILTER (WHERE appealed)::numeric / count(*), 4)::float8
FROM judged GROUP BY key ORDER BY key`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store.RefusalAppealsBetween: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RefusalAppeals])
	if err != nil {
		return nil, fmt.Errorf("store.RefusalAppealsBetween: %w", err)
	}
	return out, nil
}

// AbuseCount is how many abusive contacts one staff member of a team
// received in a period, by kind.
type AbuseCount struct {
	Team          string `json:"team"`
	ReceivedBy    string `json:"received_by"`
	Contacts      int    `json:"contacts"`
	Insults       int    `json:"insults"`
	Threats       int    `json:"threats"`
	RepeatedCalls int    `json:"repeated_calls"`
}

// AbuseBetween counts the abusive contacts recorded with from <= at < to
// (when recorded), by the case's team and the staff member who
// received them: for support, not blame.
func (s *Store) AbuseBetween(ctx context.Context, from, to time.Time) ([]AbuseCount, error) {
	rows, err := s.Pool.Query(ctx, `
SELECT COALESCE(NULLIF(e.payload->>'team', ''), c.team_id, ''), e.payload->>'received_by', count(*)::int,
       count(*) FILTER (WHERE e.payload->>'kind' = 'insults')::int,
       count(*) FILTER (WHERE e.payload->>'kind' = 'threats')::int,
       count(*) FILTER (WHERE e.payload->>'kind' = 'repeated_calls')::int
FROM case_events e JOIN cases c ON c.id = e.case_id
WHERE e.type = 'abusive_contact' AND e.at >= $1 AND e.at < $2
GROUP BY 1, 2 ORDER BY 1, 2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store.AbuseBetween: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AbuseCount])
	if err != nil {
		return nil, fmt.Errorf("store.AbuseBetween: %w", err)
	}
	return out, nil
}
