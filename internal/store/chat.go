package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// MessageChat is the channel of a staff notification posted to a team's
// chat bot; the delivery's address is the team channel's id.
const MessageChat = "chat"

// Chat channel kinds.
const (
	ChatWeCom    = "wecom"
	ChatDingTalk = "dingtalk"
	ChatFeishu   = "feishu"
	ChatSlack    = "slack"
)

// ChatKinds lists the chat channel kinds above.
func ChatKinds() []string { return []string{ChatWeCom, ChatDingTalk, ChatFeishu, ChatSlack} }

// TeamChannel is a chat bot a team's staff notifications are posted to.
// Sealed holds its webhook URL and secret, encrypted; Hint is the masked
// form anyone allowed to list the channel may see.
type TeamChannel struct {
	ID        int64     `json:"id"`
	Team      string    `json:"team"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Hint      string    `json:"hint"`
	Active    bool      `json:"active"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Sealed    []byte    `json:"-"`
}

const teamChannelColumns = `id, team_id, kind, name, hint, active, created_by, created_at, updated_at, sealed`

func scanTeamChannel(r pgx.CollectableRow) (TeamChannel, error) {
	var c TeamChannel
	err := r.Scan(&c.ID, &c.Team, &c.Kind, &c.Name, &c.Hint, &c.Active, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.Sealed)
	return c, err
}

// CreateTeamChannel records a new channel of c.Team and its audit entry.
func (s *Store) CreateTeamChannel(ctx context.Context, c TeamChannel, actor string) (TeamChannel, error) {
	var out TeamChannel
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO team_channels (team_id, kind, name, sealed, hint, active, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+teamChannelColumns, c.Team, c.Kind, c.Name, c.Sealed, c.Hint, c.Active, actor)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanTeamChannel); err != nil {
			return err
		}
		return auditChannel(ctx, tx, out, "created", actor, []string{"kind", "name", "secret", "active"})
	})
	if err != nil {
		return TeamChannel{}, fmt.Errorf("store.CreateTeamChannel(%s): %w", c.Team, err)
	}
	return out, nil
}

func auditChannel(ctx context.Context, tx pgx.Tx, c TeamChannel, action, actor string, fields []string) error {
	if fields == nil {
		fields = []string{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO team_channel_changes (channel_id, team_id, action, actor, fields) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.Team, action, actor, fields)
	return err
}

// TeamChannels returns a team's channels (not the deleted ones), oldest
// first.
func (s *Store) TeamChannels(ctx context.Context, team string) ([]TeamChannel, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+teamChannelColumns+` FROM team_channels WHERE team_id = $1 AND deleted_at IS NULL ORDER BY id`, team)
	if err != nil {
		return nil, fmt.Errorf("store.TeamChannels(%s): %w", team, err)
	}
	out, err := pgx.CollectRows(rows, scanTeamChannel)
	if err != nil {
		return nil, fmt.Errorf("store.TeamChannels(%s): %w", team, err)
	}
	return out, nil
}

// TeamChannelByID returns a channel that is not deleted; ErrNotFound when
// there is none (deleted, or another team's).
func (s *Store) TeamChannelByID(ctx context.Context, team string, id int64) (TeamChannel, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+teamChannelColumns+` FROM team_channels
        WHERE id = $1 AND ($2 = '' OR team_id = $2) AND deleted_at IS NULL`, id, team)
	if err == nil {
		var c TeamChannel
		c, err = pgx.CollectExactlyOneRow(rows, scanTeamChannel)
		if err == nil {
			return c, nil
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	return TeamChannel{}, fmt.Errorf("store.TeamChannelByID(%d): %w", id, err)
}

// TeamChannelChange is a partial update of a channel; nil fields stay.
type TeamChannelChange struct {
	Name   *string
	Active *bool
	// Sealed and Hint change together, when the URL or the secret does.
	Sealed []byte
	Hint   string
}

// UpdateTeamChannel applies ch to a team's channel and audits the fields
// it names; ErrNotFound when the team has no such channel.
func (s *Store) UpdateTeamChannel(ctx context.Context, team string, id int64, ch TeamChannelChange, actor string) (TeamChannel, error) {
	var fields []string
	if ch.Name != nil {
		fields = append(fields, "name")
	}
	if ch.Active != nil {
		fields = append(fields, "active")
	}
	if ch.Sealed != nil {
		fields = append(fields, "secret")
	}
	var out TeamChannel
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE team_channels SET name = COALESCE($3, name), active = COALESCE($4, active),
            sealed = COALESCE($5, sealed), hint = CASE WHEN $5::bytea IS NULL THEN hint ELSE $6 END, updated_at = now()
            WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL RETURNING `+teamChannelColumns,
			id, team, ch.Name, ch.Active, ch.Sealed, ch.Hint)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanTeamChannel); err != nil {
			return err
		}
		return auditChannel(ctx, tx, out, "changed", actor, fields)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return TeamChannel{}, fmt.Errorf("store.UpdateTeamChannel(%d): %w", id, err)
	}
	return out, nil
}

// DeleteTeamChannel removes a team's channel (its row stays, marked, for
// the audit trail and its deliveries); ErrNotFound when there is none.
func (s *Store) DeleteTeamChannel(ctx context.Context, team string, id int64, actor string) error {
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE team_channels SET deleted_at = now(), active = false, updated_at = now()
            WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL RETURNING `+teamChannelColumns, id, team)
		if err != nil {
			return err
		}
		c, err := pgx.CollectExactlyOneRow(rows, scanTeamChannel)
		if err != nil {
			return err
		}
		return auditChannel(ctx, tx, c, "deleted", actor, nil)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.DeleteTeamChannel(%d): %w", id, err)
	}
	return nil
}

// TeamChannelChangeEntry is one entry of a channel's audit trail.
type TeamChannelChangeEntry struct {
	ChannelID int64     `json:"channel_id"`
	Action    string    `json:"action"`
	Actor     string    `json:"actor"`
	Fields    []string  `json:"fields"`
	At        time.Time `json:"at"`
}

// TeamChannelChanges returns a team's channel audit trail, oldest first.
func (s *Store) TeamChannelChanges(ctx context.Context, team string) ([]TeamChannelChangeEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT channel_id, action, actor, fields, at FROM team_channel_changes WHERE team_id = $1 ORDER BY id`, team)
	if err != nil {
		return nil, fmt.Errorf("store.TeamChannelChanges(%s): %w", team, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TeamChannelChangeEntry])
	if err != nil {
		return nil, fmt.Errorf("store.TeamChannelChanges(%s): %w", team, err)
	}
	return out, nil
}

// ChatChannelsFor returns the active channels of the team a staff
// notification belongs to: the case's team, else the team of a
// role:R@team recipient, else the recipient's own team.
func (s *Store) ChatChannelsFor(ctx context.Context, caseID, recipient string) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `
WITH team AS (
    SELECT COALESCE(
        (SELECT team_id FROM cases WHERE $1 <> '' AND id = NULLIF($1, '')::uuid),
        NULLIF(substring($2 FROM '^role:[^@]*@(.+)$'), ''),
        (SELECT team_id FROM staff WHERE id = $2)) AS id
)
SELECT c.id FROM team_channels c, team WHERE c.team_id = team.id AND c.active AND c.deleted_at IS NULL ORDER BY c.id`, caseID, recipient)
	if err != nil {
		return nil, fmt.Errorf("store.ChatChannelsFor(%s): %w", caseID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store.ChatChannelsFor(%s): %w", caseID, err)
	}
	return ids, nil
}

// ChatTarget is what a chat delivery is posted to, and what the message
// says of its case.
type ChatTarget struct {
	Kind   string
	Sealed []byte
	// Live is false for a channel deleted or switched off since the
	// delivery was queued.
	Live bool
	// DueAt is the case's resolution deadline (nil: none, or no case).
	DueAt *time.Time
}

// ChatTargetOf returns the channel a chat delivery's address names and its
// case's due time; ErrNotFound for an address that names no channel.
func (s *Store) ChatTargetOf(ctx context.Context, d Delivery) (ChatTarget, error) {
	var t ChatTarget
	id, err := strconv.ParseInt(d.Address, 10, 64)
	if err != nil {
		return t, fmt.Errorf("store.ChatTargetOf(%s): %w", d.Address, ErrNotFound)
	}
	err = s.Pool.QueryRow(ctx, `SELECT kind, sealed, active AND deleted_at IS NULL,
        (SELECT resolve_due_at FROM cases WHERE $2 <> '' AND id = NULLIF($2, '')::uuid)
        FROM team_channels WHERE id = $1`, id, d.CaseID).Scan(&t.Kind, &t.Sealed, &t.Live, &t.DueAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store.ChatTargetOf(%s): %w", d.Address, err)
	}
	return t, nil
}
