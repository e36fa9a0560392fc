package complaint

import "time"

// Case statuses, as the API shows them.
const (
	StatusReceived         = "received"
	StatusAcknowledged     = "acknowledged"
	StatusInvestigating    = "investigating"
	StatusAwaitingInfo     = "awaiting_info"
	StatusAwaitingApproval = "awaiting_approval"
	StatusExecuting        = "executing"
	// StatusFulfilling: the remedies are done except goods or work
	// (replacement, repair) that staff are delivering (workflows.VersionRemedies).
	StatusFulfilling       = "fulfilling"
	StatusAwaitingCustomer = "awaiting_customer"
	StatusClosed           = "closed"
	StatusWithdrawn        = "withdrawn"
	// StatusMerged ends a case a supervisor merged into another open case
	// of the same customer; it continues as that case (State.MergedInto).
	StatusMerged = "merged"
)

// Survey statuses of a closed case.
const (
	SurveyScheduled = "scheduled"
	SurveySent      = "sent"
	SurveyAnswered  = "answered"
	SurveyExpired   = "expired"
)

// Customer is who complains. Name, phone and email are personal data: they
// never appear in logs, metrics labels or search attributes.
type Customer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// Complaint is what the customer tells us at receipt.
type Complaint struct {
	CaseID         string    `json:"case_id"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Customer       Customer  `json:"customer"`
	Channel        string    `json:"channel"`
	Subject        string    `json:"subject"`
	Description    string    `json:"description"`
	DesiredRemedy  string    `json:"desired_remedy"`
	OrderRef       string    `json:"order_ref,omitempty"`
	Product        string    `json:"product,omitempty"`
	Region         string    `json:"region,omitempty"`
	Branch         string    `json:"branch,omitempty"`
	Language       string    `json:"language"`
	Profile        string    `json:"profile"`
	ReceivedAt     time.Time `json:"received_at"`
	// EnteredBy is the staff member who entered the complaint (phone,
	// store, regulator channels); empty for the customer's own filing.
	EnteredBy string `json:"entered_by,omitempty"`
	// Anonymous marks a filing through the public API without a staff
	// token. As a repeat contact it is recorded but does not reopen a
	// closed case: knowing a customer's id and order reference is not
	// proof of being the customer. Earlier requests lack it (false), so
	// recorded histories replay as they ran.
	Anonymous bool `json:"anonymous,omitempty"`
}

// Actor is who makes a staff decision, taken by the API from the verified
// token and the staff table.
type Actor struct {
	ID   string `json:"id"`
	Role string `json:"role"`
	Team string `json:"team,omitempty"`
}

// Staff roles.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleManager    = "manager"
	RoleDirector   = "director"
	RoleAdmin      = "admin"
	RoleAuditor    = "auditor"
	// RoleEngineer runs the system: reads cases with personal data masked
	// and workflows' payloads through the API's codec endpoint; decides
	// nothing.
	RoleEngineer = "engineer"
)

// Roles returns the staff roles, lowest approval level first (a new slice
// each call).
func Roles() []string {
	return []string{RoleAgent, RoleSupervisor, RoleManager, RoleDirector, RoleAdmin, RoleAuditor, RoleEngineer}
}

// Remedy types.
const (
	RemedyRefund      = "refund"
	RemedyReplacement = "replacement"
	RemedyRepair      = "repair"
	RemedyVoucher     = "voucher"
	RemedyGoodwill    = "goodwill"
	RemedyApology     = "apology"
	RemedyExplanation = "explanation"
)

// Remedy is one step of a proposed resolution. Amounts are integer minor
// units (cents, fen) with an ISO 4217 currency.
type Remedy struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
	Note     string `json:"note,omitempty"`
	// State is pending, done, failed, undone or reversal_failed; a
	// fulfilment (workflows.VersionRemedies) is ordered, shipped, done or failed.
	State string `json:"state"`
	// FulfilmentNote is staff's last note on a fulfilment (a carrier's
	// tracking number, why it failed).
	FulfilmentNote string `json:"fulfilment_note,omitempty"`
}

// Proposal is a resolution awaiting approval: remedies, or a reasoned
// refusal, and the message the customer will receive.
type Proposal struct {
	Number        int        `json:"number"`
	Remedies      []Remedy   `json:"remedies,omitempty"`
	RefusalReason string     `json:"refusal_reason,omitempty"`
	Message       string     `json:"message"`
	ProposedBy    string     `json:"proposed_by"`
	ProposedAt    time.Time  `json:"proposed_at"`
	Approvals     []Approval `json:"approvals,omitempty"`
	// Required is what approval this proposal needs.
	Required Requirement `json:"required"`
	// DueAt is when the approvers are reminded (the profile's approval
	// clock); EscalatedTo is set when it ran out again.
	DueAt       time.Time `json:"due_at"`
	EscalatedTo string    `json:"escalated_to,omitempty"`
	// Script is the response script the message was written from.
	Script *ScriptUse `json:"script,omitempty"`
}

// Approval is one approver's decision.
type Approval struct {
	By       string    `json:"by"`
	Role     string    `json:"role"`
	Decision string    `json:"decision"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
}

// Findings is the result of the investigation.
type Findings struct {
	Cause             string `json:"cause"`
	CauseDetail       string `json:"cause_detail"`
	Responsibility    string `json:"responsibility"`
	ResponsibleUnit   string `json:"responsible_unit,omitempty"`
	ResponsiblePerson string `json:"responsible_person,omitempty"`
	Summary           string `json:"summary"`
}

// RepeatContact is a further complaint about the same matter.
type RepeatContact struct {
	At      time.Time `json:"at"`
	Channel string    `json:"channel"`
	Subject string    `json:"subject"`
	// Seq is the audit event that recorded the contact, and SplitInto the
	// case it became when staff split it off (workflows.VersionParties).
	Seq       int    `json:"seq,omitempty"`
	SplitInto string `json:"split_into,omitempty"`
}

// State is what the state query returns and what continue-as-new carries.
type State struct {
	CaseID         string          `json:"case_id"`
	CaseNumber     string          `json:"case_number"`
	Status         string          `json:"status"`
	SurveyStatus   string          `json:"survey_status,omitempty"`
	Category       string          `json:"category"`
	Severity       string          `json:"severity"`
	Priority       int             `json:"priority"`
	Assignee       string          `json:"assignee,omitempty"`
	Team           string          `json:"team,omitempty"`
	Level          string          `json:"level"`
	AppealCount    int             `json:"appeal_count"`
	RepeatContacts []RepeatContact `json:"repeat_contacts,omitempty"`
	// RepeatCount is how many repeat contacts the case has had, from
	// workflows.VersionBoundedContacts on, when RepeatContacts keeps the
	// last few.
	RepeatCount     int             `json:"repeat_count,omitempty"`
	Deadlines       []Deadline      `json:"deadlines"`
	Findings        *Findings       `json:"findings,omitempty"`
	Proposal        *Proposal       `json:"proposal,omitempty"`
	ProposalCount   int             `json:"proposal_count"`
	PendingQuestion string          `json:"pending_question,omitempty"`
	InfoRequests    int             `json:"info_requests"`
	Outcome         string          `json:"outcome,omitempty"`
	Clocks          Clocks          `json:"clocks"`
	Authority       AuthorityMatrix `json:"authority"`
	// EventSeq numbers the audit events this case has written.
	EventSeq int `json:"event_seq"`
	// IdempotencyKeys seen at intake, so a retried request is not counted
	// as a repeat contact.
	IdempotencyKeys []string   `json:"idempotency_keys,omitempty"`
	TransferCount   int        `json:"transfer_count"`
	AtRisk          bool       `json:"at_risk"`
	AcknowledgedAt  *time.Time `json:"acknowledged_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	Compensation    int64      `json:"compensation"`
	SurveyScore     int        `json:"survey_score,omitempty"`
	TrackingToken   string     `json:"tracking_token,omitempty"`
	Language        string     `json:"language"`
	ReceivedAt      time.Time  `json:"received_at"`
	Registered      bool       `json:"registered"`
	// LastCustomerUpdate is when the customer was last sent a message;
	// progress reports count their cadence from it.
	LastCustomerUpdate time.Time `json:"last_customer_update"`
	// ConfirmBy is when silence will count as acceptance of a resolution.
	ConfirmBy *time.Time `json:"confirm_by,omitempty"`
	// SurveyRound counts the case's closings: each closing ends a
	// handling round and has its own closing message and survey (a case
	// reopened by a repeat contact closes again).
	SurveyRound int `json:"survey_round,omitempty"`
	// ReversalFailed lists the remedies (ids) whose reversal failed for
	// good: money paid or goods ordered that a person must undo by hand.
	ReversalFailed []string `json:"reversal_failed,omitempty"`
	// FulfilmentSince is when the case began to wait for its fulfilments.
	FulfilmentSince *time.Time `json:"fulfilment_since,omitempty"`
	// Restriction is the supervisor's contact restriction on this
	// customer, CustomerScript the script everyone who answers them
	// follows, AbuseCount the abusive contacts recorded, and
	// RestrictionReviewed whether the supervisor has been reminded of the
	// restriction's review date (workflows.VersionScripts; seed 002).
	Restriction         *Restriction    `json:"restriction,omitempty"`
	CustomerScript      *CustomerScript `json:"customer_script,omitempty"`
	AbuseCount          int             `json:"abuse_count,omitempty"`
	RestrictionReviewed bool            `json:"restriction_reviewed,omitempty"`
	// Callbacks are the calls promised to the customer, each reminded to
	// the handler at its time; MergedInto is the case this one continues
	// as once merged (workflows.VersionParties).
	Callbacks  []Callback `json:"callbacks,omitempty"`
	MergedInto string     `json:"merged_into,omitempty"`
	// MergedIntoNumber is that case's number.
	MergedIntoNumber string `json:"merged_into_number,omitempty"`
	// Parties are the case's parties (by number, kind and staff id: their
	// personal data is in PostgreSQL only); PartyCount numbers them.
	Parties    []PartyRef `json:"parties,omitempty"`
	PartyCount int        `json:"party_count,omitempty"`
}

// PartyRef is what the workflow keeps of a party.
type PartyRef struct {
	No      int    `json:"no"`
	Kind    string `json:"kind"`
	StaffID string `json:"staff_id,omitempty"`
}
