package attachments

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Backend on the application's PostgreSQL (migration
// 00021): records in attachments, bytes in attachment_contents, read back
// in slices so a download never holds a whole file in memory.
type Postgres struct {
	Pool *pgxpool.Pool
	// SliceBytes is the size of the slices downloads read (1 MiB when 0).
	SliceBytes int
}

const attachmentColumns = `id::text, case_id::text, uploader_kind, uploader_id, filename, content_type, size_bytes, sha256, scan_status, created_at`

// Put stores a and its content, unless the case's stored files (infected
// records aside) would then go over l; a per-case advisory lock makes
// concurrent uploads to one case take their turn.
func (p Postgres) Put(ctx context.Context, a Attachment, content []byte, l Limits) error {
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('attachments:' || $1, 0))`, a.CaseID); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var caseID string
		var sum []byte
		err := tx.QueryRow(ctx, `SELECT case_id::text, sha256 FROM attachments WHERE id = $1`, a.ID).Scan(&caseID, &sum)
		switch {
		case err == nil && caseID == a.CaseID && hex.EncodeToString(sum) == a.SHA256:
			return nil // stored by the first try of this request
		case err == nil:
			return ErrConflict
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("existing: %w", err)
		}
		var files int
		var bytes int64
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(size_bytes), 0) FROM attachments
            WHERE case_id = $1 AND scan_status <> 'infected'`, a.CaseID).Scan(&files, &bytes); err != nil {
			return fmt.Errorf("usage: %w", err)
		}
		if files+1 > l.MaxFiles {
			return &FullError{Files: true}
		}
		if bytes+a.Size > l.CaseMaxBytes {
			return &FullError{}
		}
		if err := insertAttachment(ctx, tx, a); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attachment_contents (attachment_id, content) VALUES ($1, $2)`, a.ID, content); err != nil {
			return fmt.Errorf("insert content: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("attachments.Postgres.Put(%s/%s): %w", a.CaseID, a.ID, err)
	}
	return nil
}

// Record stores a's record without content.
func (p Postgres) Record(ctx context.Context, a Attachment) error {
	if err := insertAttachment(ctx, p.Pool, a); err != nil {
		return fmt.Errorf("attachments.Postgres.Record(%s/%s): %w", a.CaseID, a.ID, err)
	}
	return nil
}

// execer is what a pool and a transaction share.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insertAttachment(ctx context.Context, db execer, a Attachment) error {
	sum, err := hex.DecodeString(a.SHA256)
	if err != nil {
		return fmt.Errorf("sha256: %w", err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO attachments (id, case_id, uploader_kind, uploader_id, filename, content_type, size_bytes, sha256, scan_status, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.CaseID, a.Uploader.Kind, a.Uploader.ID, a.Filename, a.ContentType, a.Size, sum, a.ScanStatus, a.CreatedAt); err != nil {
		return fmt.Errorf("insert attachment: %w", err)
	}
	return nil
}

func scanAttachment(row pgx.Row) (Attachment, error) {
	var a Attachment
	var sum []byte
	err := row.Scan(&a.ID, &a.CaseID, &a.Uploader.Kind, &a.Uploader.ID, &a.Filename, &a.ContentType, &a.Size, &sum, &a.ScanStatus, &a.CreatedAt)
	a.SHA256 = hex.EncodeToString(sum)
	return a, err
}

// List is the case's attachments, oldest first.
func (p Postgres) List(ctx context.Context, caseID string) ([]Attachment, error) {
	rows, err := p.Pool.Query(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE case_id = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("attachments.Postgres.List(%s): %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attachment, error) { return scanAttachment(r) })
	if err != nil {
		return nil, fmt.Errorf("attachments.Postgres.List(%s): %w", caseID, err)
	}
	return out, nil
}

// Get is attachment id of case caseID: ErrNotFound when there is none, or
// when it belongs to another case.
func (p Postgres) Get(ctx context.Context, caseID, id string) (Attachment, error) {
	a, err := scanAttachment(p.Pool.QueryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = $1 AND case_id = $2`, id, caseID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Attachment{}, fmt.Errorf("attachments.Postgres.Get(%s/%s): %w", caseID, id, ErrNotFound)
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("attachments.Postgres.Get(%s/%s): %w", caseID, id, err)
	}
	return a, nil
}

// Delete removes attachment id of caseID and its content.
func (p Postgres) Delete(ctx context.Context, caseID, id string) error {
	if _, err := p.Pool.Exec(ctx, `DELETE FROM attachments WHERE id = $1 AND case_id = $2`, id, caseID); err != nil {
		return fmt.Errorf("attachments.Postgres.Delete(%s/%s): %w", caseID, id, err)
	}
	return nil
}

// Open streams attachment id's content, a slice per query.
func (p Postgres) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	var size int64
	err := p.Pool.QueryRow(ctx, `SELECT octet_length(content) FROM attachment_contents WHERE attachment_id = $1`, id).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("attachments.Postgres.Open(%s): %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("attachments.Postgres.Open(%s): %w", id, err)
	}
	slice := p.SliceBytes
	if slice <= 0 {
		slice = 1 << 20
	}
	return &sliceReader{ctx: ctx, pool: p.Pool, id: id, size: size, slice: int64(slice)}, nil
}

// sliceReader reads a bytea column in slices (substring on a column
// stored EXTERNAL reads only the slice's pages).
type sliceReader struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	id    string
	size  int64
	off   int64
	slice int64
	buf   []byte
}

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		n := min(r.slice, r.size-r.off)
		if err := r.pool.QueryRow(r.ctx, `SELECT substring(content FROM $2 FOR $3) FROM attachment_contents WHERE attachment_id = $1`,
			r.id, r.off+1, n).Scan(&r.buf); err != nil {
			return 0, fmt.Errorf("attachments: read %s at %d: %w", r.id, r.off, err)
		}
		if len(r.buf) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		r.off += int64(len(r.buf))
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *sliceReader) Close() error { return nil }
