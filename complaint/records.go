package complaint

import "time"

// Event is one audit-trail entry.
type Event struct {
	Type    string         `json:"type"`
	Actor   string         `json:"actor"`
	At      time.Time      `json:"at"`
	Payload map[string]any `json:"payload,omitempty"`
}

// Message is a notification to send: to the customer, or to a staff member
// (Recipient) or role of a team (RecipientRole).
type Message struct {
	Key           string            `json:"key"`
	Audience      string            `json:"audience"`
	Recipient     string            `json:"recipient,omitempty"`
	RecipientRole string            `json:"recipient_role,omitempty"`
	Team          string            `json:"team,omitempty"`
	Kind          string            `json:"kind"`
	Params        map[string]string `json:"params,omitempty"`
}

// Change is one transition of a case: an audit event, the case row as it
// stands after it, and the messages it sends, applied together and
// idempotently (keyed by case and Seq).
type Change struct {
	CaseID   string    `json:"case_id"`
	Seq      int       `json:"seq"`
	Event    Event     `json:"event"`
	Row      CaseRow   `json:"row"`
	Messages []Message `json:"messages,omitempty"`
	Language string    `json:"language"`
	// Fulfilment, when set, moves a fulfilment's row in the same
	// transaction as the event.
	Fulfilment *FulfilmentChange `json:"fulfilment,omitempty"`
	// Party, when set, adds, updates or removes a party of the case in the
	// same transaction as the event.
	Party *PartyChange `json:"party,omitempty"`
}

// Party changes.
const (
	PartyAdd    = "add"
	PartyUpdate = "update"
	PartyRemove = "remove"
)

// PartyChange is one change to a case's parties: Op (add, update, remove)
// on the party numbered No, with its new values (add, update).
type PartyChange struct {
	Op    string       `json:"op"`
	No    int          `json:"no"`
	Party PartyRequest `json:"party"`
	By    string       `json:"by"`
	At    time.Time    `json:"at"`
}

// FulfilmentChange is a fulfilment's new state, by its execute key.
type FulfilmentChange struct {
	Key   string `json:"key"`
	State string `json:"state"`
	Note  string `json:"note,omitempty"`
	By    string `json:"by"`
}

// CaseRow is the part of the case row the workflow owns.
type CaseRow struct {
	Status         string     `json:"status"`
	SurveyStatus   string     `json:"survey_status,omitempty"`
	Assignee       string     `json:"assignee,omitempty"`
	Team           string     `json:"team,omitempty"`
	Level          string     `json:"level"`
	Category       string     `json:"category"`
	Severity       string     `json:"severity"`
	Priority       int        `json:"priority"`
	AppealCount    int        `json:"appeal_count"`
	RepeatCount    int        `json:"repeat_count"`
	TransferCount  int        `json:"transfer_count"`
	Breached       bool       `json:"breached"`
	AtRisk         bool       `json:"at_risk"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	Cause          string     `json:"cause,omitempty"`
	CauseDetail    string     `json:"cause_detail,omitempty"`
	Responsibility string     `json:"responsibility,omitempty"`
	Compensation   int64      `json:"compensation"`
	Outcome        string     `json:"outcome,omitempty"`
	SurveyScore    int        `json:"survey_score,omitempty"`
	AckDueAt       *time.Time `json:"ack_due_at,omitempty"`
	ResolveDueAt   *time.Time `json:"resolve_due_at,omitempty"`
	// ApprovalRole and ApprovalSince are set while the case awaits
	// approval: the least role that may approve, and since when.
	ApprovalRole  string     `json:"approval_role,omitempty"`
	ApprovalSince *time.Time `json:"approval_since,omitempty"`
	// ReversalFailed flags a case with a remedy whose reversal failed
	// for good and must be undone by a person.
	ReversalFailed bool `json:"reversal_failed,omitempty"`
	// PendingApproval summarises the proposal awaiting approval, for the
	// approvers' inbox; nil when nothing awaits approval.
	PendingApproval *PendingApproval `json:"pending_approval,omitempty"`
	// MergedInto is the case a merged case continues as (StatusMerged).
	MergedInto string `json:"merged_into,omitempty"`
}

// PendingApproval is what an approver's inbox shows of a proposal: what it
// costs, what it does, who proposed it, who has approved it already and
// when the approvers are reminded.
type PendingApproval struct {
	Total      int64    `json:"total"`
	Currency   string   `json:"currency,omitempty"`
	Remedies   []Remedy `json:"remedies"`
	Refusal    bool     `json:"refusal"`
	ProposedBy string   `json:"proposed_by"`
	// ApprovedBy lists who approved already (a proposal above the
	// four-eyes threshold waits for a second, different approver).
	ApprovedBy []string  `json:"approved_by"`
	MinRole    string    `json:"min_role"`
	Approvers  int       `json:"approvers"`
	DueAt      time.Time `json:"due_at"`
}
