package apiserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// Channels a complaint may arrive by.
var Channels = []string{"phone", "email", "web", "social", "store", "post", "regulator"}

type customerBody struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

type complaintBody struct {
	Customer      customerBody `json:"customer"`
	Channel       string       `json:"channel"`
	Subject       string       `json:"subject"`
	Description   string       `json:"description"`
	DesiredRemedy string       `json:"desired_remedy"`
	OrderRef      string       `json:"order_ref"`
	Product       string       `json:"product"`
	Region        string       `json:"region"`
	Branch        string       `json:"branch"`
	Language      string       `json:"language"`
	Profile       string       `json:"profile"`
	ReceivedAt    *time.Time   `json:"received_at"`
}

// CreatedComplaint answers POST /v1/complaints.
// An anonymous caller filing about an existing case gets its number,
// status and Message only (see answerExisting).
type CreatedComplaint struct {
	ID            string `json:"id,omitempty"`
	CaseNumber    string `json:"case_number"`
	Status        string `json:"status"`
	TrackingToken string `json:"tracking_token,omitempty"`
	TrackingURL   string `json:"tracking_url,omitempty"`
	RepeatContact bool   `json:"repeat_contact"`
	Message       string `json:"message,omitempty"`
}

// MaxDescription is the longest description accepted, in characters (see
// workflows.MaxDescription).
const MaxDescription = wf.MaxDescription

func (b complaintBody) validate(staff bool, profiles func(string) bool, now time.Time) []FieldProblem {
	var errs []FieldProblem
	// Every text field goes through the workflow's own check (the one
	// its intake validator makes), so the two cannot disagree.
	for _, f := range wf.InvalidFieldsOf(wf.ValidateComplaintText(wf.Complaint{Customer: wf.Customer(b.Customer),
		Subject: b.Subject, Description: b.Description, DesiredRemedy: b.DesiredRemedy, OrderRef: b.OrderRef,
		Product: b.Product, Region: b.Region, Branch: b.Branch})) {
		errs = append(errs, FieldProblem{f.Field, f.Message})
	}
	if b.Customer.Phone == "" && b.Customer.Email == "" {
		errs = append(errs, FieldProblem{"customer.phone", "give a phone number or an email address so we can reach you"})
	}
	if b.Customer.Email != "" {
		if a, err := mail.ParseAddress(b.Customer.Email); err != nil || a.Address != b.Customer.Email {
			errs = append(errs, FieldProblem{"customer.email", "is not a valid email address"})
		}
	}
	if b.Customer.Phone != "" && strings.Trim(b.Customer.Phone, "+0123456789 -()") != "" {
		errs = append(errs, FieldProblem{"customer.phone", "may contain only digits, spaces, + - ( )"})
	}
	if !slices.Contains(Channels, b.Channel) {
		errs = append(errs, FieldProblem{"channel", "must be one of " + strings.Join(Channels, ", ")})
	}
	if b.Language != "" && b.Language != "zh" && b.Language != "en" {
		errs = append(errs, FieldProblem{"language", "must be zh or en"})
	}
	if b.Profile != "" && !profiles(b.Profile) {
		errs = append(errs, FieldProblem{"profile", "is not a known clock profile"})
	}
	if b.ReceivedAt != nil {
		switch {
		case !staff:
			errs = append(errs, FieldProblem{"received_at", "may only be given by staff entering a complaint"})
		case b.ReceivedAt.After(now.Add(time.Minute)):
			errs = append(errs, FieldProblem{"received_at", "must not be in the future"})
		case b.ReceivedAt.Before(now.AddDate(-1, 0, 0)):
			errs = append(errs, FieldProblem{"received_at", "must be within the last year"})
		}
	}
	return errs
}

// mergeProblems is every problem of a and b, one per field (a's first).
func mergeProblems(a, b []FieldProblem) []FieldProblem {
	out := slices.Clone(a)
	for _, p := range b {
		if !slices.ContainsFunc(out, func(q FieldProblem) bool { return q.Field == p.Field }) {
			out = append(out, p)
		}
	}
	return out
}

// matterWorkflowID is the workflow id for a complaint. A complaint with an
// order or policy reference is keyed by customer and reference, so that
// Temporal's workflow-id uniqueness (update-with-start, use-existing)
// attaches a repeat contact to the open case without a check-then-act
// race; otherwise by its case id. The customer and reference are hashed
// with a server key (HMAC), so an id seen in Temporal's UI, logs or a
// leaked history cannot be confirmed against a guessed customer and order
// offline.
func matterWorkflowID(key []byte, customerID, orderRef, caseID string) string {
	ref := strings.ToLower(strings.TrimSpace(orderRef))
	if ref == "" {
		return "complaint:" + caseID
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(customerID + "\x00" + ref))
	return "complaint:k-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// legacyMatterWorkflowID is the unkeyed id cases opened before the keyed
// one were started under; their repeat contacts still go to them.
func legacyMatterWorkflowID(customerID, orderRef string) string {
	ref := strings.ToLower(strings.TrimSpace(orderRef))
	h := sha256.Sum256([]byte(customerID + "\x00" + ref))
	return "complaint:m-" + hex.EncodeToString(h[:12])
}

// workflowIDKey derives the key of matterWorkflowID from the token secret,
// under its own label, so neither use can stand in for the other.
func workflowIDKey(tokenSecret []byte) []byte {
	m := hmac.New(sha256.New, tokenSecret)
	m.Write([]byte("complaints/matter-workflow-id/v1"))
	return m.Sum(nil)
}

// workflowIDFor is the workflow a complaint goes to: its matter's keyed
// id, unless a case on the same matter is still live under the legacy id.
func (s *Server) workflowIDFor(c *gin.Context, customerID, orderRef, caseID string) (string, error) {
	id := matterWorkflowID(s.wfIDKey, customerID, orderRef, caseID)
	if strings.TrimSpace(orderRef) == "" {
		return id, nil
	}
	legacy := legacyMatterWorkflowID(customerID, orderRef)
	_, err := s.store.LiveCaseForWorkflow(c, legacy)
	switch {
	case err == nil:
		return legacy, nil
	case errors.Is(err, store.ErrNotFound):
		return id, nil
	default:
		return "", err
	}
}

// caseIDFor derives the case id from a scoped Idempotency-Key (so a retry
// names the same case) or makes a new one.
func caseIDFor(scopedKey string) string {
	if scopedKey == "" {
		return uuid.NewString()
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("idempotency:"+scopedKey)).String()
}

func (s *Server) createComplaint(c *gin.Context) {
	var b complaintBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	staff := staffOf(c)
	now := time.Now().UTC()
	profiles := wf.Profiles()
	if errs := mergeProblems(bad, b.validate(staff != nil, func(p string) bool { _, ok := profiles[p]; return ok }, now)); len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	// The key is scoped to its caller: a staff member's, or the customer
	// the anonymous filing is for (the idempotency middleware has checked
	// the body is the one first sent with it).
	key := c.GetHeader("Idempotency-Key")
	scopedKey := ""
	if key != "" {
		scopedKey = b.Customer.ID + ":" + key
		if staff != nil {
			scopedKey = "staff:" + staff.ID + ":" + scopedKey
		}
		if id, err := s.store.CaseForIdempotencyKey(c, scopedKey); err == nil {
			cs, err := s.store.GetCase(c, id)
			if err != nil {
				s.fail(c, "get case", err)
				return
			}
			if staff == nil {
				s.answerExisting(c, cs.ID, cs.CaseNumber, cs.Status, false)
				return
			}
			c.JSON(http.StatusOK, s.created(cs.ID, cs.CaseNumber, cs.Status, false))
			return
		}
	}
	if b.Language == "" {
		b.Language = "zh"
	}
	if b.Profile == "" {
		b.Profile = "default"
	}
	received := now
	if b.ReceivedAt != nil {
		received = b.ReceivedAt.UTC()
	}
	cmp := wf.Complaint{
		CaseID: caseIDFor(scopedKey), IdempotencyKey: scopedKey,
		Customer: wf.Customer(b.Customer), Channel: b.Channel, Subject: b.Subject, Description: b.Description,
		DesiredRemedy: b.DesiredRemedy, OrderRef: b.OrderRef, Product: b.Product, Region: b.Region, Branch: b.Branch,
		Language: b.Language, Profile: b.Profile, ReceivedAt: received, Anonymous: staff == nil,
	}
	if staff != nil {
		cmp.EnteredBy = staff.ID
	}
	wfID, err := s.workflowIDFor(c, b.Customer.ID, b.OrderRef, cmp.CaseID)
	if err != nil {
		s.fail(c, "intake", err)
		return
	}
	ctx, cancel := context.WithTimeout(decisionContext(c, cmp.CaseID), s.cfg.TemporalTimeout)
	defer cancel()
	op := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: wfID, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, wf.WorkflowName, wf.NewInput(cmp))
	h, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: wfID, UpdateName: wf.UpdateIntake, Args: []any{cmp},
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		s.fail(c, "intake", err)
		return
	}
	var res wf.IntakeResult
	if err := h.Get(ctx, &res); err != nil {
		s.fail(c, "intake", err)
		return
	}
	existing := res.RepeatContact || res.Duplicate || res.CaseID != cmp.CaseID
	// An anonymous caller gets the token of the case it has just opened,
	// and of no other: knowing a customer's id and order reference, or
	// replaying a request, is not proof of being that customer.
	if staff == nil && (existing || idempotentReplay(c)) {
		s.answerExisting(c, res.CaseID, res.CaseNumber, res.Status, res.RepeatContact)
		return
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	c.JSON(status, s.created(res.CaseID, res.CaseNumber, res.Status, res.RepeatContact))
}

func (s *Server) created(id, number, status string, repeat bool) CreatedComplaint {
	tok := activities.TrackingToken(s.cfg.TokenSecret, id)
	return CreatedComplaint{ID: id, CaseNumber: number, Status: status, TrackingToken: tok,
		TrackingURL: s.cfg.PublicBaseURL + "/track/" + tok, RepeatContact: repeat}
}

// Tracking is the customer's view of their case.
type Tracking struct {
	CaseNumber   string          `json:"case_number"`
	Status       string          `json:"status"`
	SurveyStatus string          `json:"survey_status,omitempty"`
	ExpectedBy   *time.Time      `json:"expected_resolution_at,omitempty"`
	Messages     []store.Message `json:"messages"`
	Proposal     *TrackProposal  `json:"proposal,omitempty"`
	Question     string          `json:"question,omitempty"`
	Language     string          `json:"language"`
	// TimeZone is the IANA zone of the case's business calendar: the
	// messages give times in it, so the page does too, naming it.
	TimeZone string `json:"time_zone,omitempty"`
}

// TrackProposal is the resolution awaiting the customer's answer.
type TrackProposal struct {
	Message       string      `json:"message"`
	Remedies      []wf.Remedy `json:"remedies,omitempty"`
	RefusalReason string      `json:"refusal_reason,omitempty"`
}

func (s *Server) caseByTracking(c *gin.Context) (store.Case, bool) {
	tok := c.Param("token")
	if len(tok) > 100 {
		problem(c, http.StatusNotFound, "not found", "")
		return store.Case{}, false
	}
	cs, err := s.store.GetCaseByTrackingToken(c, store.HashToken(tok))
	if err != nil {
		s.fail(c, "track", err)
		return store.Case{}, false
	}
	return cs, true
}

func (s *Server) track(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	msgs, err := s.store.CustomerMessages(c, cs.ID)
	if err != nil {
		s.fail(c, "messages", err)
		return
	}
	if msgs == nil {
		msgs = []store.Message{}
	}
	t := Tracking{CaseNumber: cs.CaseNumber, Status: cs.Status, ExpectedBy: cs.ResolveDueAt, Messages: msgs, Language: cs.Language,
		TimeZone: s.caseZone(c, cs.Profile)}
	if cs.SurveyStatus != nil {
		t.SurveyStatus = *cs.SurveyStatus
	}
	if cs.Status == wf.StatusAwaitingCustomer || cs.Status == wf.StatusAwaitingInfo {
		if st, err := s.queryState(c, cs); err == nil {
			if st.Proposal != nil && cs.Status == wf.StatusAwaitingCustomer {
				t.Proposal = &TrackProposal{Message: st.Proposal.Message, Remedies: st.Proposal.Remedies, RefusalReason: st.Proposal.RefusalReason}
			}
			t.Question = st.PendingQuestion
		}
	}
	c.JSON(http.StatusOK, t)
}

// caseZone is the time zone of a profile's calendar, "" when unknown (the
// page then uses the viewer's own zone, naming it).
func (s *Server) caseZone(c *gin.Context, profile string) string {
	p, ok := wf.Profiles()[profile]
	if !ok {
		return ""
	}
	cal, err := s.store.Calendar(c, p.CalendarID)
	if err != nil {
		return ""
	}
	return cal.TimeZone
}

func (s *Server) trackResponse(c *gin.Context) {
	var r wf.CustomerResponse
	if !decode(c, &r) {
		return
	}
	s.customerUpdate(c, wf.UpdateCustomerResponse, r)
}

func (s *Server) trackInfo(c *gin.Context) {
	var r wf.CustomerInfo
	if !decode(c, &r) {
		return
	}
	s.customerUpdate(c, wf.UpdateCustomerInfo, r)
}

func (s *Server) trackWithdraw(c *gin.Context) {
	var r wf.WithdrawRequest
	if c.Request.ContentLength != 0 && !decode(c, &r) {
		return
	}
	s.customerUpdate(c, wf.UpdateWithdraw, r)
}

func (s *Server) customerUpdate(c *gin.Context, name string, arg any) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	st, err := s.update(c, cs, name, arg, customerViewAllows(name, cs))
	if err != nil {
		s.fail(c, name, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_number": st.CaseNumber, "status": st.Status, "survey_status": st.SurveyStatus})
}

// surveyInfo tells the survey page which case a link is for, in which
// language, and whether it can still be answered.
func (s *Server) surveyInfo(c *gin.Context) {
	cs, ok := s.caseBySurvey(c)
	if !ok {
		return
	}
	status := ""
	if cs.SurveyStatus != nil {
		status = *cs.SurveyStatus
	}
	c.JSON(http.StatusOK, gin.H{"case_number": cs.CaseNumber, "language": cs.Language, "survey_status": status})
}

func (s *Server) caseBySurvey(c *gin.Context) (store.Case, bool) {
	tok := c.Param("token")
	if len(tok) > 100 {
		problem(c, http.StatusNotFound, "not found", "")
		return store.Case{}, false
	}
	cs, err := s.store.GetCaseBySurveyToken(c, store.HashToken(tok))
	if err != nil {
		s.fail(c, "survey", err)
		return store.Case{}, false
	}
	return cs, true
}

func (s *Server) survey(c *gin.Context) {
	var r wf.SurveyAnswer
	if !decode(c, &r) {
		return
	}
	cs, ok := s.caseBySurvey(c)
	if !ok {
		return
	}
	st, err := s.update(c, cs, wf.UpdateSurvey, r, false)
	if err != nil {
		s.fail(c, "survey", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_number": st.CaseNumber, "survey_status": st.SurveyStatus})
}

// update sends an update to a case's workflow and waits for its result.
// With an Idempotency-Key header the update id is derived from it, so a
// client retrying after a timeout attaches to the same update (Temporal
// deduplicates update ids) and gets its result instead of acting twice.
//
// viewAllows says the case row the caller acted on (PostgreSQL) allows
// the action. The row can be ahead of the workflow for a few seconds:
// when a worker dies in a workflow task after its local activities wrote
// the row, another worker redoes the task after the task's timeout, and
// an update validated meanwhile is refused as in the wrong state (make
// chaos found it). Then the update is sent again, with the same id, until
// the workflow catches up or TEMPORAL_TIMEOUT passes: a refused update
// changed nothing and is not remembered, so the same id is validated
// afresh, and a client's later retry still finds the accepted one's
// result.
//
// The update is signed with the caller (decisionContext), so the worker
// acts only on what an authenticated caller of this API asked for.
func (s *Server) update(c *gin.Context, cs store.Case, name string, arg any, viewAllows bool) (wf.State, error) {
	ctx, cancel := context.WithTimeout(decisionContext(c, cs.ID), s.cfg.TemporalTimeout)
	defer cancel()
	updateID := ""
	if key := c.GetHeader("Idempotency-Key"); key != "" {
		h := sha256.Sum256([]byte(cs.ID + "\x00" + name + "\x00" + key + callerScope(c)))
		updateID = name + "-" + hex.EncodeToString(h[:12])
	}
	for {
		st, err := s.updateOnce(ctx, cs, updateID, name, arg)
		if err == nil || !viewAllows || !isWrongState(err) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (s *Server) updateOnce(ctx context.Context, cs store.Case, updateID, name string, arg any) (wf.State, error) {
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: updateID, WorkflowID: cs.WorkflowID, FirstExecutionRunID: cs.FirstRunID, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return wf.State{}, caseClosed(err)
	}
	var st wf.State
	if err := h.Get(ctx, &st); err != nil {
		return wf.State{}, caseClosed(err)
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

// customerViewAllows says the case row allows a customer's action: what
// the tracking page offered the customer.
func customerViewAllows(name string, cs store.Case) bool {
	switch name {
	case wf.UpdateCustomerResponse:
		return cs.Status == wf.StatusAwaitingCustomer
	case wf.UpdateCustomerInfo:
		return cs.Status == wf.StatusAwaitingInfo
	case wf.UpdateWithdraw:
		return cs.Status != wf.StatusClosed && cs.Status != wf.StatusWithdrawn
	}
	return false
}

func (s *Server) queryState(c *gin.Context, cs store.Case) (wf.State, error) {
	ctx, cancel := context.WithTimeout(c, s.cfg.TemporalTimeout)
	defer cancel()
	v, err := s.temporal.QueryWorkflow(ctx, cs.WorkflowID, "", wf.QueryState)
	if err != nil {
		return wf.State{}, err
	}
	var st wf.State
	if err := v.Get(&st); err != nil {
		return wf.State{}, err
	}
	if st.CaseID != cs.ID {
		// The matter's workflow has moved on to a newer case.
		return wf.State{}, fmt.Errorf("query: case %s is no longer running: %w", cs.ID, store.ErrNotFound)
	}
	return st, nil
}
