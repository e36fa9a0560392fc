package complaint

import (
	"fmt"
	"strings"
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
	// Script is the response script the question was written from.
	Script *ScriptUse `json:"script,omitempty"`
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
	// Script is the response script the message was written from.
	Script *ScriptUse `json:"script,omitempty"`
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
	// Attachments are the files sent with the answer, by id and digest
	// (absent in answers recorded before attachments existed).
	Attachments []AttachmentRef `json:"attachments,omitempty"`
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

// MaxText is the longest free text a request may carry.
const MaxText = 4000

// RequireText checks a free-text field that must not be blank (see
// CheckText).
// RequireText checks a free-text field that must not be blank.
func RequireText(field, v string, max int) error {
	if p, bad := RequiredTextProblem(v, max, FreeText); bad {
		return invalid(field, p)
	}
	return nil
}

// optionalText checks a free-text field that may be empty.
// OptionalText checks a free-text field that may be empty.
func OptionalText(field, v string, max int) error {
	if p, bad := TextProblem(v, max, FreeText); bad {
		return invalid(field, p)
	}
	return nil
}

// MaxDescription is the longest description accepted, in characters. Real
// complaints run long: the 2019 CFPB sample holds a narrative of 21,928
// characters. 32,000 Chinese characters are about 96 KB of UTF-8.
const MaxDescription = 32000

// ValidateComplaintText checks every text field of a complaint with
// CheckText and reports every bad one; the API checks the rest (channel,
// email, phone, profile...).
func ValidateComplaintText(c Complaint) error {
	var errs Fields
	errs.Required("customer.id", c.Customer.ID, 100, SingleLine)
	errs.Required("customer.name", c.Customer.Name, 200, SingleLine)
	errs.Text("customer.phone", c.Customer.Phone, 40, SingleLine)
	errs.Text("customer.email", c.Customer.Email, 254, SingleLine)
	errs.Required("subject", c.Subject, 200, FreeText)
	errs.Required("description", c.Description, MaxDescription, FreeText)
	errs.Text("desired_remedy", c.DesiredRemedy, 2000, FreeText)
	errs.Text("order_ref", c.OrderRef, 100, SingleLine)
	errs.Text("product", c.Product, 200, SingleLine)
	errs.Text("region", c.Region, 100, SingleLine)
	errs.Text("branch", c.Branch, 100, SingleLine)
	return errs.Err()
}

// MaxAmount is the largest single remedy amount accepted (100,000,000.00).
const MaxAmount = 100_000_000_00

// ValidateProposal checks a proposal request's content (not its state)
// and reports every bad field.
func ValidateProposal(r ProposalRequest) error {
	var errs Fields
	errs.Required("message", r.Message, MaxText, FreeText)
	if r.RefusalReason != "" {
		if len(r.Remedies) > 0 {
			errs.add("remedies", NewProblem(CodeRefusalWithRemedies, "a refusal has no remedies"))
		}
		errs.Required("refusal_reason", r.RefusalReason, MaxText, FreeText)
		return errs.Err()
	}
	if len(r.Remedies) == 0 {
		errs.add("remedies", NewProblem(CodeRemedyOrRefusal, "propose at least one remedy, or a refusal_reason"))
	}
	if len(r.Remedies) > 20 {
		errs.add("remedies", NewProblem(CodeTooMany, "at most 20 remedies", "max", 20))
		return errs.err()
	}
	ok := true
	for i, rem := range r.Remedies {
		n := len(errs.list)
		f := fmt.Sprintf("remedies[%d]", i)
		if !contains(RemedyTypes(), rem.Type) {
			errs.add(f+".type", OneOf(RemedyTypes()...))
		}
		switch {
		case rem.Amount < 0:
			errs.add(f+".amount", NewProblem(CodeNegative, "must not be negative"))
		case rem.Amount > MaxAmount:
			errs.add(f+".amount", NewProblem(CodeTooLarge, "is too large"))
		}
		switch k, _ := KindOf(rem.Type); k.Amount {
		case AmountRequired:
			if rem.Amount == 0 {
				errs.add(f+".amount", NewProblem(CodeAmountRequired, "is required for a "+rem.Type, "remedy", rem.Type))
			}
		case AmountNone:
			if rem.Amount != 0 {
				errs.add(f+".amount", NewProblem(CodeAmountNotAllowed, "an "+rem.Type+" carries no amount", "remedy", rem.Type))
			}
		}
		if rem.Amount > 0 && !validCurrency(rem.Currency) {
			errs.add(f+".currency", NewProblem(CodeNotACurrency, "must be an ISO 4217 currency code such as CNY"))
		}
		errs.Text(f+".note", rem.Note, 1000, FreeText)
		ok = ok && len(errs.list) == n
	}
	if ok && len(r.Remedies) > 0 {
		if _, _, err := Total(r.Remedies); err != nil {
			errs.add("remedies", ProblemOf(err))
		}
	}
	return errs.Err()
}

// validCurrency accepts the codes of the ISO 4217 table (currency.go);
// which of them a case accepts is its authority matrix's to say.
func validCurrency(c string) bool {
	_, ok := MinorUnits(c)
	return ok
}

// Who is responsible for what the customer complains of, as findings say.
const (
	ResponsibilityCompany    = "company"
	ResponsibilityCustomer   = "customer"
	ResponsibilityThirdParty = "third_party"
)

// Responsibilities returns every value findings' responsibility may take.
func Responsibilities() []string {
	return []string{ResponsibilityCompany, ResponsibilityCustomer, ResponsibilityThirdParty}
}

// ValidateFindings checks findings' content and reports every bad field.
func ValidateFindings(f Findings) error {
	var errs Fields
	errs.Required("cause", f.Cause, 100, SingleLine)
	n := len(errs.list)
	errs.Required("cause_detail", f.CauseDetail, 200, SingleLine)
	if len(errs.list) == n && !strings.HasPrefix(f.CauseDetail, f.Cause+".") {
		errs.add("cause_detail", NewProblem(CodeMustRefineCause, "must refine cause (e.g. cause claims.slow, cause_detail claims.slow.missing_documents)"))
	}
	switch f.Responsibility {
	case ResponsibilityCompany:
		if strings.TrimSpace(f.ResponsibleUnit) == "" {
			errs.add("responsible_unit", RequiredBecause(" when the company is responsible"))
		}
	case ResponsibilityCustomer, ResponsibilityThirdParty:
	default:
		errs.add("responsibility", OneOf(Responsibilities()...))
	}
	errs.Text("responsible_unit", f.ResponsibleUnit, 200, SingleLine)
	errs.Text("responsible_person", f.ResponsiblePerson, 200, SingleLine)
	errs.Required("summary", f.Summary, MaxText, FreeText)
	return errs.Err()
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

// FulfilmentRequest moves one fulfilment (a replacement or repair of the
// approved proposal) to shipped, done or failed.
type FulfilmentRequest struct {
	Actor    Actor  `json:"actor"`
	RemedyID string `json:"remedy_id"`
	State    string `json:"state"`
	Note     string `json:"note,omitempty"`
}

// ValidateDecision checks an approve-or-reject decision's content: a
// rejection says why. Every bad field is reported.
func ValidateDecision(decision, comment string) error {
	return DecisionErrors(decision, comment, "approve", "a rejection needs a comment saying why")
}

// DecisionErrors checks a decision between accept (approve) and reject,
// whose rejection must say why in comment, and reports every bad field.
func DecisionErrors(decision, comment, accept, why string) error {
	var errs Fields
	if decision != accept && decision != "reject" {
		errs.Add("decision", OneOfSaying("must be "+accept+" or reject", accept, "reject"))
	}
	if decision == "reject" && strings.TrimSpace(comment) == "" {
		errs.Add("comment", ReasonRequired(why))
	} else {
		errs.Text("comment", comment, MaxText, FreeText)
	}
	return errs.Err()
}
