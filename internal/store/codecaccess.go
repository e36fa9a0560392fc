package store

import (
	"context"
	"fmt"
	"time"
)

// CodecAccess is one decode of Temporal payloads through the API's codec
// endpoint: who asked, for which workflow or case, how many payloads, and
// whether personal data was masked for them.
type CodecAccess struct {
	StaffID    string    `json:"staff_id"`
	Role       string    `json:"role"`
	Op         string    `json:"op"`
	Namespace  string    `json:"namespace"`
	WorkflowID string    `json:"workflow_id,omitempty"`
	CaseID     string    `json:"case_id,omitempty"`
	Payloads   int       `json:"payloads"`
	Masked     bool      `json:"masked"`
	At         time.Time `json:"at"`
}

// RecordCodecAccess appends a to the codec access log (table codec_access,
// which the application may only append to).
func (s *Store) RecordCodecAccess(ctx context.Context, a CodecAccess) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO codec_access (staff_id, role, op, namespace, workflow_id, case_id, payloads, masked)
        VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7, $8)`,
		a.StaffID, a.Role, a.Op, a.Namespace, a.WorkflowID, a.CaseID, a.Payloads, a.Masked)
	if err != nil {
		return fmt.Errorf("store.RecordCodecAccess(%s): %w", a.StaffID, err)
	}
	return nil
}

// CodecAccessSince lists the codec access log from since on, oldest first
// (at most limit rows).
func (s *Store) CodecAccessSince(ctx context.Context, since time.Time, limit int) ([]CodecAccess, error) {
	rows, err := s.Pool.Query(ctx, `SELECT staff_id, role, op, namespace, coalesce(workflow_id, ''), coalesce(case_id, ''), payloads, masked, at
        FROM codec_access WHERE at >= $1 ORDER BY id LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("store.CodecAccessSince: %w", err)
	}
	defer rows.Close()
	var out []CodecAccess
	for rows.Next() {
		var a CodecAccess
		if err := rows.Scan(&a.StaffID, &a.Role, &a.Op, &a.Namespace, &a.WorkflowID, &a.CaseID, &a.Payloads, &a.Masked, &a.At); err != nil {
			return nil, fmt.Errorf("store.CodecAccessSince: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.CodecAccessSince: %w", err)
	}
	return out, nil
}
