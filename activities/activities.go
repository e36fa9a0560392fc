// Package activities holds the side effects of the complaint workflow:
// storing the case, the audit trail and the outbox in PostgreSQL, choosing
// handlers, moving money through Payments and sending notifications.
// Every activity is idempotent, because Temporal retries them.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/workflows"
)

// Activities carries the dependencies of the activities.
type Activities struct {
	Store    *store.Store
	Payments Payments
	Notifier Notifier
	// Profiles are the clock profiles cases may run under.
	Profiles  map[string]complaint.Clocks
	Authority complaint.AuthorityMatrix
	// TokenSecret derives tracking and survey tokens (HMAC), so a retried
	// activity returns the same token without storing it in clear.
	TokenSecret []byte
	Logger      *slog.Logger
	// Spike is the systemic-issue rule the detector applies.
	Spike complaint.SpikeRule
	// Temporal sends cases the updates of an incident's resolution.
	Temporal caseUpdater
	// PublicBaseURL prefixes the links sent to customers (the survey).
	PublicBaseURL string
}

// Register registers every activity on r under its workflows name.
func (a *Activities) Register(r interface {
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}) {
	r.RegisterActivityWithOptions(a.RegisterCase, activity.RegisterOptions{Name: workflows.ActivityRegister})
	r.RegisterActivityWithOptions(a.ApplyChange, activity.RegisterOptions{Name: workflows.ActivityApply})
	r.RegisterActivityWithOptions(a.AssignCase, activity.RegisterOptions{Name: workflows.ActivityAssign})
	r.RegisterActivityWithOptions(a.ExecuteRemedy, activity.RegisterOptions{Name: workflows.ActivityExecuteRemedy})
	r.RegisterActivityWithOptions(a.ReverseRemedy, activity.RegisterOptions{Name: workflows.ActivityReverseRemedy})
	r.RegisterActivityWithOptions(a.OpenSurvey, activity.RegisterOptions{Name: workflows.ActivityOpenSurvey})
	r.RegisterActivityWithOptions(a.OpenRecoveryTask, activity.RegisterOptions{Name: workflows.ActivityRecovery})
	r.RegisterActivityWithOptions(a.CountIntake, activity.RegisterOptions{Name: workflows.ActivityCountIntake})
	r.RegisterActivityWithOptions(a.OpenIncident, activity.RegisterOptions{Name: workflows.ActivityOpenIncident})
	r.RegisterActivityWithOptions(a.LinkIncidentCases, activity.RegisterOptions{Name: workflows.ActivityLinkIncident})
	r.RegisterActivityWithOptions(a.NotifyIncidentUpdate, activity.RegisterOptions{Name: workflows.ActivityNotifyUpdate})
	r.RegisterActivityWithOptions(a.ResolveIncidentCase, activity.RegisterOptions{Name: workflows.ActivityResolveCase})
	r.RegisterActivityWithOptions(a.FinishIncident, activity.RegisterOptions{Name: workflows.ActivityFinishIncident})
}

// RegisterCase stores the case and returns its number, the customer's
// tracking token and the clock profile snapshot the case runs under.
func (a *Activities) RegisterCase(ctx context.Context, in workflows.RegisterInput) (workflows.RegisterResult, error) {
	profile := in.Complaint.ClockProfile()
	clocks, ok := a.Profiles[profile]
	if !ok {
		return workflows.RegisterResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("unknown clock profile %q", profile), "InvalidInput", nil)
	}
	// The case keeps the calendar's current version as its snapshot.
	cal, err := a.Store.Calendar(ctx, clocks.CalendarID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return workflows.RegisterResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("clock profile %s: no calendar %q", profile, clocks.CalendarID), "InvalidClock", err)
		}
		return workflows.RegisterResult{}, err
	}
	clocks.Calendar = cal
	deadlines, err := complaint.StartDeadlines(clocks, in.Complaint.ReceivedAt, in.Classification.Severity)
	if err != nil {
		return workflows.RegisterResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidInput", err)
	}
	tok := complaint.TrackingToken(a.TokenSecret, in.Complaint.CaseID)
	number, err := a.Store.InsertCase(ctx, store.NewCase{
		Complaint: in.Complaint, WorkflowID: in.WorkflowID, FirstRunID: in.FirstRunID, Classification: in.Classification,
		TokenHash: store.HashToken(tok), Profile: profile, Deadlines: deadlines, TimeZone: cal.TimeZone,
		FirstReceiver: in.FirstReceiver,
	})
	if err != nil {
		return workflows.RegisterResult{}, storeError("register case", err)
	}
	a.logger(ctx).Info("case registered", "case_id", in.Complaint.CaseID, "case_number", number,
		"channel", in.Complaint.Channel, "category", in.Classification.Category, "severity", in.Classification.Severity)
	return workflows.RegisterResult{CaseNumber: number, TrackingToken: tok, Clocks: clocks, Authority: a.Authority}, nil
}

// ApplyChange writes one transition: audit event, case row, outbox.
func (a *Activities) ApplyChange(ctx context.Context, ch complaint.Change) error {
	notes := make([]store.Notification, 0, len(ch.Messages))
	for _, m := range ch.Messages {
		n, err := Render(a.withSurveyLink(ch.CaseID, m), ch.Language)
		if err != nil {
			return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidInput", err)
		}
		n.CaseID = ch.CaseID
		n.Key = ch.CaseID + ":" + m.Key
		notes = append(notes, n)
	}
	if err := a.Store.ApplyChange(ctx, ch, notes); err != nil {
		return storeError("apply change "+ch.Event.Type, err)
	}
	if reopened, _ := ch.Event.Payload["reopened"].(bool); reopened && ch.Event.Type == "repeat_contact" {
		// The survey of the closing just undone is over: its link must
		// not answer the survey of the next closing.
		if err := a.Store.SupersedeSurveys(ctx, ch.CaseID); err != nil {
			return err
		}
	}
	for _, n := range notes {
		if err := a.notify(ctx, n); err != nil {
			return fmt.Errorf("notify %s: %w", n.Kind, err)
		}
	}
	a.logger(ctx).Info("case event", "case_id", ch.CaseID, "seq", ch.Seq, "type", ch.Event.Type, "actor", ch.Event.Actor)
	return nil
}

// AssignCase picks a handler: the least-loaded active member of the team
// at the level asked for; when nobody is there, the team's supervisor (or
// the next level up anywhere), so that nobody-owns-it never happens.
func (a *Activities) AssignCase(ctx context.Context, in workflows.AssignInput) (workflows.AssignResult, error) {
	team := in.Team
	if team == "" {
		t, err := a.Store.TeamForCategory(ctx, in.Category)
		if err != nil {
			return workflows.AssignResult{}, storeError("team for category", err)
		}
		team = t
	}
	role := in.Role
	if role == "" {
		role = complaint.RoleAgent
	}
	id, err := a.Store.LeastLoaded(ctx, team, role, in.Exclude)
	if err != nil {
		return workflows.AssignResult{}, storeError("least loaded", err)
	}
	if id != "" {
		return workflows.AssignResult{Assignee: id, Name: a.displayName(ctx, id), Team: team, Role: role}, nil
	}
	// Nobody at that level in the team: escalate to the team's
	// supervisor or anyone above the level, team first.
	up := role
	if complaint.RoleLevel(up) < complaint.RoleLevel(complaint.RoleSupervisor) {
		up = complaint.RoleSupervisor
	}
	id, err = a.Store.AnyAtLeast(ctx, team, up, in.Exclude)
	if err != nil {
		return workflows.AssignResult{}, storeError("any at least", err)
	}
	a.logger(ctx).Warn("no handler at level; escalated", "case_id", in.CaseID, "team", team, "role", role, "assignee", id)
	return workflows.AssignResult{Assignee: id, Name: a.displayName(ctx, id), Team: team, Role: up, Escalated: true}, nil
}

// displayName is a staff member's name as the staff directory holds it,
// or "" when it holds none but the login id (a token without a name
// claim), so that a customer is told the team rather than a login id.
func (a *Activities) displayName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	st, err := a.Store.GetStaff(ctx, id)
	if err != nil || strings.TrimSpace(st.Name) == "" || st.Name == id {
		return ""
	}
	return st.Name
}

// ExecuteRemedy carries out one remedy exactly once: money through
// Payments with the remedy's idempotency key, anything else recorded as a
// fulfilment under the same key (complaint.RemedyKinds says which is
// which); a tracked fulfilment starts as ordered, for staff to move on.
func (a *Activities) ExecuteRemedy(ctx context.Context, in workflows.RemedyInput) error {
	r := in.Remedy
	if complaint.IsMoney(r.Type) {
		err := heartbeating(ctx, func() error {
			return a.Payments.Pay(ctx, Payment{IdempotencyKey: in.IdempotencyKey, CaseID: in.CaseID, RemedyID: r.ID,
				Type: r.Type, Amount: r.Amount, Currency: r.Currency})
		})
		if errors.Is(err, ErrPaymentDeclined) {
			return temporal.NewNonRetryableApplicationError(err.Error(), "PaymentDeclined", err)
		}
		return err
	}
	status := complaint.FulfilmentDone
	if in.Track {
		status = complaint.FulfilmentOrdered
	}
	return a.Store.RecordFulfilment(ctx, in.IdempotencyKey, in.CaseID, r.ID, r.Type, status)
}

// ReverseRemedy undoes a remedy done earlier (the saga's compensation).
// A reversal the provider refuses is not retried: a person must undo it.
func (a *Activities) ReverseRemedy(ctx context.Context, in workflows.RemedyInput) error {
	r := in.Remedy
	if complaint.IsMoney(r.Type) {
		err := heartbeating(ctx, func() error {
			return a.Payments.Reverse(ctx, Payment{IdempotencyKey: in.IdempotencyKey, CaseID: in.CaseID, RemedyID: r.ID,
				Type: r.Type, Amount: r.Amount, Currency: r.Currency})
		})
		if errors.Is(err, ErrPaymentDeclined) {
			return temporal.NewNonRetryableApplicationError(err.Error(), "ReversalDeclined", err)
		}
		return err
	}
	return a.Store.UndoFulfilment(ctx, complaint.RemedyKey(in.CaseID, in.Remedy.ID, "execute"))
}

// heartbeating runs call while heartbeating every second, so that a worker
// that dies during a payment is noticed within the activity's heartbeat
// timeout (seconds) rather than its start-to-close timeout (a minute), and
// the payment is retried, with the same key, on another worker.
func heartbeating(ctx context.Context, call func() error) error {
	if !activity.IsActivity(ctx) {
		return call()
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	err := call()
	// No heartbeat may be in flight once the activity returns (the SDK
	// cancels its context then, and the heartbeat would fail noisily).
	close(done)
	<-stopped
	return err
}

// OpenSurvey creates the survey of a closing (round) and sends the
// customer its link, each round under a key and a token of its own.
func (a *Activities) OpenSurvey(ctx context.Context, in workflows.SurveyInput) error {
	round := max(in.Round, 1)
	tok := complaint.SurveyToken(a.TokenSecret, in.CaseID, round)
	if err := a.Store.OpenSurvey(ctx, in.CaseID, round, store.HashToken(tok)); err != nil {
		return storeError("open survey", err)
	}
	n, err := Render(complaint.Message{Key: "survey", Audience: "customer", Kind: "survey",
		Params: map[string]string{"survey_url": strings.TrimRight(a.PublicBaseURL, "/") + "/survey/" + tok}}, in.Language)
	if err != nil {
		return err
	}
	n.CaseID, n.Key = in.CaseID, in.CaseID+":"+complaint.RoundKey("survey", round)
	if err := a.Store.QueueNotifications(ctx, []store.Notification{n}); err != nil {
		return storeError("queue survey link", err)
	}
	return a.notify(ctx, n)
}

// notify sends one notification and counts it as sent or failed (by
// audience and kind: bounded sets) in the worker's metrics.
func (a *Activities) notify(ctx context.Context, n store.Notification) error {
	err := a.Notifier.Send(ctx, n)
	name := "complaints_notifications_sent"
	if err != nil {
		name = "complaints_notifications_failed"
	}
	if activity.IsActivity(ctx) {
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{"audience": n.Audience, "kind": n.Kind}).Counter(name).Inc(1)
	}
	return err
}

// OpenRecoveryTask opens a recovery task for the team's supervisor, one
// per survey round.
func (a *Activities) OpenRecoveryTask(ctx context.Context, in workflows.RecoveryInput) error {
	sup, err := a.Store.AnyAtLeast(ctx, in.Team, complaint.RoleSupervisor, "")
	if err != nil {
		return storeError("any at least", err)
	}
	return storeError("open recovery task", a.Store.OpenRecoveryTask(ctx, in.CaseID, max(in.Round, 1), in.Team, sup, fmt.Sprintf("survey score %d", in.Score)))
}

func (a *Activities) logger(ctx context.Context) *slog.Logger {
	l := a.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		l = l.With("activity", info.ActivityType.Name, "attempt", info.Attempt)
	}
	return l
}

// storeError classifies a store error: one PostgreSQL refused for good
// (store.Rejected) becomes a non-retryable application error of type
// workflows.ErrTypeStoreRejected, which the workflow undoes or retries
// after a long wait with an alert; any other error is returned as it is,
// and the activity is retried until the database is back ("a database
// outage delays a case, it never fails it"). nil stays nil.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	code, ok := store.Rejected(err)
	if !ok {
		return err
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: the store refused the change (SQLSTATE %s)", op, code),
		workflows.ErrTypeStoreRejected, err, code)
}
