package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/workflows"
)

// Staff is a member of staff, registered from token claims.
type Staff struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Team      string    `json:"team,omitempty"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// UpsertStaffFromClaims registers a staff member on their first
// authenticated request, as single sign-on systems do, and keeps role and
// team in step with the identity provider's claims afterwards. It returns
// the stored row (an admin may have deactivated it).
func (s *Store) UpsertStaffFromClaims(ctx context.Context, id, name, role, team string) (Staff, error) {
	// Every authenticated request comes here: the common case is a known
	// member whose claims have not changed, answered by one read.
	if cur, err := s.GetStaff(ctx, id); err == nil && cur.Role == role && (team == "" || cur.Team == team) && (name == "" || cur.Name == name) {
		return cur, nil
	}
	var st Staff
	var teamID *string
	if team != "" {
		teamID = &team
	}
	err := s.Pool.QueryRow(ctx, `
INSERT INTO staff (id, name, role, team_id) VALUES ($1, $2, $3, (SELECT id FROM teams WHERE id = $4))
ON CONFLICT (id) DO UPDATE SET
    role = EXCLUDED.role,
    team_id = COALESCE(EXCLUDED.team_id, staff.team_id),
    name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE staff.name END,
    updated_at = now()
  WHERE staff.role IS DISTINCT FROM EXCLUDED.role OR staff.team_id IS DISTINCT FROM COALESCE(EXCLUDED.team_id, staff.team_id)
     OR (EXCLUDED.name <> '' AND staff.name IS DISTINCT FROM EXCLUDED.name)
RETURNING id, name, role, COALESCE(team_id, ''), active, created_at`, id, name, role, teamID).
		Scan(&st.ID, &st.Name, &st.Role, &st.Team, &st.Active, &st.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// Nothing changed: read the row as it is.
		return s.GetStaff(ctx, id)
	}
	if err != nil {
		return Staff{}, fmt.Errorf("store.UpsertStaffFromClaims(%s): %w", id, err)
	}
	return st, nil
}

// GetStaff returns one staff member or ErrNotFound.
func (s *Store) GetStaff(ctx context.Context, id string) (Staff, error) {
	var st Staff
	err := s.Pool.QueryRow(ctx, `SELECT id, name, role, COALESCE(team_id, ''), active, created_at FROM staff WHERE id = $1`, id).
		Scan(&st.ID, &st.Name, &st.Role, &st.Team, &st.Active, &st.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Staff{}, fmt.Errorf("store.GetStaff(%s): %w", id, ErrNotFound)
	}
	if err != nil {
		return Staff{}, fmt.Errorf("store.GetStaff(%s): %w", id, err)
	}
	return st, nil
}

// ListStaff returns every staff member, by team and id.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, name, role, COALESCE(team_id, ''), active, created_at FROM staff ORDER BY team_id NULLS LAST, id`)
	if err != nil {
		return nil, fmt.Errorf("store.ListStaff: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Staff, error) {
		var st Staff
		err := r.Scan(&st.ID, &st.Name, &st.Role, &st.Team, &st.Active, &st.CreatedAt)
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.ListStaff: %w", err)
	}
	return out, nil
}

// UpdateStaff lets an admin change a member's role, team or active flag.
func (s *Store) UpdateStaff(ctx context.Context, id string, role, team *string, active *bool) (Staff, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE staff SET role = COALESCE($2, role), team_id = COALESCE($3, team_id),
        active = COALESCE($4, active), updated_at = now() WHERE id = $1`, id, role, team, active)
	if err != nil {
		return Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, ErrNotFound)
	}
	return s.GetStaff(ctx, id)
}

// TeamExists reports whether a team id exists.
func (s *Store) TeamExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store.TeamExists(%s): %w", id, err)
	}
	return ok, nil
}

// TeamForCategory returns the team configured for a category ("general"
// when none is).
func (s *Store) TeamForCategory(ctx context.Context, category string) (string, error) {
	var team string
	err := s.Pool.QueryRow(ctx, `SELECT team_id FROM category_teams WHERE category = $1`, category).Scan(&team)
	if errors.Is(err, pgx.ErrNoRows) {
		return "general", nil
	}
	if err != nil {
		return "", fmt.Errorf("store.TeamForCategory(%s): %w", category, err)
	}
	return team, nil
}

// LeastLoaded picks the active member of team with exactly role who has
// the fewest open cases (staff.open_cases, kept by a trigger on cases;
// ties broken by id), skipping exclude. It returns
// "" when nobody fits.
func (s *Store) LeastLoaded(ctx context.Context, team, role, exclude string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `
SELECT id FROM staff
WHERE active AND team_id = $1 AND role = $2 AND id <> $3
ORDER BY open_cases, id LIMIT 1`, team, role, exclude).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store.LeastLoaded(%s, %s): %w", team, role, err)
	}
	return id, nil
}

// AnyAtLeast picks the least-loaded active member anywhere whose role is at
// least role, preferring team; "" when nobody fits.
func (s *Store) AnyAtLeast(ctx context.Context, team, role, exclude string) (string, error) {
	var roles []string
	for _, r := range []string{workflows.RoleAgent, workflows.RoleSupervisor, workflows.RoleManager, workflows.RoleDirector} {
		if workflows.RoleLevel(r) >= workflows.RoleLevel(role) {
			roles = append(roles, r)
		}
	}
	var id string
	err := s.Pool.QueryRow(ctx, `
SELECT id FROM staff
WHERE active AND role = ANY($2) AND id <> $3
ORDER BY (team_id IS DISTINCT FROM $1), array_position($2, role), open_cases, id LIMIT 1`, team, roles, exclude).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store.AnyAtLeast(%s, %s): %w", team, role, err)
	}
	return id, nil
}
