package complaint

import (
	"strings"
	"time"
)

// Party kinds: the people around a case (seed 000's key persons). The
// customer is the case's own; the people who influence the customer are
// outside parties, with their relation and whether the customer
// authorised them to act; the first receiver, handlers and the person
// with the authority to decide are inside parties, named by staff id.
const (
	PartyCustomer       = "customer"
	PartyRelative       = "relative"
	PartyFriend         = "friend"
	PartyRepresentative = "representative"
	PartyLawyer         = "lawyer"
	PartyFirstReceiver  = "first_receiver"
	PartyHandler        = "handler"
	PartyDecider        = "decider"
)

// PartyKinds returns every party kind, the customer first (a new slice
// each call).
func PartyKinds() []string {
	return []string{PartyCustomer, PartyRelative, PartyFriend, PartyRepresentative, PartyLawyer,
		PartyFirstReceiver, PartyHandler, PartyDecider}
}

// AddablePartyKinds are the kinds staff add to a case: all but the
// customer, whom the case records at receipt.
func AddablePartyKinds() []string { return PartyKinds()[1:] }

// InsideParty says whether a party of this kind is one of our staff.
func InsideParty(kind string) bool {
	return kind == PartyFirstReceiver || kind == PartyHandler || kind == PartyDecider
}

// Party is one person around a case. Name, phone and email of an outside
// party are personal data, masked like the customer's.
type Party struct {
	ID         int64     `json:"id"`
	CaseID     string    `json:"case_id"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Relation   string    `json:"relation,omitempty"`
	Authorised bool      `json:"authorised"`
	Phone      string    `json:"phone,omitempty"`
	Email      string    `json:"email,omitempty"`
	StaffID    string    `json:"staff_id,omitempty"`
	Note       string    `json:"note,omitempty"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PartyRequest adds or updates a party.
type PartyRequest struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Relation   string `json:"relation"`
	Authorised bool   `json:"authorised"`
	Phone      string `json:"phone"`
	Email      string `json:"email"`
	StaffID    string `json:"staff_id"`
	Note       string `json:"note"`
}

// Validate names every bad field: the kind; an inside party's staff id
// (the name is then the staff member's own); an outside party's name,
// and a phone or email that can be used; authorisation only for an
// outside party.
func (r PartyRequest) Validate() error {
	var errs Fields
	if !contains(AddablePartyKinds(), r.Kind) {
		errs.Add("kind", OneOf(AddablePartyKinds()...))
	}
	inside := InsideParty(r.Kind)
	if inside {
		if strings.TrimSpace(r.StaffID) == "" {
			errs.Add("staff_id", NewProblem(CodeStaffRequired, "name the staff member (staff_id) for a party inside the company"))
		}
		errs.Text("staff_id", r.StaffID, 200, SingleLine)
		errs.Text("name", r.Name, 200, SingleLine)
		if r.Authorised {
			errs.Add("authorised", NewProblem(CodeOutsideOnly, "only a person outside the company is authorised by the customer"))
		}
	} else if r.Kind != "" {
		errs.Required("name", r.Name, 200, SingleLine)
		if r.StaffID != "" {
			errs.Add("staff_id", NewProblem(CodeOutsideOnly, "a person outside the company has no staff id"))
		}
	}
	errs.Text("relation", r.Relation, 100, SingleLine)
	errs.Text("phone", r.Phone, 40, SingleLine)
	errs.Text("email", r.Email, 254, SingleLine)
	errs.Text("note", r.Note, 1000, FreeText)
	if r.Email != "" && !plainEmail(r.Email) {
		errs.Add("email", NewProblem(CodeInvalidEmail, "is not a valid email address"))
	}
	if r.Phone != "" && strings.Trim(r.Phone, "+0123456789 -()") != "" {
		errs.Add("phone", NewProblem(CodeInvalidPhone, "may contain only digits, spaces, + - ( )"))
	}
	return errs.Err()
}

// Call outcomes of a logged call.
const (
	CallReached  = "reached"
	CallNoAnswer = "no_answer"
	CallBack     = "call_back"
)

// CallOutcomes returns the outcomes of a logged call.
func CallOutcomes() []string { return []string{CallReached, CallNoAnswer, CallBack} }

// MaxCallback is how far ahead a callback may be scheduled.
const MaxCallback = 30 * 24 * time.Hour

// CallRequest logs a call staff made to (or took from) the customer: its
// outcome, a note, and for call_back the time agreed to call again.
type CallRequest struct {
	Actor      Actor      `json:"actor"`
	Outcome    string     `json:"outcome"`
	CallbackAt *time.Time `json:"callback_at,omitempty"`
	Note       string     `json:"note"`
}

// Validate names every bad field; now is the time of the request.
func (r CallRequest) Validate(now time.Time) error {
	var errs Fields
	if !contains(CallOutcomes(), r.Outcome) {
		errs.Add("outcome", OneOf(CallOutcomes()...))
	}
	switch {
	case r.Outcome == CallBack && r.CallbackAt == nil:
		errs.Add("callback_at", NewProblem(CodeCallbackRequired, "give the time to call back"))
	case r.Outcome != CallBack && r.CallbackAt != nil:
		errs.Add("callback_at", NewProblem(CodeCallbackNotAllowed, "a callback time goes only with the outcome call_back"))
	case r.CallbackAt != nil && !r.CallbackAt.After(now):
		errs.Add("callback_at", NewProblem(CodeInPast, "must be in the future"))
	case r.CallbackAt != nil && r.CallbackAt.Sub(now) > MaxCallback:
		errs.Add("callback_at", OutOfRange(0, int(MaxCallback/(24*time.Hour))).Prefixed("days ahead: "))
	}
	errs.Text("note", r.Note, MaxText, FreeText)
	return errs.Err()
}

// Callback is a call promised to the customer; the workflow reminds the
// handler at its time.
type Callback struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
	Done   bool      `json:"done,omitempty"`
	Remind time.Time `json:"remind,omitempty"`
}

// MergeRequest merges this case into another open case of the same
// customer (a supervisor's decision): this case ends as merged.
type MergeRequest struct {
	Actor      Actor  `json:"actor"`
	Into       string `json:"into"`
	IntoNumber string `json:"into_number"`
	Reason     string `json:"reason"`
}

// Validate names every bad field; self is the case's own id.
func (r MergeRequest) Validate(self string) error {
	var errs Fields
	errs.Required("into", r.Into, 100, SingleLine)
	if r.Into != "" && r.Into == self {
		errs.Add("into", NewProblem(CodeSameCase, "a case cannot be merged into itself"))
	}
	errs.Required("reason", r.Reason, 1000, FreeText)
	return errs.Err()
}

// AbsorbRequest records on the continuing case that another case was
// merged into it.
type AbsorbRequest struct {
	Actor      Actor  `json:"actor"`
	From       string `json:"from"`
	FromNumber string `json:"from_number"`
	Reason     string `json:"reason"`
}

// SplitRequest makes a repeat contact folded into this case by mistake a
// case of its own, NewCaseID.
type SplitRequest struct {
	Actor      Actor  `json:"actor"`
	ContactSeq int    `json:"contact_seq"`
	NewCaseID  string `json:"new_case_id"`
	Reason     string `json:"reason"`
	// Description is what the new case is about, in staff's words (the
	// contact's subject when empty).
	Description string `json:"description,omitempty"`
}

// Validate names every bad field.
func (r SplitRequest) Validate() error {
	var errs Fields
	if r.ContactSeq <= 0 {
		errs.Add("contact_seq", Required())
	}
	errs.Required("new_case_id", r.NewCaseID, 100, SingleLine)
	errs.Required("reason", r.Reason, 1000, FreeText)
	errs.Text("description", r.Description, MaxDescription, FreeText)
	return errs.Err()
}

// PartyDecision adds (No 0), updates or removes (Op) a party of a case.
type PartyDecision struct {
	Actor Actor        `json:"actor"`
	Op    string       `json:"op"`
	No    int          `json:"no,omitempty"`
	Party PartyRequest `json:"party"`
}

// plainEmail says s is a bare address, local@domain.tld, without spaces,
// brackets or a display name. It is checked by hand rather than with
// net/mail because the workflow's validators call it, and net/mail's
// parser may log (workflowcheck counts that as non-deterministic).
func plainEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(s, " \t<>()[],;:\"") || strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndex(domain, ".")
	return dot > 0 && dot < len(domain)-1 && !strings.Contains(domain, "..")
}
