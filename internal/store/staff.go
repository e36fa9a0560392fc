package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// Staff is a member of staff. The directory (this table, managed by
// admins) is the source of truth for role, team and whether the member is
// active and confirmed; a token only identifies the member.
type Staff struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Team   string `json:"team,omitempty"`
	Active bool   `json:"active"`
	// Confirmed is false for a member registered from a token alone until
	// an admin confirms them; only confirmed members are given cases
	// automatically.
	Confirmed bool      `json:"confirmed"`
	CreatedAt time.Time `json:"created_at"`
	// Email is where the member's notifications are sent (set by an
	// admin; empty: the outbox only).
	Email string `json:"email,omitempty"`
}

const staffColumns = `id, name, role, COALESCE(team_id, ''), active, confirmed, created_at, email`

func scanStaff(r pgx.Row) (Staff, error) {
	var st Staff
	err := r.Scan(&st.ID, &st.Name, &st.Role, &st.Team, &st.Active, &st.Confirmed, &st.CreatedAt, &st.Email)
	return st, err
}

// UpsertStaffFromClaims registers a staff member on their first
// authenticated request, as single sign-on systems do, with the token's
// role and team (an unknown team is left empty), unconfirmed. A known
// member's row is returned as the directory holds it: an admin's change of
// role or team is not undone by the claims of a token issued before it.
func (s *Store) UpsertStaffFromClaims(ctx context.Context, id, name, role, team string) (Staff, error) {
	return s.StaffFromClaims(ctx, id, name, role, team, false)
}

// StaffFromClaims is UpsertStaffFromClaims that registers a new member
// confirmed when confirm is set (STAFF_AUTO_CONFIRM).
func (s *Store) StaffFromClaims(ctx context.Context, id, name, role, team string, confirm bool) (Staff, error) {
	// Every authenticated request comes here: the common case is a known
	// member, answered by one read.
	if cur, err := s.GetStaff(ctx, id); err == nil {
		return cur, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Staff{}, err
	}
	if _, err := s.Pool.Exec(ctx, `
INSERT INTO staff (id, name, role, team_id, confirmed) VALUES ($1, $2, $3, (SELECT id FROM teams WHERE id = $4), $5)
ON CONFLICT (id) DO NOTHING`, id, name, role, team, confirm); err != nil {
		return Staff{}, fmt.Errorf("store.UpsertStaffFromClaims(%s): %w", id, err)
	}
	return s.GetStaff(ctx, id)
}

// RegisterStaff creates a confirmed directory entry, as an admin's import
// does (the development system's staff, tests), or confirms an existing
// one, whose role, team and active flag stay as the directory has them.
func (s *Store) RegisterStaff(ctx context.Context, id, name, role, team string) (Staff, error) {
	var teamID *string
	if team != "" {
		teamID = &team
	}
	if _, err := s.Pool.Exec(ctx, `
INSERT INTO staff (id, name, role, team_id, confirmed) VALUES ($1, $2, $3, $4, true)
ON CONFLICT (id) DO UPDATE SET confirmed = true, updated_at = now()`, id, name, role, teamID); err != nil {
		return Staff{}, fmt.Errorf("store.RegisterStaff(%s): %w", id, err)
	}
	return s.GetStaff(ctx, id)
}

// GetStaff returns one staff member or ErrNotFound.
func (s *Store) GetStaff(ctx context.Context, id string) (Staff, error) {
	st, err := scanStaff(s.Pool.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1`, id))
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
	rows, err := s.Pool.Query(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY team_id NULLS LAST, id`)
	if err != nil {
		return nil, fmt.Errorf("store.ListStaff: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Staff, error) { return scanStaff(r) })
	if err != nil {
		return nil, fmt.Errorf("store.ListStaff: %w", err)
	}
	return out, nil
}

// StaffChange is an admin's change to a directory entry; nil fields stay.
type StaffChange struct {
	Role, Team, Email *string
	Active, Confirmed *bool
}

// UpdateStaff applies an admin's change to a member's role, team, active
// or confirmed flag. It returns the row before and after the change, or
// ErrNotFound.
func (s *Store) UpdateStaff(ctx context.Context, id string, ch StaffChange) (before, after Staff, err error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return Staff{}, Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, err)
	}
	defer tx.Rollback(ctx)
	before, err = scanStaff(tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Staff{}, Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, ErrNotFound)
	}
	if err != nil {
		return Staff{}, Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, err)
	}
	after, err = scanStaff(tx.QueryRow(ctx, `UPDATE staff SET role = COALESCE($2, role), team_id = COALESCE($3, team_id),
        active = COALESCE($4, active), confirmed = COALESCE($5, confirmed), email = COALESCE($6, email), updated_at = now()
        WHERE id = $1 RETURNING `+staffColumns, id, ch.Role, ch.Team, ch.Active, ch.Confirmed, ch.Email))
	if err != nil {
		return Staff{}, Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Staff{}, Staff{}, fmt.Errorf("store.UpdateStaff(%s): %w", id, err)
	}
	return before, after, nil
}

// OpenCasesOf returns the ids of the open cases assigned to a member, with
// each case's team, oldest first.
func (s *Store) OpenCasesOf(ctx context.Context, staffID string) ([]Case, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+caseColumns+` FROM cases
        WHERE assignee_id = $1 AND status NOT IN ('closed', 'withdrawn', 'merged') ORDER BY created_at, id`, staffID)
	if err != nil {
		return nil, fmt.Errorf("store.OpenCasesOf(%s): %w", staffID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Case, error) { return scanCase(r) })
	if err != nil {
		return nil, fmt.Errorf("store.OpenCasesOf(%s): %w", staffID, err)
	}
	return out, nil
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

// LeastLoaded picks the active, confirmed member of team with exactly role who has
// the fewest open cases (staff.open_cases, kept by a trigger on cases;
// ties broken by id), skipping exclude. It returns
// "" when nobody fits.
func (s *Store) LeastLoaded(ctx context.Context, team, role, exclude string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `
SELECT id FROM staff
WHERE active AND confirmed AND team_id = $1 AND role = $2 AND id <> $3
ORDER BY open_cases, id LIMIT 1`, team, role, exclude).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store.LeastLoaded(%s, %s): %w", team, role, err)
	}
	return id, nil
}

// AnyAtLeast picks the least-loaded active, confirmed member anywhere whose role is at
// least role, preferring team; "" when nobody fits.
func (s *Store) AnyAtLeast(ctx context.Context, team, role, exclude string) (string, error) {
	var roles []string
	for _, r := range []string{complaint.RoleAgent, complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector} {
		if complaint.RoleLevel(r) >= complaint.RoleLevel(role) {
			roles = append(roles, r)
		}
	}
	var id string
	err := s.Pool.QueryRow(ctx, `
SELECT id FROM staff
WHERE active AND confirmed AND role = ANY($2) AND id <> $3
ORDER BY (team_id IS DISTINCT FROM $1), array_position($2, role), open_cases, id LIMIT 1`, team, roles, exclude).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store.AnyAtLeast(%s, %s): %w", team, role, err)
	}
	return id, nil
}
