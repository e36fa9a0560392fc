package apiserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/mail"
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
const MaxDescription = complaint.MaxDescription

func (b complaintBody) validate(staff bool, profiles func(string) bool, now time.Time) []FieldProblem {
	var errs []FieldProblem
	// Every text field goes through the workflow's own check (the one
	// its intake validator makes), so the two cannot disagree.
	for _, f := range complaint.InvalidFieldsOf(complaint.ValidateComplaintText(complaint.Complaint{Customer: complaint.Customer(b.Customer),
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
	profiles := complaint.Profiles()
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
	cmp := complaint.Complaint{
		CaseID: caseIDFor(scopedKey), IdempotencyKey: scopedKey,
		Customer: complaint.Customer(b.Customer), Channel: b.Channel, Subject: b.Subject, Description: b.Description,
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
	tok := complaint.TrackingToken(s.cfg.TokenSecret, id)
	return CreatedComplaint{ID: id, CaseNumber: number, Status: status, TrackingToken: tok,
		TrackingURL: s.cfg.PublicBaseURL + "/track/" + tok, RepeatContact: repeat}
}
