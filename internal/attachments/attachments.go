// Package attachments keeps the files customers and staff attach to a
// case as evidence (photos, PDFs, call recordings): it checks each file's
// type by its content, strips image metadata, optionally has clamd scan
// it, enforces the per-file and per-case limits, and stores it through a
// Backend (PostgreSQL by default). A case's workflow never sees a file:
// only its id and SHA-256 digest (complaint.AttachmentRef).
package attachments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/complaint"
)

// Uploader kinds.
const (
	UploaderCustomer = "customer"
	UploaderStaff    = "staff"
	UploaderEmail    = "email"
)

// Scan statuses.
const (
	ScanNotScanned = "not_scanned"
	ScanClean      = "clean"
	ScanInfected   = "infected"
)

// ScanStatuses are the scan statuses an attachment may have.
func ScanStatuses() []string { return []string{ScanNotScanned, ScanClean, ScanInfected} }

// Uploader is who attached a file: the customer (through the tracking
// link or the web form), a staff member (ID is their staff id), or an
// inbound email (ID is the sender's address).
type Uploader struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
}

// Attachment is one stored file's record (its content is in the Backend).
type Attachment struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id"`
	Uploader    Uploader  `json:"uploader"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ScanStatus  string    `json:"scan_status"`
	CreatedAt   time.Time `json:"created_at"`
}

// Ref is what the case's workflow is told of the attachment.
func (a Attachment) Ref() complaint.AttachmentRef {
	return complaint.AttachmentRef{ID: a.ID, SHA256: a.SHA256}
}

// Limits bound what a case may hold.
type Limits struct {
	// MaxBytes is the largest file accepted, after metadata is stripped
	// (the upload itself may be a little larger).
	MaxBytes int64
	// CaseMaxBytes is the most all of a case's files may hold together.
	CaseMaxBytes int64
	// MaxFiles is the most files a case may hold.
	MaxFiles int
}

// DefaultLimits are the limits when none are configured.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 10 << 20, CaseMaxBytes: 50 << 20, MaxFiles: 20}
}

// Backend stores attachments. Put stores a file and its content at once,
// refusing with ErrCaseFull when the case would go over limits (checked
// against the case's other files in the same transaction, so two uploads
// at once cannot both squeeze in); a file already stored under its id
// with the same case and digest is success (a retry), with another case
// or content ErrConflict; Record keeps the record of a file that
// was refused (infected) without its content. Get returns ErrNotFound for
// an id that is not one of caseID's files; Open streams the content.
// Delete removes a file the case's audit trail did not take (see
// Service.Forget).
type Backend interface {
	Put(ctx context.Context, a Attachment, content []byte, l Limits) error
	Record(ctx context.Context, a Attachment) error
	List(ctx context.Context, caseID string) ([]Attachment, error)
	Get(ctx context.Context, caseID, id string) (Attachment, error)
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	Delete(ctx context.Context, caseID, id string) error
}

// Scanner scans content for malware: it returns the signature's name when
// the content is infected ("" when clean), or an error when it could not
// scan.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (string, error)
}

// ErrNotFound is an attachment that does not exist on the case asked about.
var ErrNotFound = errors.New("attachments: not found")

// ErrConflict is an id already taken by another file.
var ErrConflict = errors.New("attachments: the id is another file's")

// ErrCaseFull is a file the case has no room for (Limits).
var ErrCaseFull = errors.New("attachments: the case is full")

// ErrScanUnavailable is a file that could not be scanned: clamd was
// configured but did not answer. The file is refused (not stored
// unscanned); the caller may retry.
var ErrScanUnavailable = errors.New("attachments: the virus scanner is unavailable")

// Refused is a file not accepted, with the HTTP status it deserves (413
// for size, 422 otherwise) and the problem to report at the file's field.
type Refused struct {
	Status  int
	Problem complaint.Problem
}

func (r *Refused) Error() string { return "attachments: refused: " + r.Problem.Message }

// Service checks and stores attachments.
type Service struct {
	backend Backend
	scanner Scanner
	limits  Limits
	logger  *slog.Logger
	now     func() time.Time
}

// NewService is a Service over backend; scanner nil turns scanning off.
func NewService(backend Backend, scanner Scanner, l Limits, logger *slog.Logger) *Service {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.CaseMaxBytes <= 0 {
		l.CaseMaxBytes = d.CaseMaxBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	return &Service{backend: backend, scanner: scanner, limits: l, logger: logger, now: time.Now}
}

// Limits are the service's limits.
func (s *Service) Limits() Limits { return s.limits }

// ReadLimit is how many bytes of an upload are read before it is refused
// as too large: metadata may take a file a little over MaxBytes before it
// is stripped.
func (s *Service) ReadLimit() int64 { return s.limits.MaxBytes + 256<<10 }

// Store checks the file read from r and stores it on caseID: its type by
// content (images, PDF, audio), its size, image metadata stripped, a
// virus scan when a scanner is set, and the case's limits. It returns a
// *Refused for a file not accepted, ErrScanUnavailable when the scanner
// did not answer, or another error when the backend failed. It does not
// tell the case's workflow: the caller does, with Attachment.Ref, and
// calls Forget when the workflow did not take it.
//
// Inbound email calls it with Uploader{Kind: UploaderEmail, ID: sender}.
func (s *Service) Store(ctx context.Context, caseID string, up Uploader, filename string, r io.Reader) (Attachment, error) {
	return s.StoreAs(ctx, uuid.NewString(), caseID, up, filename, r)
}

// StoreAs is Store under a given id: a retried request (the same
// Idempotency-Key) stores each file under the id it had the first time,
// so storing it again finds it stored and changes nothing.
func (s *Service) StoreAs(ctx context.Context, id, caseID string, up Uploader, filename string, r io.Reader) (Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, s.ReadLimit()+1))
	if err != nil {
		return Attachment{}, fmt.Errorf("attachments.Store(%s): read: %w", caseID, err)
	}
	if int64(len(data)) > s.ReadLimit() {
		return Attachment{}, &Refused{http.StatusRequestEntityTooLarge, complaint.FileTooLarge(s.limits.MaxBytes)}
	}
	if len(data) == 0 {
		return Attachment{}, &Refused{http.StatusUnprocessableEntity, complaint.FileEmpty()}
	}
	kind, ok := Detect(data)
	if !ok {
		return Attachment{}, &Refused{http.StatusUnprocessableEntity, complaint.FileTypeNotAllowed(kind.Name)}
	}
	if data, err = StripMetadata(kind.MIME, data); err != nil {
		// A file the walker cannot follow is not what it claims to be.
		return Attachment{}, &Refused{http.StatusUnprocessableEntity, complaint.FileTypeNotAllowed(kind.Name + " (damaged)")}
	}
	if int64(len(data)) > s.limits.MaxBytes {
		return Attachment{}, &Refused{http.StatusRequestEntityTooLarge, complaint.FileTooLarge(s.limits.MaxBytes)}
	}
	sum := sha256.Sum256(data)
	a := Attachment{ID: id, CaseID: caseID, Uploader: up, Filename: DisplayName(filename, kind),
		ContentType: kind.MIME, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), ScanStatus: ScanNotScanned,
		CreatedAt: s.now().UTC()}
	if s.scanner != nil {
		sig, err := s.scanner.Scan(ctx, bytes.NewReader(data))
		if err != nil {
			s.logger.Error("virus scan failed", "case_id", caseID, "err", err)
			return Attachment{}, fmt.Errorf("attachments.Store(%s): %w: %w", caseID, ErrScanUnavailable, err)
		}
		if sig != "" {
			a.ScanStatus = ScanInfected
			a.Size = 0
			s.logger.Warn("infected attachment refused", "case_id", caseID, "attachment_id", a.ID, "signature", sig, "uploader", up.Kind)
			if err := s.backend.Record(ctx, a); err != nil {
				return Attachment{}, fmt.Errorf("attachments.Store(%s): record infected: %w", caseID, err)
			}
			return Attachment{}, &Refused{http.StatusUnprocessableEntity, complaint.FileInfected()}
		}
		a.ScanStatus = ScanClean
	}
	if err := s.backend.Put(ctx, a, data, s.limits); err != nil {
		var full *FullError
		if errors.As(err, &full) {
			if full.Files {
				return Attachment{}, &Refused{http.StatusUnprocessableEntity, complaint.CaseFilesTooMany(s.limits.MaxFiles)}
			}
			return Attachment{}, &Refused{http.StatusRequestEntityTooLarge, complaint.CaseFilesTooLarge(s.limits.CaseMaxBytes)}
		}
		return Attachment{}, fmt.Errorf("attachments.Store(%s): %w", caseID, err)
	}
	return a, nil
}

// FullError is ErrCaseFull saying which limit: the number of files, or
// their bytes in all.
type FullError struct{ Files bool }

func (e *FullError) Error() string { return ErrCaseFull.Error() }

// Unwrap makes errors.Is(err, ErrCaseFull) hold.
func (e *FullError) Unwrap() error { return ErrCaseFull }

// List is a case's files (infected ones, kept as a record, included),
// oldest first.
func (s *Service) List(ctx context.Context, caseID string) ([]Attachment, error) {
	return s.backend.List(ctx, caseID)
}

// Open returns one of caseID's files and its content; ErrNotFound when id
// is not one of caseID's stored files.
func (s *Service) Open(ctx context.Context, caseID, id string) (Attachment, io.ReadCloser, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Attachment{}, nil, ErrNotFound
	}
	a, err := s.backend.Get(ctx, caseID, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	if a.ScanStatus == ScanInfected {
		return Attachment{}, nil, ErrNotFound
	}
	rc, err := s.backend.Open(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	return a, rc, nil
}

// Forget removes files the case's workflow did not take (its update
// failed), so that no file is listed on a case whose audit trail does not
// hold it; the client retries the upload.
func (s *Service) Forget(ctx context.Context, caseID string, as []Attachment) {
	for _, a := range as {
		if err := s.backend.Delete(ctx, caseID, a.ID); err != nil {
			s.logger.Error("forgetting an attachment failed", "case_id", caseID, "attachment_id", a.ID, "err", err)
		}
	}
}
