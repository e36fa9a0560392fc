package workflows

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Requests carried by the workflow's updates. Staff requests carry the
// Actor the API took from the verified token.

// AssignRequest assigns the case to a staff member.
type AssignRequest struct {
	Actor    Actor  `json:"actor"`
	Assignee string `json:"assignee"`
}

// TransferRequest hands the case to another handler or team, with a reason.
type TransferRequest struct {
	Actor    Actor  `json:"actor"`
	Assignee string `json:"assignee,omitempty"`
	Team     string `json:"team,omitempty"`
	Reason   string `json:"reason"`
}

// NoteRequest adds a handler's note.
type NoteRequest struct {
	Actor Actor  `json:"actor"`
	Text  string `json:"text"`
}

// InfoRequest asks the customer a question; the case waits for the answer.
type InfoRequest struct {
	Actor    Actor  `json:"actor"`
	Question string `json:"question"`
}

// EscalateRequest moves the case one level up.
type EscalateRequest struct {
	Actor  Actor  `json:"actor"`
	Reason string `json:"reason"`
}

// ClassificationRequest overrides category and severity.
type ClassificationRequest struct {
	Actor    Actor  `json:"actor"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Reason   string `json:"reason"`
}

// FindingsRequest records the investigation's findings.
type FindingsRequest struct {
	Actor    Actor    `json:"actor"`
	Findings Findings `json:"findings"`
}

// ProposalRequest proposes remedies, or a reasoned refusal.
type ProposalRequest struct {
	Actor         Actor    `json:"actor"`
	Remedies      []Remedy `json:"remedies,omitempty"`
	RefusalReason string   `json:"refusal_reason,omitempty"`
	Message       string   `json:"message"`
}

// ApprovalRequest approves or rejects the pending proposal.
type ApprovalRequest struct {
	Actor    Actor  `json:"actor"`
	Decision string `json:"decision"`
	Comment  string `json:"comment,omitempty"`
}

// CustomerResponse is the customer's answer to the resolution.
type CustomerResponse struct {
	Decision string `json:"decision"`
	Comment  string `json:"comment,omitempty"`
}

// CustomerInfo answers a request for information.
type CustomerInfo struct {
	Answer string `json:"answer"`
}

// WithdrawRequest withdraws the complaint.
type WithdrawRequest struct {
	Reason string `json:"reason,omitempty"`
}

// SurveyAnswer answers the follow-up survey.
type SurveyAnswer struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
}

// Error kinds that validators return, so the API can map them to HTTP
// statuses in one place: ErrInvalid 422, ErrWrongState 409, ErrAuthority
// and ErrSelfApproval 403. The message after the kind is the reason shown
// to the caller.
var (
	ErrInvalid    = errors.New("invalid")
	ErrWrongState = errors.New("wrong state")
)

// FieldError names the bad field of a request.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, msg string) error {
	return fmt.Errorf("%w: %w", ErrInvalid, FieldError{Field: field, Message: msg})
}

func wrongState(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrWrongState, fmt.Sprintf(format, args...))
}

// MaxText is the longest free text a request may carry.
const MaxText = 4000

func requireText(field, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return invalid(field, "is required")
	}
	if !utf8.ValidString(v) {
		return invalid(field, "must be valid UTF-8")
	}
	if utf8.RuneCountInString(v) > max {
		return invalid(field, fmt.Sprintf("must be at most %d characters", max))
	}
	return nil
}

func optionalText(field, v string, max int) error {
	if v == "" {
		return nil
	}
	return requireText(field, v, max)
}

// RemedyTypes lists the valid remedy types: the types of RemedyKinds.
var RemedyTypes = []string{RemedyRefund, RemedyReplacement, RemedyRepair, RemedyVoucher, RemedyGoodwill, RemedyApology, RemedyExplanation}

// MaxAmount is the largest single remedy amount accepted (100,000,000.00).
const MaxAmount = 100_000_000_00

// ValidateProposal checks a proposal request's content (not its state).
func ValidateProposal(r ProposalRequest) error {
	if err := requireText("message", r.Message, MaxText); err != nil {
		return err
	}
	if r.RefusalReason != "" {
		if len(r.Remedies) > 0 {
			return invalid("remedies", "a refusal has no remedies")
		}
		return requireText("refusal_reason", r.RefusalReason, MaxText)
	}
	if len(r.Remedies) == 0 {
		return invalid("remedies", "propose at least one remedy, or a refusal_reason")
	}
	if len(r.Remedies) > 20 {
		return invalid("remedies", "at most 20 remedies")
	}
	for i, rem := range r.Remedies {
		f := fmt.Sprintf("remedies[%d]", i)
		if !contains(RemedyTypes, rem.Type) {
			return invalid(f+".type", "must be one of "+strings.Join(RemedyTypes, ", "))
		}
		if rem.Amount < 0 {
			return invalid(f+".amount", "must not be negative")
		}
		if rem.Amount > MaxAmount {
			return invalid(f+".amount", "is too large")
		}
		switch k, _ := KindOf(rem.Type); k.Amount {
		case AmountRequired:
			if rem.Amount == 0 {
				return invalid(f+".amount", "is required for a "+rem.Type)
			}
		case AmountNone:
			if rem.Amount != 0 {
				return invalid(f+".amount", "an "+rem.Type+" carries no amount")
			}
		}
		if rem.Amount > 0 && !validCurrency(rem.Currency) {
			return invalid(f+".currency", "must be a three-letter ISO 4217 code such as CNY")
		}
		if err := optionalText(f+".note", rem.Note, 1000); err != nil {
			return err
		}
	}
	if _, _, err := Total(r.Remedies); err != nil {
		return invalid("remedies", err.Error())
	}
	return nil
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// ValidateFindings checks findings' content.
func ValidateFindings(f Findings) error {
	if err := requireText("cause", f.Cause, 100); err != nil {
		return err
	}
	if err := requireText("cause_detail", f.CauseDetail, 200); err != nil {
		return err
	}
	if !strings.HasPrefix(f.CauseDetail, f.Cause+".") {
		return invalid("cause_detail", "must refine cause (e.g. cause claims.slow, cause_detail claims.slow.missing_documents)")
	}
	switch f.Responsibility {
	case "company":
		if strings.TrimSpace(f.ResponsibleUnit) == "" {
			return invalid("responsible_unit", "is required when the company is responsible")
		}
	case "customer", "third_party":
	default:
		return invalid("responsibility", "must be one of company, customer, third_party")
	}
	if err := optionalText("responsible_unit", f.ResponsibleUnit, 200); err != nil {
		return err
	}
	if err := optionalText("responsible_person", f.ResponsiblePerson, 200); err != nil {
		return err
	}
	return requireText("summary", f.Summary, MaxText)
}

// ExtensionRequest asks to extend one of the case's clocks by the next
// step its profile allows.
type ExtensionRequest struct {
	Actor  Actor  `json:"actor"`
	Clock  string `json:"clock"`
	Reason string `json:"reason"`
}

// ExtensionDecision grants or refuses a pending extension request.
type ExtensionDecision struct {
	Actor    Actor  `json:"actor"`
	Clock    string `json:"clock"`
	Decision string `json:"decision"`
	Comment  string `json:"comment,omitempty"`
}
