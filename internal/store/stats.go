package store

import (
	"context"
	"fmt"
	"time"
)

// OpenCaseGroup counts open cases sharing status, profile, category,
// region (as typed), team and assignee, with how many are at risk or
// breached.
type OpenCaseGroup struct {
	Status, Profile, Category, Region, Team, Assignee string
	Count, AtRisk, Breached                           int
	// ReversalFailed counts cases with a remedy whose reversal failed.
	ReversalFailed int
}

// PendingApprovals counts cases awaiting approval by the least role that
// may approve, with the oldest wait.
type PendingApprovals struct {
	Role   string
	Count  int
	Oldest time.Time
}

// OpenCaseStats groups the open cases for the operational gauges.
func (s *Store) OpenCaseStats(ctx context.Context) ([]OpenCaseGroup, []PendingApprovals, error) {
	rows, err := s.Pool.Query(ctx, `
SELECT status, profile, category, COALESCE(region, ''), COALESCE(team_id, ''), COALESCE(assignee_id, ''),
       count(*), count(*) FILTER (WHERE at_risk), count(*) FILTER (WHERE breached), count(*) FILTER (WHERE reversal_failed)
FROM cases WHERE status NOT IN ('closed', 'withdrawn', 'merged')
GROUP BY 1, 2, 3, 4, 5, 6`)
	if err != nil {
		return nil, nil, fmt.Errorf("store.OpenCaseStats: %w", err)
	}
	var groups []OpenCaseGroup
	for rows.Next() {
		var g OpenCaseGroup
		if err := rows.Scan(&g.Status, &g.Profile, &g.Category, &g.Region, &g.Team, &g.Assignee, &g.Count, &g.AtRisk, &g.Breached, &g.ReversalFailed); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("store.OpenCaseStats: %w", err)
		}
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store.OpenCaseStats: %w", err)
	}
	rows, err = s.Pool.Query(ctx, `
SELECT approval_role, count(*), min(approval_since) FROM cases
WHERE status = 'awaiting_approval' AND approval_role IS NOT NULL GROUP BY 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("store.OpenCaseStats: approvals: %w", err)
	}
	defer rows.Close()
	var pending []PendingApprovals
	for rows.Next() {
		var p PendingApprovals
		if err := rows.Scan(&p.Role, &p.Count, &p.Oldest); err != nil {
			return nil, nil, fmt.Errorf("store.OpenCaseStats: approvals: %w", err)
		}
		pending = append(pending, p)
	}
	return groups, pending, rows.Err()
}
