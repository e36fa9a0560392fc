package apiserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// update sends an update to a case's workflow and waits for its result.
// With an Idempotency-Key header the update id is derived from it, so a
// client retrying after a timeout attaches to the same update (Temporal
// deduplicates update ids) and gets its result instead of acting twice.
//
// allows (nil for none) says whether a case row allows the action. The
// row can be ahead of the workflow for a few seconds: when a worker dies
// in a workflow task after its local activities wrote the row, another
// worker redoes the task after the task's timeout, and an update
// validated meanwhile is refused as in the wrong state (make chaos found
// it). So while the workflow refuses as in the wrong state and the row,
// read again before each try, still allows the action, the update is sent
// again with the same id, until the workflow catches up or
// TEMPORAL_TIMEOUT passes: a refused update changed nothing and is not
// remembered, so the same id is validated afresh, and a client's later
// retry still finds the accepted one's result. The row is read again
// because it is the row as it is now that can be ahead, not the one read
// when the request came in: when another request moved the case on in
// between (a customer's second click), the workflow's refusal is the
// answer, at once.
//
// An update Temporal refuses because the workflow task that was to take
// it failed (WorkflowNotReady: nothing was admitted) is sent again the
// same way.
//
// The update is signed with the caller (decisionContext), so the worker
// acts only on what an authenticated caller of this API asked for.
func (s *Server) update(c *gin.Context, cs store.Case, name string, arg any, allows func(store.Case) bool) (complaint.State, error) {
	ctx, cancel := context.WithTimeout(decisionContext(c, cs.ID), s.cfg.TemporalTimeout)
	defer cancel()
	updateID := ""
	if key := c.GetHeader("Idempotency-Key"); key != "" {
		h := sha256.Sum256([]byte(cs.ID + "\x00" + name + "\x00" + key + callerScope(c)))
		updateID = name + "-" + hex.EncodeToString(h[:12])
	}
	if updateID == "" {
		// Sent again below: the same id each time, so it is admitted once.
		updateID = name + "-" + uuid.NewString()
	}
	for {
		st, err := s.updateOnce(ctx, cs, updateID, name, arg)
		switch {
		case err == nil:
			return st, nil
		case notReady(err):
			// The workflow task that was to take it failed; the next one will.
		case allows == nil || !isWrongState(err) || !s.rowAllows(ctx, cs.ID, allows):
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// rowAllows reads the case's row again and says whether it allows the
// action; a row that cannot be read allows nothing (the refusal stands).
func (s *Server) rowAllows(ctx context.Context, id string, allows func(store.Case) bool) bool {
	cs, err := s.store.GetCase(ctx, id)
	return err == nil && allows(cs)
}

func (s *Server) updateOnce(ctx context.Context, cs store.Case, updateID, name string, arg any) (complaint.State, error) {
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: updateID, WorkflowID: cs.WorkflowID, FirstExecutionRunID: cs.FirstRunID, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return complaint.State{}, caseClosed(err)
	}
	var st complaint.State
	if err := h.Get(ctx, &st); err != nil {
		return complaint.State{}, caseClosed(err)
	}
	return st, nil
}

// decisionContext carries who is acting, for the decision envelope that
// the Temporal client's interceptor signs on every update: the staff
// member of the request's token, or the customer (intake, or a tracking
// or survey link, authenticated by the link's token).
func decisionContext(c *gin.Context, caseID string) context.Context {
	actor := envelope.Customer
	if st := staffOf(c); st != nil {
		actor = envelope.Actor{ID: st.ID, Role: st.Role, Team: st.Team}
	}
	return envelope.WithCase(envelope.WithActor(c, actor), caseID)
}

// caseClosed turns Temporal's NotFound for an update into errCaseClosed:
// the caller has read the case's row, so its workflow has completed.
func caseClosed(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: %w", errCaseClosed, err)
	}
	return err
}

// customerViewAllows says what the tracking page offers the customer in
// a case row: whether the row allows the customer's action name.
func customerViewAllows(name string) func(store.Case) bool {
	return func(cs store.Case) bool {
		switch name {
		case wf.UpdateCustomerResponse:
			return cs.Status == complaint.StatusAwaitingCustomer
		case wf.UpdateCustomerInfo:
			return cs.Status == complaint.StatusAwaitingInfo
		case wf.UpdateWithdraw:
			return complaint.IsOpen(cs.Status)
		}
		return false
	}
}

// awaitingApproval is whether a case row shows a proposal awaiting approval.
func awaitingApproval(cs store.Case) bool { return cs.Status == complaint.StatusAwaitingApproval }

func (s *Server) queryState(c *gin.Context, cs store.Case) (complaint.State, error) {
	ctx, cancel := context.WithTimeout(c, s.cfg.TemporalTimeout)
	defer cancel()
	v, err := s.temporal.QueryWorkflow(ctx, cs.WorkflowID, "", wf.QueryState)
	if err != nil {
		return complaint.State{}, err
	}
	var st complaint.State
	if err := v.Get(&st); err != nil {
		return complaint.State{}, err
	}
	if st.CaseID != cs.ID {
		// The matter's workflow has moved on to a newer case.
		return complaint.State{}, fmt.Errorf("query: case %s is no longer running: %w", cs.ID, store.ErrNotFound)
	}
	return st, nil
}
