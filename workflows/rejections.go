package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// A change PostgreSQL refuses for good (ErrTypeStoreRejected: a data
// exception or a constraint violation, which no retry can mend) must not
// leave the workflow and the case's records disagreeing. From
// VersionStoreRejections on:
//
//   - an update handler whose write is refused restores the state it found
//     (and so the audit sequence counter: the next event takes the refused
//     one's number, and the trail has no gap) and fails the update with the
//     StoreRejected error; the workflow goes on;
//   - a change the workflow makes on its own (registration, acknowledgement,
//     reminders, closing, the survey...) keeps the case where it is and is
//     tried again every storeRejectedRetry, so an operator can repair the
//     data or the schema. Meanwhile the case is blocked: updates are
//     refused (ErrTypeCaseBlocked) and no other change is written, so the
//     refused one keeps its sequence number and the row lags the workflow
//     by that one change only;
//   - either way complaints_store_rejected_total{change} counts it, and the
//     StoreRejectingChanges alert fires.
//
// The main loop does not act on a status an update handler has set until
// the handler's write is done (w.pending), so a refused approval never
// starts a payment and a refused withdrawal never ends the case.

// storeRejectedRetry is how long the workflow waits before trying again a
// change of its own that the store refused.
const storeRejectedRetry = time.Hour

// metricStoreRejected counts refused changes by event type.
const metricStoreRejected = "complaints_store_rejected"

// handlesRejections says the case runs VersionStoreRejections's code path.
func (w *caseWorkflow) handlesRejections() bool { return w.version >= VersionStoreRejections }

// IsStoreRejected says err is (or wraps) a StoreRejected application error.
func IsStoreRejected(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == ErrTypeStoreRejected
}

// updateScope is what an update handler's context carries: the state as it
// was before the handler changed it, refreshed after each of its writes.
type updateScope struct{ before complaint.State }

type updateScopeKey struct{}

func scopeOf(ctx workflow.Context) *updateScope {
	s, _ := ctx.Value(updateScopeKey{}).(*updateScope)
	return s
}

// cloneState deep-copies a state (it holds pointers and slices) through
// JSON, as continue-as-new carries it, so the copy is exactly what the
// workflow could resume from. workflowcheck flags encoding/json for its
// use of reflection and map iteration; its output is deterministic all the
// same (struct fields in declaration order, map keys sorted), and the copy
// produces no command, so the check is waived for this function alone.
//
//workflowcheck:ignore
func cloneState(s complaint.State) complaint.State {
	b, err := json.Marshal(s)
	if err != nil {
		panic("clone state: " + err.Error())
	}
	var out complaint.State
	if err := json.Unmarshal(b, &out); err != nil {
		panic("clone state: " + err.Error())
	}
	return out
}

// guarded wraps an update handler: its errors cross Temporal typed (see
// AppError), and from VersionStoreRejections on it holds the main loop
// while it runs (hold) and gives apply the state to restore.
func guarded[T, R any](w *caseWorkflow, hold bool, fn func(workflow.Context, T) (R, error)) func(workflow.Context, T) (R, error) {
	return func(ctx workflow.Context, r T) (R, error) {
		if !w.handlesRejections() {
			res, err := fn(ctx, r)
			return res, AppError(err)
		}
		if w.tracksParties() && w.st.Status == complaint.StatusMerged {
			// A decision accepted in the same workflow task as the merge
			// that ran first: the merge won, and this one is refused.
			var zero R
			return zero, AppError(complaint.WrongState("the case was merged into %s", w.st.MergedIntoNumber))
		}
		if hold {
			w.pending++
			defer func() { w.pending-- }()
		}
		scope := &updateScope{before: cloneState(w.st)}
		res, err := fn(workflow.WithValue(ctx, updateScopeKey{}, scope), r)
		return res, AppError(err)
	}
}

// validator wraps an update validator so its errors cross Temporal typed;
// from VersionStoreRejections on it refuses every update while a change of
// the workflow's own waits for the store (w.blocked).
func validator[T any](w *caseWorkflow, fn func(workflow.Context, T) error) func(workflow.Context, T) error {
	return func(ctx workflow.Context, r T) error {
		if w.handlesRejections() && w.blocked > 0 {
			// First: whatever else the validator would say, this is why the
			// case refuses now.
			return AppError(fmt.Errorf("%w: the case's records refused a change and are waiting for repair; try again later", complaint.ErrCaseBlocked))
		}
		return AppError(fn(ctx, r))
	}
}

// waitUnblocked holds a write while a refused change of the workflow's own
// waits to be tried again, so that change keeps its sequence number and
// nothing is written after it (no gap, and no later row) before it is.
func (w *caseWorkflow) waitUnblocked(ctx workflow.Context) error {
	if !w.handlesRejections() || w.blocked == 0 {
		return nil
	}
	return workflow.Await(ctx, func() bool { return w.blocked == 0 })
}

// blockedSleep waits storeRejectedRetry with the case blocked.
func (w *caseWorkflow) blockedSleep(ctx workflow.Context) error {
	w.blocked++
	defer func() { w.blocked-- }()
	return workflow.Sleep(ctx, storeRejectedRetry)
}

// waitHandlers holds the main loop while an update handler's write is in
// flight (VersionStoreRejections), so it acts only on changes the store
// took.
func (w *caseWorkflow) waitHandlers(ctx workflow.Context) error {
	if !w.handlesRejections() || w.pending == 0 {
		return nil
	}
	return workflow.Await(ctx, func() bool { return w.pending == 0 })
}

// rejected handles the store's refusal of change ch (already counted in
// w.st.EventSeq). In an update handler it restores the state the handler
// found and returns err; for the workflow's own changes it waits
// storeRejectedRetry and reports true: try the same change again.
func (w *caseWorkflow) rejected(ctx workflow.Context, ch complaint.Change, err error) (retry bool, _ error) {
	w.count(ctx, metricStoreRejected, map[string]string{"change": ch.Event.Type})
	workflow.GetLogger(ctx).Error("the store refused a change", "case_id", w.st.CaseID, "seq", ch.Seq, "type", ch.Event.Type, "err", err)
	scope := scopeOf(ctx)
	if scope == nil {
		if serr := w.blockedSleep(ctx); serr != nil {
			return false, serr
		}
		return true, nil
	}
	if w.st.EventSeq == ch.Seq && scope.before.EventSeq == ch.Seq-1 {
		// Nothing else was written since the handler began: the state it
		// found is exactly what the records hold.
		w.st.EventSeq = scope.before.EventSeq
		w.restore(ctx, scope)
		return false, err
	}
	// Another change was written meanwhile: the state cannot simply go
	// back. The refused number is filled with an event that says so (no
	// request text), carrying the row of the last state the store took,
	// so the trail has no gap and the row does not move.
	gap := complaint.Change{CaseID: w.st.CaseID, Seq: ch.Seq, Language: w.st.Language, Row: ch.Row,
		Event: complaint.Event{Type: "change_rejected", Actor: actorSystem, At: ch.Event.At, Payload: map[string]any{"type": ch.Event.Type}}}
	saved := w.st
	w.st = scope.before
	gap.Row = w.row()
	w.st = saved
	if gerr := w.store(ctx, ActivityApply, gap).Get(ctx, nil); gerr != nil {
		workflow.GetLogger(ctx).Error("the refused change's number could not be filled", "case_id", w.st.CaseID, "seq", ch.Seq, "err", gerr)
	}
	return false, err
}

// storeGet runs one of the case's database activities other than
// ApplyChange (register, assign, open the survey, open a recovery task)
// and waits for its result. From VersionStoreRejections on, a refusal is
// counted as change; outside an update handler the same work is tried
// again every storeRejectedRetry, inside one the error is returned and the
// handler's state restored by its caller.
func (w *caseWorkflow) storeGet(ctx workflow.Context, change, name string, in, out any) error {
	for {
		err := w.store(ctx, name, in).Get(ctx, out)
		if err == nil || !w.handlesRejections() || !IsStoreRejected(err) {
			return err
		}
		w.count(ctx, metricStoreRejected, map[string]string{"change": change})
		workflow.GetLogger(ctx).Error("the store refused a change", "case_id", w.st.CaseID, "type", change, "err", err)
		if scope := scopeOf(ctx); scope != nil {
			w.restore(ctx, scope)
			return err
		}
		if serr := w.blockedSleep(ctx); serr != nil {
			return serr
		}
	}
}

// restore puts back the state an update handler found (or had written
// last), when nothing else has been written since.
func (w *caseWorkflow) restore(ctx workflow.Context, scope *updateScope) {
	if w.st.EventSeq != scope.before.EventSeq {
		return
	}
	cat, sev := w.st.Category, w.st.Severity
	w.st = cloneState(scope.before)
	w.changed++
	w.clockRev++
	if cat != w.st.Category || sev != w.st.Severity {
		_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCategory.ValueSet(w.st.Category), SearchSeverity.ValueSet(w.st.Severity))
	}
}
