package complaint

import (
	"fmt"
	"regexp"
)

// AttachmentRef is what a case's workflow knows of a file attached to it:
// its id and the SHA-256 digest of its stored content, never the content
// nor its name (the file itself stays in the attachments store).
type AttachmentRef struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
}

// AttachmentsAdded records files attached to an open case outside an
// answer to a question: by staff (Actor set) or by the customer through
// the tracking link (Actor empty).
type AttachmentsAdded struct {
	Actor       Actor           `json:"actor"`
	Attachments []AttachmentRef `json:"attachments"`
}

// MaxAttachmentsPerRequest is the most files one request may attach.
const MaxAttachmentsPerRequest = 10

// Problem codes of attached files.
const (
	CodeFileTypeNotAllowed = "file_type_not_allowed"
	CodeFileTooLarge       = "file_too_large"
	CodeCaseFilesTooLarge  = "case_files_too_large"
	CodeFileEmpty          = "file_empty"
	CodeFileInfected       = "file_infected"
)

var (
	uuidPattern   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidateAttachmentRefs checks refs under field (at most
// MaxAttachmentsPerRequest, each a lower-case UUID and a hex SHA-256, no
// id twice); required says whether at least one is needed.
func ValidateAttachmentRefs(field string, refs []AttachmentRef, required bool) error {
	var errs Fields
	if required && len(refs) == 0 {
		errs.Add(field, Required())
	}
	if len(refs) > MaxAttachmentsPerRequest {
		errs.Add(field, NewProblem(CodeTooMany, fmt.Sprintf("at most %d files", MaxAttachmentsPerRequest), "max", MaxAttachmentsPerRequest))
	}
	seen := map[string]bool{}
	for i, r := range refs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !uuidPattern.MatchString(r.ID) {
			errs.Add(f+".id", NewProblem(CodeInvalid, "must be an attachment id"))
		} else if seen[r.ID] {
			errs.Add(f+".id", NewProblem(CodeDuplicate, "is listed twice", "value", r.ID))
		}
		seen[r.ID] = true
		if !sha256Pattern.MatchString(r.SHA256) {
			errs.Add(f+".sha256", NewProblem(CodeInvalid, "must be a hex SHA-256 digest"))
		}
	}
	return errs.Err()
}

// AttachmentPayload is the audit event's record of refs.
func AttachmentPayload(refs []AttachmentRef) []map[string]any {
	out := make([]map[string]any, 0, len(refs))
	for _, r := range refs {
		out = append(out, map[string]any{"id": r.ID, "sha256": r.SHA256})
	}
	return out
}

// FileTypeNotAllowed is a file whose content is of a type not accepted
// (detected is the type its content shows, allowed the kinds accepted).
func FileTypeNotAllowed(detected string) Problem {
	return NewProblem(CodeFileTypeNotAllowed, fmt.Sprintf("is %s; only images (JPEG, PNG, WebP, HEIC), PDF and audio (MP3, M4A/AAC, WAV, AMR) are accepted", detected),
		"type", detected)
}

// FileTooLarge is a file over max bytes.
func FileTooLarge(max int64) Problem {
	return NewProblem(CodeFileTooLarge, fmt.Sprintf("must be at most %d bytes", max), "max_bytes", max)
}

// CaseFilesTooLarge is a file that would take a case's files over max
// bytes in all.
func CaseFilesTooLarge(max int64) Problem {
	return NewProblem(CodeCaseFilesTooLarge, fmt.Sprintf("would take the case's files over %d bytes in all", max), "max_bytes", max)
}

// CaseFilesTooMany is a file beyond the max files a case may hold.
func CaseFilesTooMany(max int) Problem {
	return NewProblem(CodeTooMany, fmt.Sprintf("the case already holds its %d files", max), "max", max)
}

// FileEmpty is a file with no content.
func FileEmpty() Problem { return NewProblem(CodeFileEmpty, "is empty") }

// FileInfected is a file the virus scanner found infected.
func FileInfected() Problem {
	return NewProblem(CodeFileInfected, "was found to carry malware and was not stored")
}
