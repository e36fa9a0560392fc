package workflows

import (
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
)

// Search attributes the workflow keeps current; none carries personal data.
var (
	SearchCaseStatus = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	SearchCategory   = temporal.NewSearchAttributeKeyKeyword("CaseCategory")
	SearchSeverity   = temporal.NewSearchAttributeKeyKeyword("CaseSeverity")
	SearchCaseNumber = temporal.NewSearchAttributeKeyKeyword("CaseNumber")
)

// SearchAttributeTypes lists the custom search attributes to register on
// the namespace.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchCaseStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchCategory.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchSeverity.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchCaseNumber.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// actorSystem and actorCustomer name non-staff actors in the audit trail.
const (
	actorSystem   = "system"
	actorCustomer = "customer"
)

// complaint is one running ComplaintWorkflow: its state and the context
// handlers share. Workflow code is single-threaded and cooperative, so a
// handler's mutations before its first blocking call are atomic.
type caseWorkflow struct {
	in complaint.Complaint
	st complaint.State
	// changed is bumped on every transition so waits can notice them;
	// clockRev when a clock is paused, resumed, extended or met.
	changed  int
	clockRev int
	cal      *clock.Cal
	// surveyOpening is set while the survey link is being sent.
	surveyOpening bool
	// version is Input.Version: the code path the case was started on.
	version int
	// given is Input.Classification (VersionClassifier).
	given *complaint.Classification
	// pending counts update handlers whose writes are in flight; the main
	// loop waits for none (VersionStoreRejections, see rejections.go).
	pending int
	// blocked counts changes of the workflow's own that the store refused
	// and that wait to be tried again (see rejections.go).
	blocked int
	// restrictionRev is bumped when the contact restriction is set or
	// lifted, so its review reminder starts over.
	restrictionRev int
	// callbackRev is bumped when a callback is promised or reminded, so
	// watchCallbacks recomputes its timer.
	callbackRev int
}

// ComplaintWorkflow runs one complaint from receipt to the follow-up survey.
func ComplaintWorkflow(ctx workflow.Context, in Input) (complaint.State, error) {
	w := &caseWorkflow{in: in.Complaint}
	w.version = in.Version
	w.given = in.Classification
	if in.Resume != nil {
		w.st = *in.Resume
	} else {
		w.st = complaint.State{CaseID: in.Complaint.CaseID, Status: complaint.StatusReceived, Level: complaint.RoleAgent,
			Language: in.Complaint.Language, ReceivedAt: in.Complaint.ReceivedAt}
		if in.Complaint.IdempotencyKey != "" {
			w.st.IdempotencyKeys = []string{in.Complaint.IdempotencyKey}
		}
	}
	if err := w.registerHandlers(ctx); err != nil {
		return w.st, err
	}
	if !w.st.Registered {
		if err := w.register(ctx); err != nil {
			return w.st, err
		}
	}
	if w.localStore() && w.st.Status == complaint.StatusReceived {
		// Acknowledge (in the same workflow task as the registration)
		// before the watchers start, so their first timers aim at the
		// acknowledged case's instants rather than being started and
		// replaced at once.
		if err := w.acknowledge(ctx); err != nil {
			return w.st, err
		}
	}
	workflow.Go(ctx, w.watchClocks)
	workflow.Go(ctx, w.reportProgress)
	if w.scripts() {
		workflow.Go(ctx, w.watchRestrictionReview)
	}
	if w.tracksParties() {
		workflow.Go(ctx, w.watchCallbacks)
	}

	for {
		if err := w.waitHandlers(ctx); err != nil {
			return w.st, err
		}
		var err error
		switch w.st.Status {
		case complaint.StatusReceived:
			err = w.acknowledge(ctx)
		case complaint.StatusAcknowledged, complaint.StatusInvestigating:
			err = w.waitLeaving(ctx, w.st.Status)
		case complaint.StatusAwaitingInfo:
			err = w.awaitInfo(ctx)
		case complaint.StatusAwaitingApproval:
			err = w.awaitApproval(ctx)
		case complaint.StatusExecuting:
			err = w.execute(ctx)
		case complaint.StatusFulfilling:
			err = w.awaitFulfilment(ctx)
		case complaint.StatusAwaitingCustomer:
			err = w.awaitCustomer(ctx)
		case complaint.StatusClosed:
			done, serr := w.survey(ctx)
			if serr != nil {
				return w.st, serr
			}
			if done {
				if st, err := w.finish(ctx); err != nil || !w.handlesRejections() || w.ending() {
					return st, err
				}
			}
		case complaint.StatusWithdrawn, complaint.StatusMerged:
			if st, err := w.finish(ctx); err != nil || !w.handlesRejections() || w.ending() {
				return st, err
			}
		default:
			return w.st, fmt.Errorf("unknown status %q", w.st.Status)
		}
		if err != nil {
			return w.st, err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && w.st.Status != complaint.StatusExecuting {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return w.st, err
			}
			return w.st, workflow.NewContinueAsNewError(ctx, WorkflowName, Input{Complaint: w.in, Resume: &w.st, Version: w.version, Classification: w.given})
		}
	}
}

// withActivityOptions gives ctx the options of the case's own activities.
// Update handlers receive the workflow's root context, so every call site
// goes through this rather than relying on a context set up in the main
// function.
func withActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         storeRetry,
	})
}

// storeRetry retries the case's own database work until it succeeds: a
// database outage delays a case, it never fails it.
var storeRetry = &temporal.RetryPolicy{
	InitialInterval:    500 * time.Millisecond,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

// store runs one of the case's database activities. From VersionLocalStore
// on, the case's own database work (register, assign, apply a change,
// open the survey, open a recovery task) runs as local activities: short,
// idempotent writes to the application's PostgreSQL, recorded as one
// marker event each and run inside the workflow task that asks for them
// rather than through a round trip of the task queue (BENCHMARKS.md:
// events per case and intake latency). Payments stay ordinary activities,
// with their own timeouts, retries and visibility. Cases started before
// keep ordinary activities, as their histories recorded.
func (w *caseWorkflow) store(ctx workflow.Context, name string, in any) workflow.Future {
	if w.localStore() {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 10 * time.Second,
			RetryPolicy:         storeRetry,
		}), name, in)
	}
	return workflow.ExecuteActivity(withActivityOptions(ctx), name, in)
}

// awaitFor waits until cond is true or d has passed, and says whether
// cond ended the wait, as workflow.AwaitWithTimeout does. From
// VersionLocalStore on, its timer is cancelled when cond ends the wait
// first (unless keep() says the case is about to end), so it does not wake
// the case later for nothing: one cancellation event instead of a timer
// event and a workflow task days later.
func (w *caseWorkflow) awaitFor(ctx workflow.Context, d time.Duration, cond func() bool, keep ...func() bool) (bool, error) {
	t := &wakeTimer{stable: w.localStore()}
	if t.stable && cond() {
		return true, nil
	}
	fired, err := t.wait(ctx, workflow.Now(ctx).Add(d), cond)
	if err != nil || fired {
		return false, err
	}
	for _, k := range keep {
		if k() {
			return true, nil
		}
	}
	t.stop()
	return true, nil
}

// localStore says the case runs VersionLocalStore's code path or later.
func (w *caseWorkflow) localStore() bool { return w.version >= VersionLocalStore }

// ending says the case may complete: it is withdrawn, or closed with its
// survey answered or expired. A handler whose write the store refused may
// have taken the case back from there while finish waited for it.
func (w *caseWorkflow) ending() bool {
	return w.st.Status == complaint.StatusWithdrawn || w.st.Status == complaint.StatusMerged ||
		(w.st.Status == complaint.StatusClosed && (w.st.SurveyStatus == complaint.SurveyAnswered || w.st.SurveyStatus == complaint.SurveyExpired))
}

// finish waits for running handlers so none is cut off, then completes.
func (w *caseWorkflow) finish(ctx workflow.Context) (complaint.State, error) {
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return w.st, err
}

// register stores the case, classifies it and computes its deadlines.
func (w *caseWorkflow) register(ctx workflow.Context) error {
	cls := w.classify()
	var res RegisterResult
	in := RegisterInput{
		Complaint: w.in, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, FirstRunID: workflow.GetInfo(ctx).FirstRunID, Classification: cls,
	}
	if w.tracksParties() && w.in.EnteredBy != "" {
		// Staff who file on a customer's behalf first received the
		// complaint: the case's first party.
		in.FirstReceiver = w.in.EnteredBy
		w.st.PartyCount = 1
		w.st.Parties = []complaint.PartyRef{{No: 1, Kind: complaint.PartyFirstReceiver, StaffID: w.in.EnteredBy}}
	}
	err := w.storeGet(ctx, "received", ActivityRegister, in, &res)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if !w.tracksParties() {
		// A case started before VersionParties has no code to meet the
		// first_contact clock: it runs without it, whatever the profile.
		res.Clocks.Clocks = slices.DeleteFunc(slices.Clone(res.Clocks.Clocks), func(s clock.Spec) bool { return s.Clock == complaint.ClockFirstContact })
	}
	w.st.CaseNumber = res.CaseNumber
	w.st.TrackingToken = res.TrackingToken
	w.st.Clocks = res.Clocks
	w.st.Authority = res.Authority
	w.st.Category, w.st.Severity, w.st.Priority = cls.Category, cls.Severity, cls.Priority
	dl, err := complaint.StartDeadlines(res.Clocks, w.in.ReceivedAt, cls.Severity)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidClock", err)
	}
	w.st.Deadlines = dl
	// The register activity wrote events 1 (received) and 2 (classified).
	w.st.EventSeq = 2
	w.st.Registered = true
	w.changed++
	attrs := []temporal.SearchAttributeUpdate{SearchCaseNumber.ValueSet(res.CaseNumber),
		SearchCategory.ValueSet(cls.Category), SearchSeverity.ValueSet(cls.Severity)}
	if !w.localStore() {
		attrs = append(attrs, SearchCaseStatus.ValueSet(complaint.StatusReceived))
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, attrs...)
	w.count(ctx, "complaints_received", map[string]string{"channel": w.in.Channel, "category": cls.Category, "severity": cls.Severity,
		"profile": res.Clocks.Profile, "region": complaint.RegionLabel(w.in.Region)})
	return nil
}

// classify is the case's initial assessment: from VersionClassifier the
// one the API made, when it gave a usable one; else the keyword rules.
func (w *caseWorkflow) classify() complaint.Classification {
	if g := w.given; w.version >= VersionClassifier && g != nil && complaint.ValidTaxonomyCode(g.Category) && complaint.ValidSeverity(g.Severity) {
		cls := *g
		cls.Priority = complaint.PriorityFor(cls.Severity, 0)
		return cls
	}
	return complaint.Classify(w.in)
}

// acknowledge assigns a first handler and tells the customer the case
// number, who handles it and when to expect a resolution.
func (w *caseWorkflow) acknowledge(ctx workflow.Context) error {
	var as AssignResult
	if err := w.storeGet(ctx, "assigned", ActivityAssign, AssignInput{
		CaseID: w.st.CaseID, Category: w.st.Category, Role: complaint.RoleAgent,
	}, &as); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	now := workflow.Now(ctx)
	w.st.Assignee, w.st.Team = as.Assignee, as.Team
	w.st.AcknowledgedAt = &now
	w.markMet(ctx, now, complaint.ClockAcknowledge)
	w.observe(ctx, "complaints_acknowledge_latency", now.Sub(w.st.ReceivedAt), map[string]string{"profile": w.st.Clocks.Profile, "category": w.st.Category})
	due := w.deadline(complaint.ClockResolve).DueAt
	msgs := []complaint.Message{{
		Key: "ack", Audience: "customer", Kind: "acknowledgement",
		Params: map[string]string{"case_number": w.st.CaseNumber, "handler": as.Name, "team": as.Team, "due": w.localTime(due)},
	}}
	if as.Assignee != "" {
		msgs = append(msgs, complaint.Message{Key: "assigned", Audience: "staff", Recipient: as.Assignee, Kind: "assigned",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	if as.Escalated || as.Assignee == "" {
		msgs = append(msgs, complaint.Message{Key: "unassigned", Audience: "staff", RecipientRole: complaint.RoleSupervisor, Team: as.Team, Kind: "unassigned",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	w.setStatus(ctx, complaint.StatusAcknowledged)
	return w.apply(ctx, complaint.Event{Type: "acknowledged", Actor: actorSystem, At: now, Payload: map[string]any{
		"assignee": as.Assignee, "team": as.Team, "escalated": as.Escalated, "resolve_due_at": due,
	}}, msgs...)
}

// assignRetry is how often an unowned case looks for a handler again.
const assignRetry = time.Hour

// waitLeaving waits until a handler moves the case out of status. A case
// nobody could be assigned to (no staff registered yet) looks for a
// handler again every assignRetry, so nobody-owns-it does not last.
func (w *caseWorkflow) waitLeaving(ctx workflow.Context, status string) error {
	left := func() bool { return w.st.Status != status || w.continueSuggested(ctx) }
	for w.st.Assignee == "" {
		ok, err := w.awaitFor(ctx, assignRetry, func() bool { return left() || w.st.Assignee != "" })
		if err != nil || ok {
			return err
		}
		var as AssignResult
		if err := w.storeGet(ctx, "assigned", ActivityAssign, AssignInput{
			CaseID: w.st.CaseID, Category: w.st.Category, Team: w.st.Team, Role: w.st.Level,
		}, &as); err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		if as.Assignee == "" || w.st.Assignee != "" {
			continue
		}
		w.st.Assignee = as.Assignee
		if err := w.apply(ctx, complaint.Event{Type: "assigned", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"assignee": as.Assignee, "retry": true}},
			complaint.Message{Key: fmt.Sprintf("assigned-%d", w.st.EventSeq+1), Audience: "staff", Recipient: as.Assignee, Kind: "assigned",
				Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, left)
}

func (w *caseWorkflow) continueSuggested(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// apply writes one audit event (with the case row's new values and the
// messages it sends) through the ApplyChange activity.
//
// Each change carries the whole current row (Row), not a delta: changes of
// one case may be applied out of order (an update handler's activity and
// the main loop's run concurrently), and the store keeps a row only from a
// change newer than the one it has, so the row always ends as the newest
// state and never as a mix.
func (w *caseWorkflow) apply(ctx workflow.Context, ev complaint.Event, msgs ...complaint.Message) error {
	return w.applyWith(ctx, nil, ev, msgs...)
}

// applyWith is apply with more to write in the same transaction: with
// sets it on the change (a party's row).
func (w *caseWorkflow) applyWith(ctx workflow.Context, with func(*complaint.Change), ev complaint.Event, msgs ...complaint.Message) error {
	if err := w.waitUnblocked(ctx); err != nil {
		return err
	}
	w.st.EventSeq++
	w.changed++
	for _, m := range msgs {
		if m.Audience == "customer" {
			w.st.LastCustomerUpdate = ev.At
		}
	}
	ch := complaint.Change{CaseID: w.st.CaseID, Seq: w.st.EventSeq, Event: ev, Row: w.row(), Messages: msgs, Language: w.st.Language}
	if with != nil {
		with(&ch)
	}
	for {
		err := w.store(ctx, ActivityApply, ch).Get(ctx, nil)
		if err == nil {
			break
		}
		if !w.handlesRejections() || !IsStoreRejected(err) {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		retry, err := w.rejected(ctx, ch, err)
		if !retry {
			return err
		}
	}
	if scope := scopeOf(ctx); scope != nil {
		// The handler's changes so far are written: a later refusal
		// goes back to here.
		scope.before = cloneState(w.st)
	}
	return nil
}

// count increments a workflow metric through the replay-safe handler.
func (w *caseWorkflow) count(ctx workflow.Context, name string, tags map[string]string) {
	workflow.GetMetricsHandler(ctx).WithTags(tags).Counter(name).Inc(1)
}

// observe records a duration through the replay-safe handler (a histogram
// with buckets that reach weeks).
func (w *caseWorkflow) observe(ctx workflow.Context, name string, d time.Duration, tags map[string]string) {
	workflow.GetMetricsHandler(ctx).WithTags(tags).Timer(name).Record(d)
}

// row is the case row as the current state says it should be.
func (w *caseWorkflow) row() complaint.CaseRow {
	r := complaint.CaseRow{Status: w.st.Status, SurveyStatus: w.st.SurveyStatus, Assignee: w.st.Assignee, Team: w.st.Team,
		Level: w.st.Level, Category: w.st.Category, Severity: w.st.Severity, Priority: w.st.Priority,
		AppealCount: w.st.AppealCount, RepeatCount: w.repeats(), TransferCount: w.st.TransferCount,
		AtRisk: w.st.AtRisk, AcknowledgedAt: w.st.AcknowledgedAt, ResolvedAt: w.st.ResolvedAt, ClosedAt: w.st.ClosedAt,
		Compensation: w.st.Compensation, Outcome: w.st.Outcome, SurveyScore: w.st.SurveyScore, ReversalFailed: len(w.st.ReversalFailed) > 0,
		MergedInto: w.st.MergedInto}
	dues := complaint.DuesOf(w.st.Deadlines)
	r.Breached, r.AckDueAt, r.ResolveDueAt = dues.Breached, dues.Ack, dues.Resolve
	if p := w.st.Proposal; p != nil && w.st.Status == complaint.StatusAwaitingApproval {
		r.ApprovalRole = p.Required.MinRole
		if p.EscalatedTo != "" {
			r.ApprovalRole = p.EscalatedTo
		}
		since := p.ProposedAt
		r.ApprovalSince = &since
		pa := &complaint.PendingApproval{Total: p.Required.Total, Currency: p.Required.Currency, Remedies: p.Remedies,
			Refusal: p.RefusalReason != "", ProposedBy: p.ProposedBy, ApprovedBy: []string{}, MinRole: r.ApprovalRole,
			Approvers: p.Required.Approvers, DueAt: p.DueAt}
		if pa.Remedies == nil {
			pa.Remedies = []complaint.Remedy{}
		}
		for _, a := range p.Approvals {
			if a.Decision == "approve" {
				pa.ApprovedBy = append(pa.ApprovedBy, a.By)
			}
		}
		r.PendingApproval = pa
	}
	if f := w.st.Findings; f != nil {
		r.Cause, r.CauseDetail, r.Responsibility = f.Cause, f.CauseDetail, f.Responsibility
	}
	return r
}

// setStatus changes the status and keeps the search attribute current.
func (w *caseWorkflow) setStatus(ctx workflow.Context, status string) {
	if w.st.Status == status {
		return
	}
	prev := w.st.Status
	w.st.Status = status
	w.changed++
	// Clocks that pause stop while the case waits for the customer.
	if status == complaint.StatusAwaitingInfo {
		w.pauseClocks(workflow.Now(ctx))
	} else if prev == complaint.StatusAwaitingInfo {
		w.resumeClocks(workflow.Now(ctx))
	}
	if !w.localStore() {
		// Cases started before VersionLocalStore recorded the status at
		// every step. It is now set at registration only: the case row
		// in PostgreSQL is what staff search by status, and an upsert per
		// step cost an event each.
		_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCaseStatus.ValueSet(status))
	}
}
