package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// IncidentCase is a linked complaint as an incident lists it (no
// personal data: its subject is masked).
type IncidentCase struct {
	ID         string `json:"id"`
	CaseNumber string `json:"case_number"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	Channel    string `json:"channel"`
	ReceivedAt string `json:"received_at"`
}

func (s *Server) listIncidents(c *gin.Context) {
	status := c.Query("status")
	if status != "" && status != "open" && status != "closed" {
		invalidFields(c, complaint.OneOfSaying("must be open or closed", "open", "closed").At("status"))
		return
	}
	list, err := s.store.Incidents(c, status)
	if err != nil {
		s.fail(c, "list incidents", err)
		return
	}
	if list == nil {
		list = []store.Incident{}
	}
	c.JSON(http.StatusOK, gin.H{"incidents": list})
}

func (s *Server) getIncident(c *gin.Context) {
	inc, err := s.store.GetIncident(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get incident", err)
		return
	}
	s.writeIncident(c, http.StatusOK, inc, gin.H{})
}

// writeIncident answers with the incident, its linked cases and updates,
// and extra fields.
func (s *Server) writeIncident(c *gin.Context, code int, inc store.Incident, extra gin.H) {
	cases, err := s.store.IncidentCases(c, inc.ID)
	if err != nil {
		s.fail(c, "incident cases", err)
		return
	}
	updates, err := s.store.IncidentUpdates(c, inc.ID)
	if err != nil {
		s.fail(c, "incident updates", err)
		return
	}
	// The linked cases are listed as any list is: only those in the
	// reader's scope (the team rule), and masked for everyone (the
	// incident's counts stay global: they name no one).
	sc := s.scopeOf(staffOf(c))
	out := make([]IncidentCase, 0, len(cases))
	for _, cs := range cases {
		if sc != nil && !sc.Sees(cs) {
			continue
		}
		maskCase(&cs)
		out = append(out, IncidentCase{ID: cs.ID, CaseNumber: cs.CaseNumber, Subject: cs.Subject, Status: cs.Status,
			Channel: cs.Channel, ReceivedAt: cs.ReceivedAt.UTC().Format("2006-01-02T15:04:05Z07:00")})
	}
	if updates == nil {
		updates = []store.IncidentUpdate{}
	}
	body := gin.H{"incident": inc, "cases": out, "updates": updates}
	for k, v := range extra {
		body[k] = v
	}
	c.JSON(code, body)
}

type incidentUpdateBody struct {
	Message string `json:"message"`
}

// postIncidentUpdate records an update and delivers it to every linked
// customer through a workflow (durable, once per case); complaints linked
// later get it when they are linked.
func (s *Server) postIncidentUpdate(c *gin.Context) {
	var b incidentUpdateBody
	if !decode(c, &b) {
		return
	}
	switch {
	case strings.TrimSpace(b.Message) == "":
		invalidFields(c, complaint.Required().At("message"))
		return
	case utf8.RuneCountInString(b.Message) > 4000:
		invalidFields(c, complaint.TooLong(4000).At("message"))
		return
	}
	inc, ok := s.openIncident(c, "updates go to open incidents only")
	if !ok {
		return
	}
	me := staffOf(c)
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		key = uuid.NewString()
	}
	u, err := s.store.AddIncidentUpdate(c, inc.ID, me.ID+":"+key, b.Message, me.ID)
	if err != nil {
		s.fail(c, "add incident update", err)
		return
	}
	ctx, cancel := context.WithTimeout(c, s.cfg.TemporalTimeout)
	defer cancel()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: fmt.Sprintf("incident-notice:%d", u.ID), TaskQueue: s.cfg.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, wf.IncidentNoticeName, u.ID)
	if err != nil {
		s.fail(c, "start incident notice", err)
		return
	}
	var notified int
	if err := run.Get(ctx, &notified); err != nil {
		s.fail(c, "incident notice", err)
		return
	}
	s.writeIncident(c, http.StatusCreated, inc, gin.H{"update": u, "notified": notified})
}

// openIncident is the incident of the path, answering 409 with detail
// when it is closed (and the error when it cannot be read).
func (s *Server) openIncident(c *gin.Context, detail string) (store.Incident, bool) {
	inc, err := s.store.GetIncident(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get incident", err)
		return inc, false
	}
	if inc.Status != "open" {
		problem(c, http.StatusConflict, "incident closed", detail)
		return inc, false
	}
	return inc, true
}

type closeIncidentBody struct {
	Note string `json:"note"`
}

func (s *Server) closeIncident(c *gin.Context) {
	var b closeIncidentBody
	if !decode(c, &b) {
		return
	}
	if strings.TrimSpace(b.Note) == "" {
		invalidFields(c, complaint.RequiredBecause(": say what was found and done").At("note"))
		return
	}
	inc, ok := s.openIncident(c, "the incident is closed already")
	if !ok {
		return
	}
	if err := s.store.CloseIncident(c, inc.ID, staffOf(c).ID, b.Note, time.Now()); err != nil {
		s.fail(c, "close incident", err)
		return
	}
	inc, err := s.store.GetIncident(c, inc.ID)
	if err != nil {
		s.fail(c, "get incident", err)
		return
	}
	s.writeIncident(c, http.StatusOK, inc, gin.H{})
}

type incidentResolutionBody struct {
	Cause             string       `json:"cause"`
	CauseDetail       string       `json:"cause_detail"`
	Responsibility    string       `json:"responsibility"`
	ResponsibleUnit   string       `json:"responsible_unit"`
	ResponsiblePerson string       `json:"responsible_person"`
	Summary           string       `json:"summary"`
	Remedies          []remedyBody `json:"remedies"`
	Message           string       `json:"message"`
}

// proposeIncidentResolution records one resolution for every linked case:
// the root cause and the remedies each customer is offered. Another member
// of staff with the authority approves it.
func (s *Server) proposeIncidentResolution(c *gin.Context) {
	var b incidentResolutionBody
	if !decode(c, &b) {
		return
	}
	me := actorOf(c)
	r := complaint.IncidentResolution{Findings: complaint.Findings{Cause: b.Cause, CauseDetail: b.CauseDetail, Responsibility: b.Responsibility,
		ResponsibleUnit: b.ResponsibleUnit, ResponsiblePerson: b.ResponsiblePerson, Summary: b.Summary},
		Message: b.Message, ProposedBy: me, ProposedAt: time.Now().UTC()}
	var amounts []FieldProblem
	if r.Remedies, amounts = remediesOf(b.Remedies); len(amounts) > 0 {
		invalidFields(c, amounts...)
		return
	}
	if err := complaint.ValidateIncidentResolution(s.cfg.Authority, r); err != nil {
		s.kindProblem(c, "incident resolution", err)
		return
	}
	inc, err := s.store.GetIncident(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get incident", err)
		return
	}
	if err := s.store.ProposeIncidentResolution(c, inc.ID, r); err != nil {
		if errors.Is(err, store.ErrConflict) {
			problem(c, http.StatusConflict, "not allowed in the incident's state", "the incident is closed, or a resolution already awaits a decision or was approved")
			return
		}
		s.fail(c, "propose incident resolution", err)
		return
	}
	if inc, err = s.store.GetIncident(c, inc.ID); err != nil {
		s.fail(c, "get incident", err)
		return
	}
	s.writeIncident(c, http.StatusOK, inc, gin.H{})
}

// decideIncidentResolution approves or rejects the proposed resolution.
// Approval needs someone other than the proposer whose authority covers
// each case's remedies; the resolution then goes to every open linked case
// through its own workflow, and the incident closes with the results.
func (s *Server) decideIncidentResolution(c *gin.Context) {
	var b approvalBody
	if !decode(c, &b) {
		return
	}
	inc, err := s.store.GetIncident(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get incident", err)
		return
	}
	if inc.Resolution == nil || inc.ResolutionStatus == nil || *inc.ResolutionStatus != "proposed" || inc.Status != "open" {
		problem(c, http.StatusConflict, "not allowed in the incident's state", "no resolution awaits a decision")
		return
	}
	// The domain decides (four eyes, authority, the decision's fields);
	// the handler records the decision and starts the cases' resolution.
	me := actorOf(c)
	r := *inc.Resolution
	status, err := complaint.DecideIncidentResolution(s.cfg.Authority, r, b.Decision, b.Comment, me)
	if err != nil {
		s.kindProblem(c, "incident", err)
		return
	}
	if err := s.store.DecideIncidentResolution(c, inc.ID, status, me.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			problem(c, http.StatusConflict, "not allowed in the incident's state", "no resolution awaits a decision")
			return
		}
		s.fail(c, "decide incident resolution", err)
		return
	}
	extra := gin.H{}
	if status == complaint.ResolutionApproved {
		cases, err := s.store.IncidentCases(c, inc.ID)
		if err != nil {
			s.fail(c, "incident cases", err)
			return
		}
		var ids []string
		for _, cs := range cases {
			if complaint.IsOpen(cs.Status) {
				ids = append(ids, cs.ID)
			}
		}
		ctx, cancel := context.WithTimeout(c, s.cfg.TemporalTimeout)
		defer cancel()
		_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: "incident-resolution:" + inc.ID, TaskQueue: s.cfg.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, wf.IncidentResolutionName, wf.ResolveIncidentInput{IncidentID: inc.ID, Number: inc.Number, Resolution: r, Approver: me, CaseIDs: ids})
		if err != nil {
			s.fail(c, "start incident resolution", err)
			return
		}
		extra["resolving"] = len(ids)
	}
	if inc, err = s.store.GetIncident(c, inc.ID); err != nil {
		s.fail(c, "get incident", err)
		return
	}
	code := http.StatusOK
	if status == complaint.ResolutionApproved {
		code = http.StatusAccepted
	}
	s.writeIncident(c, code, inc, extra)
}
