package store

import (
	"bytes"
	"context"
	"fmt"
)

// AuditBreak is the first place a case's audit trail does not hold: the
// event at Seq was edited, or an event before it was deleted, inserted or
// moved, or (Seq past the last event) events at the end are missing.
type AuditBreak struct {
	CaseID string
	Seq    int
	Reason string
}

func (b AuditBreak) String() string {
	return fmt.Sprintf("case %s: seq %d: %s", b.CaseID, b.Seq, b.Reason)
}

// AuditReport is what VerifyAudit checked and the breaks it found (at most
// one per case, the first).
type AuditReport struct {
	Cases  int
	Events int
	Breaks []AuditBreak
}

// auditHashSQL recomputes an event's hash from its columns. It repeats the
// expression of case_events_hash (migration 00012) on purpose: the check
// does not trust a function an intruder with the owner's rights could
// have replaced.
const auditHashSQL = `sha256(convert_to(jsonb_build_array(e.case_id::text, e.seq, e.type, e.actor,
    to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.payload, coalesce(encode(e.prev_hash, 'hex'), ''))::text, 'UTF8'))`

// VerifyAudit checks the hash chain of one case's audit trail (caseID not
// empty; ErrNotFound if there is no such case) or of every case: each
// event's hash matches its contents, each event's prev_hash is the hash of
// the case's event before it (in insertion order), and the trail reaches
// the last seq the case row reflects. It reads only, so the application's
// role can run it.
func (s *Store) VerifyAudit(ctx context.Context, caseID string) (AuditReport, error) {
	var rep AuditReport
	broken := map[string]bool{}
	heads := map[string]int{}
	var only *string
	if caseID != "" {
		only = &caseID
	}
	rows, err := s.Pool.Query(ctx, `SELECT e.case_id::text, e.seq, e.prev_hash, e.hash, `+auditHashSQL+`
FROM case_events e WHERE $1::uuid IS NULL OR e.case_id = $1::uuid ORDER BY e.case_id, e.id`, only)
	if err != nil {
		return rep, fmt.Errorf("store.VerifyAudit(%s): %w", caseID, err)
	}
	var cur string
	var prev []byte
	for rows.Next() {
		var id string
		var seq int
		var prevHash, hash, want []byte
		if err := rows.Scan(&id, &seq, &prevHash, &hash, &want); err != nil {
			rows.Close()
			return rep, fmt.Errorf("store.VerifyAudit(%s): scan: %w", caseID, err)
		}
		rep.Events++
		if id != cur {
			cur, prev = id, nil
		}
		heads[id] = max(heads[id], seq)
		if broken[id] {
			continue
		}
		switch {
		case !bytes.Equal(prevHash, prev):
			rep.Breaks = append(rep.Breaks, AuditBreak{id, seq, "its prev_hash is not the hash of the event before it: an event before it was deleted, inserted or moved"})
			broken[id] = true
		case !bytes.Equal(hash, want):
			rep.Breaks = append(rep.Breaks, AuditBreak{id, seq, "its contents do not match its hash: the event was edited"})
			broken[id] = true
		}
		prev = hash
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("store.VerifyAudit(%s): %w", caseID, err)
	}
	// The chain cannot show that its last events were removed; the case
	// row remembers the last seq it reflects.
	cases, err := s.Pool.Query(ctx, `SELECT id::text, last_seq FROM cases WHERE $1::uuid IS NULL OR id = $1::uuid ORDER BY id`, only)
	if err != nil {
		return rep, fmt.Errorf("store.VerifyAudit(%s): cases: %w", caseID, err)
	}
	defer cases.Close()
	for cases.Next() {
		var id string
		var last int
		if err := cases.Scan(&id, &last); err != nil {
			return rep, fmt.Errorf("store.VerifyAudit(%s): scan case: %w", caseID, err)
		}
		rep.Cases++
		if !broken[id] && heads[id] < last {
			rep.Breaks = append(rep.Breaks, AuditBreak{id, heads[id] + 1, fmt.Sprintf("the trail ends at seq %d but the case row reflects seq %d: events at the end were deleted", heads[id], last)})
		}
	}
	if err := cases.Err(); err != nil {
		return rep, fmt.Errorf("store.VerifyAudit(%s): cases: %w", caseID, err)
	}
	if caseID != "" && rep.Cases == 0 {
		return rep, fmt.Errorf("store.VerifyAudit(%s): %w", caseID, ErrNotFound)
	}
	return rep, nil
}
