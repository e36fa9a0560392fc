package apiserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// Channels returns the channels a complaint may arrive by.
func Channels() []string {
	return []string{"phone", "email", "web", "social", "store", "post", "regulator"}
}

// Languages returns the languages a case, its messages and the pages may
// be in; the pages default to the first.
func Languages() []string { return []string{"zh", "en"} }

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
// complaint.MaxDescription).
const MaxDescription = complaint.MaxDescription

// request is the body as the domain's filing; staffID is the staff member
// entering it ("" for the customer's own filing).
func (b complaintBody) request(staffID string) complaint.IntakeRequest {
	return complaint.IntakeRequest{Customer: complaint.Customer(b.Customer), Channel: b.Channel, Subject: b.Subject,
		Description: b.Description, DesiredRemedy: b.DesiredRemedy, OrderRef: b.OrderRef, Product: b.Product,
		Region: b.Region, Branch: b.Branch, Language: b.Language, Profile: b.Profile, ReceivedAt: b.ReceivedAt,
		EnteredBy: staffID}
}

// profileSet is the clock profiles the API knows, as the domain's
// ProfileSet.
type profileSet map[string]complaint.Clocks

// Known reports whether name is one of the profiles.
func (p profileSet) Known(name string) bool { _, ok := p[name]; return ok }

// fieldProblems are the bad fields of a domain validation's FieldErrors
// (none for nil or any other error), with their codes.
func fieldProblems(err error) []FieldProblem { return complaint.InvalidFieldsOf(err) }

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
func (s *Server) workflowIDFor(c context.Context, customerID, orderRef, caseID string) (string, error) {
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

// classifyWait bounds how long an intake waits for the classifier.
const classifyWait = 3 * time.Second

// classification is a new complaint's initial assessment against the
// taxonomy, for its workflow's Input; nil (the workflow's keyword rules
// then classify it) when no classifier is configured or it cannot read
// the taxonomy: a complaint is never refused for that.
func (s *Server) classification(ctx context.Context, cmp complaint.Complaint) *complaint.Classification {
	if s.cfg.Classifier == nil {
		return nil
	}
	// A process just started may still be loading the segmenter's
	// dictionary: the complaint does not wait for it past classifyWait.
	ctx, cancel := context.WithTimeout(ctx, classifyWait)
	defer cancel()
	r, err := s.cfg.Classifier.Classify(ctx, cmp)
	if err != nil {
		s.logger.Warn("classifier unavailable; the workflow classifies by keywords", "case_id", cmp.CaseID, "err", err)
		return nil
	}
	return &r.Classification
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
	if staff == nil {
		b.deriveAnonymousCustomer()
	}
	staffID := ""
	if staff != nil {
		staffID = staff.ID
	}
	req := b.request(staffID)
	if errs := mergeProblems(bad, fieldProblems(req.Validate(profileSet(complaint.Profiles()), now))); len(errs) > 0 {
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
			s.answerKnownCase(c, staff, cs.ID, cs.CaseNumber, cs.Status, false)
			return
		}
	}
	cmp := req.Complaint(caseIDFor(scopedKey), scopedKey, staff == nil, now)
	wfID, err := s.workflowIDFor(c, b.Customer.ID, b.OrderRef, cmp.CaseID)
	if err != nil {
		s.fail(c, "intake", err)
		return
	}
	if s.repeatsExceeded(c, wfID) {
		return
	}
	ctx, cancel := context.WithTimeout(decisionContext(c, cmp.CaseID), s.cfg.TemporalTimeout)
	defer cancel()
	res, err := s.startIntake(ctx, cmp, wfID)
	if err != nil {
		s.fail(c, "intake", err)
		return
	}
	existing := res.RepeatContact || res.Duplicate || res.CaseID != cmp.CaseID
	// An anonymous caller gets the token of the case it has just opened,
	// and of no other: knowing a customer's id and order reference, or
	// replaying a request, is not proof of being that customer.
	if existing || staff == nil && idempotentReplay(c) {
		s.answerKnownCase(c, staff, res.CaseID, res.CaseNumber, res.Status, res.RepeatContact)
		return
	}
	c.JSON(http.StatusCreated, s.created(res.CaseID, res.CaseNumber, res.Status, res.RepeatContact))
}

// startIntake sends a valid filing to the workflow wfID (starting it when
// no case runs there) and returns what the case made of it. When the
// workflow task that was to take the filing fails (WorkflowNotReady:
// nothing was admitted), the filing is sent again, with the same update
// id, until ctx ends.
func (s *Server) startIntake(ctx context.Context, cmp complaint.Complaint, wfID string) (wf.IntakeResult, error) {
	updateID := wf.UpdateIntake + "-" + uuid.NewString()
	input := wf.NewInput(cmp)
	input.Classification = s.classification(ctx, cmp)
	var res wf.IntakeResult
	for {
		op := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID: wfID, TaskQueue: s.cfg.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, wf.WorkflowName, input)
		h, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: op,
			UpdateOptions: client.UpdateWorkflowOptions{UpdateID: updateID, WorkflowID: wfID, UpdateName: wf.UpdateIntake,
				Args: []any{cmp}, WaitForStage: client.WorkflowUpdateStageCompleted},
		})
		if err == nil {
			err = h.Get(ctx, &res)
		}
		if err == nil {
			return res, nil
		}
		if !notReady(err) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// answerKnownCase answers a filing that went to a case it did not open
// (a repeat contact, or a replayed request): with the token only for
// staff who may handle the case (staffSeesToken), else as answerExisting.
func (s *Server) answerKnownCase(c *gin.Context, staff *store.Staff, id, number, status string, repeat bool) {
	if staff != nil {
		ok, err := s.staffSeesToken(c, staff, id)
		if err != nil {
			s.fail(c, "get case", err)
			return
		}
		if ok {
			c.JSON(http.StatusOK, s.created(id, number, status, repeat))
			return
		}
	}
	s.answerExisting(c, id, number, status, repeat)
}

func (s *Server) created(id, number, status string, repeat bool) CreatedComplaint {
	tok := complaint.TrackingToken(s.cfg.TokenSecret, id)
	return CreatedComplaint{ID: id, CaseNumber: number, Status: status, TrackingToken: tok,
		TrackingURL: s.cfg.PublicBaseURL + "/track/" + tok, RepeatContact: repeat}
}
