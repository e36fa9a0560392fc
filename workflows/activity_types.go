package workflows

import "github.com/complaint-handling/complaints/complaint"

// Activity names. The worker registers the activities under these names
// and the workflow calls them by name, so workflows/ does not depend on
// activities/ (which depends on these types).
const (
	ActivityRegister      = "RegisterCase"
	ActivityApply         = "ApplyChange"
	ActivityAssign        = "AssignCase"
	ActivityExecuteRemedy = "ExecuteRemedy"
	ActivityReverseRemedy = "ReverseRemedy"
	ActivityOpenSurvey    = "OpenSurvey"
	ActivityRecovery      = "OpenRecoveryTask"
)

// RegisterResult is what the register activity returns.
type RegisterResult struct {
	CaseNumber    string                    `json:"case_number"`
	TrackingToken string                    `json:"tracking_token"`
	Clocks        complaint.Clocks          `json:"clocks"`
	Authority     complaint.AuthorityMatrix `json:"authority"`
}

// RegisterInput is the register activity's input.
type RegisterInput struct {
	Complaint      complaint.Complaint      `json:"complaint"`
	WorkflowID     string                   `json:"workflow_id"`
	FirstRunID     string                   `json:"first_run_id"`
	Classification complaint.Classification `json:"classification"`
	// FirstReceiver is the staff member who took the complaint, recorded
	// as the case's first party (VersionParties).
	FirstReceiver string `json:"first_receiver,omitempty"`
}

// AssignInput asks for a handler at a level for a team.
type AssignInput struct {
	CaseID   string `json:"case_id"`
	Category string `json:"category"`
	Team     string `json:"team,omitempty"`
	// Role is the level sought: agent for a new case, supervisor or
	// manager after an appeal or escalation.
	Role    string `json:"role"`
	Exclude string `json:"exclude,omitempty"`
}

// AssignResult names the handler chosen. Escalated is true when no one at
// the level was available and the team's supervisor (or the next level)
// took it; Assignee is empty only when nobody at all is registered yet.
type AssignResult struct {
	Assignee string `json:"assignee"`
	// Name is the assignee's display name from the staff directory,
	// empty when it has none but the login id: customers are told this,
	// or the team, never the login id.
	Name      string `json:"name,omitempty"`
	Team      string `json:"team"`
	Role      string `json:"role"`
	Escalated bool   `json:"escalated"`
}

// RemedyInput executes or reverses one remedy.
type RemedyInput struct {
	CaseID string           `json:"case_id"`
	Remedy complaint.Remedy `json:"remedy"`
	// IdempotencyKey is derived from the case, the proposal and the remedy.
	IdempotencyKey string `json:"idempotency_key"`
	// Track records a fulfilment as ordered, for staff to move on, rather
	// than done (VersionRemedies).
	Track bool `json:"track,omitempty"`
}

// SurveyInput opens the follow-up survey of a case.
type SurveyInput struct {
	CaseID   string `json:"case_id"`
	Language string `json:"language"`
	// Round is the closing the survey follows (State.SurveyRound); 0,
	// from cases that did not send it, is the first.
	Round int `json:"round,omitempty"`
}

// RecoveryInput opens a recovery task after a low survey score.
type RecoveryInput struct {
	CaseID string `json:"case_id"`
	Team   string `json:"team"`
	Score  int    `json:"score"`
	// Round is the survey's round (see SurveyInput).
	Round int `json:"round,omitempty"`
}
