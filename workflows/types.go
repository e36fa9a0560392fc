// Package workflows holds what is Temporal's in handling a complaint: the
// complaint workflow and its update and query handlers, its Input and code
// versions, the workflow, update, query and activity names, the systemic
// detector and incident workflows, and the conversion of the domain's
// error kinds to Temporal application errors (AppError). The rules the
// workflow applies live in package complaint.
package workflows

import "github.com/complaint-handling/complaints/complaint"

// Names of the workflow, its updates and its query. Clients use these
// constants; changing one breaks running workflows.
const (
	WorkflowName = "ComplaintWorkflow"

	UpdateIntake           = "intake"
	UpdateAssign           = "assign"
	UpdateTransfer         = "transfer"
	UpdateNote             = "note"
	UpdateRequestInfo      = "request-info"
	UpdateEscalate         = "escalate"
	UpdateClassification   = "classification"
	UpdateFindings         = "findings"
	UpdateProposal         = "proposal"
	UpdateApproval         = "approval"
	UpdateRequestExtension = "request-extension"
	UpdateDecideExtension  = "decide-extension"

	UpdateCustomerResponse = "customer-response"
	UpdateCustomerInfo     = "customer-info"
	UpdateWithdraw         = "withdraw"
	UpdateSurvey           = "survey"
	UpdateFulfilment       = "fulfilment"
	// UpdateAttachments records files attached to an open case (by id and
	// digest) in its audit trail and timeline.
	UpdateAttachments = "attachments"

	// The staff-protection updates (VersionScripts).
	UpdateAbuse             = "abusive-contact"
	UpdateRestriction       = "contact-restriction"
	UpdateCustomerScript    = "customer-script"
	UpdateCloseUnreasonable = "close-unreasonable"

	// VersionParties's updates: the people around a case, a logged call,
	// merging a case into another (and recording it on the other), and
	// splitting a repeat contact off into a case of its own.
	UpdateParty   = "party"
	UpdateLogCall = "log-call"
	UpdateMerge   = "merge"
	UpdateAbsorb  = "absorb"
	UpdateSplit   = "split"

	QueryState = "state"
)

// Input starts (or continues) a ComplaintWorkflow.
type Input struct {
	Complaint complaint.Complaint `json:"complaint"`
	// Resume carries the state across continue-as-new; nil at first start.
	Resume *complaint.State `json:"resume,omitempty"`
	// Version is the workflow code version the case was started under
	// (CurrentVersion; absent, 0, for cases started before versions were
	// recorded). It travels in the input, so branching on it costs no
	// history events, unlike workflow.GetVersion's marker and search
	// attribute; continue-as-new carries it on.
	Version int `json:"version,omitempty"`
	// Classification is the case's initial assessment, made by the API
	// before the workflow starts (internal/classify, against the taxonomy
	// in the database); from VersionClassifier on the workflow takes it
	// as given. Nil (a case started by something other than the API, or
	// when the taxonomy could not be read) falls back to the keyword
	// rules of complaint.Classify.
	Classification *complaint.Classification `json:"classification,omitempty"`
}

// Workflow code versions (Input.Version).
const (
	// VersionLocalStore: the case's database work runs as local
	// activities, its watchers keep their timers while the instant they
	// wait for stays the same, waits cancel their timers, and the status
	// is no longer copied into a search attribute at every step.
	VersionLocalStore = 1
	// VersionStoreRejections: a change the store refuses for good
	// (ErrTypeStoreRejected) is undone in an update handler and retried
	// after storeRejectedRetry by the main loop, which does not act on an
	// update's change before it is written (rejections.go).
	VersionStoreRejections = 2
	// VersionClocks: an appeal starts the profile's appeal clock, whose
	// warnings and breach are raised like the other clocks'.
	VersionClocks = 3
	// VersionRemedies: a reversal that fails for good flags the remedy
	// for a person instead of failing the workflow; fulfilments
	// (replacement, repair) are ordered, moved by staff through shipped
	// to done or failed under a fulfilment clock, and the case waits for
	// them (status fulfilling) before asking the customer to confirm;
	// compensation counts only money paid.
	VersionRemedies = 4
	// VersionBoundedContacts: a case keeps its last maxRepeatContacts
	// repeat contacts and maxIntakeKeys intake keys (with RepeatCount the
	// total), and tells its handler of repeat contacts at most once an
	// hour, so a stranger filing the same matter thousands of times cannot
	// grow the workflow's state past Temporal's limits and break the case.
	VersionBoundedContacts = 6
	// VersionScripts: the staff-protection practices (seed 002): abusive
	// contacts recorded with a warning to the customer, a contact
	// restriction under which repeat contacts no longer raise the
	// priority and go to the named handler (with a reminder at its review
	// date), the case's script for this customer, and the closing of an
	// unreasonable persistent complaint, which an appeal reopens.
	VersionScripts = 8
	// VersionParties: the case runs the first_contact clock (met only by
	// a person talking or writing to the customer: a call that reached
	// them, an information request, a resolution), records its parties,
	// logs calls and reminds the handler of a promised callback at its
	// time, can be merged into another open case (ending as merged) and
	// have a repeat contact split off into a case of its own.
	VersionParties = 9
	// VersionClassifier: the case's classification comes in Input (made
	// outside the workflow against the taxonomy kept as data), and staff
	// may reclassify a case into any category of the taxonomy (the API
	// checks it exists). Earlier versions keep complaint.Classify's
	// keyword rules, so their histories replay.
	VersionClassifier = 10
	// CurrentVersion is what new cases start with.
	CurrentVersion = VersionClassifier
)

// NewInput is the input of a new case.
func NewInput(c complaint.Complaint) Input { return Input{Complaint: c, Version: CurrentVersion} }

// IntakeResult answers the intake update.
type IntakeResult struct {
	CaseID        string `json:"case_id"`
	CaseNumber    string `json:"case_number"`
	Status        string `json:"status"`
	TrackingToken string `json:"tracking_token"`
	// RepeatContact is true when the complaint was attached to this open
	// case; Duplicate when it repeated an earlier request's Idempotency-Key.
	RepeatContact bool `json:"repeat_contact"`
	Duplicate     bool `json:"duplicate"`
}
