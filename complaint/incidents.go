package complaint

import (
	"strings"
	"time"
)

// IncidentResolution is one resolution for every case of an incident: the
// root cause found and the remedies each customer is offered.
type IncidentResolution struct {
	Findings   Findings  `json:"findings"`
	Remedies   []Remedy  `json:"remedies"`
	Message    string    `json:"message"`
	ProposedBy Actor     `json:"proposed_by"`
	ProposedAt time.Time `json:"proposed_at"`
}

// CaseResolution is how the resolution went for one case: resolved (its
// remedies approved; the case then runs its own execution, confirmation
// and survey), awaiting_approval (above the four-eyes threshold it waits
// for a second approver), or skipped, with the case workflow's reason.
type CaseResolution struct {
	CaseID     string `json:"case_id"`
	CaseNumber string `json:"case_number"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
}

// ValidateIncidentResolution checks a proposed incident resolution with the
// checks every linked case's workflow makes (findings, proposal, and the
// currencies m accepts), so a bad resolution is refused when it is
// proposed, with every bad field named, not case by case later. It
// returns FieldErrors (ErrInvalid), or nil.
func ValidateIncidentResolution(m AuthorityMatrix, r IncidentResolution) error {
	return JoinFieldErrors(ValidateFindings(r.Findings),
		ValidateProposal(ProposalRequest{Actor: r.ProposedBy, Remedies: r.Remedies, Message: r.Message}),
		m.CheckCurrencies(r.Remedies))
}

// Decisions on an incident's resolution, and the resolution statuses they
// lead to.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"

	ResolutionApproved = "approved"
	ResolutionRejected = "rejected"
)

// DecideIncidentResolution decides an approver's decision ("approve" or
// "reject", a rejection with a comment saying why) on an incident's
// proposed resolution r under the authority matrix m, and returns the
// resolution's new status (ResolutionApproved or ResolutionRejected).
// Either decision needs someone other than the proposer (four eyes) whose
// role covers the total of the remedies; each linked case's workflow
// checks its own proposal again when the resolution reaches it (and waits
// there for a second approver above the four-eyes threshold).
//
// Errors, the first found in this order: FieldErrors (ErrInvalid) on
// "remedies" when no role may approve the remedies' total (or they mix
// currencies), on "decision" when it is neither approve nor reject, on
// "comment" when a rejection gives no reason; then ErrSelfApproval when
// approver proposed it, or ErrAuthority (wrapped, with the reason) when
// approver's role does not cover it.
func DecideIncidentResolution(m AuthorityMatrix, r IncidentResolution, decision, comment string, approver Actor) (string, error) {
	p := Proposal{Remedies: r.Remedies, ProposedBy: r.ProposedBy.ID, Message: r.Message}
	req, err := m.Require(p)
	if err != nil {
		return "", Invalid("remedies", ProblemOf(err))
	}
	p.Required = req
	switch {
	case decision != DecisionApprove && decision != DecisionReject:
		return "", Invalid("decision", OneOfSaying("must be approve or reject", DecisionApprove, DecisionReject))
	case decision == DecisionReject && strings.TrimSpace(comment) == "":
		return "", Invalid("comment", ReasonRequired("a rejection needs a comment saying why"))
	}
	if err := m.CanApprove(p, approver); err != nil {
		return "", err
	}
	if decision == DecisionApprove {
		return ResolutionApproved, nil
	}
	return ResolutionRejected, nil
}
