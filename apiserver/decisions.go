package apiserver

import (
	"encoding/json"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// Staff decisions on a case: each decodes its body, checks what it can
// without the workflow, and sends the case's workflow the update (update).

type assignBody struct {
	Assignee string `json:"assignee"`
}

func (s *Server) assign(c *gin.Context) {
	var b assignBody
	if !decode(c, &b) {
		return
	}
	if b.Assignee == "" {
		invalidFields(c, complaint.Required().At("assignee"))
		return
	}
	st, err := s.store.GetStaff(c, b.Assignee)
	if err != nil || !st.Active || complaint.RoleLevel(st.Role) == 0 {
		invalidFields(c, notAHandler().At("assignee"))
		return
	}
	s.sendDecision(c, wf.UpdateAssign, complaint.AssignRequest{Actor: actorOf(c), Assignee: b.Assignee})
}

type transferBody struct {
	Assignee string `json:"assignee"`
	Team     string `json:"team"`
	Reason   string `json:"reason"`
}

func (s *Server) transfer(c *gin.Context) {
	var b transferBody
	if !decode(c, &b) {
		return
	}
	if b.Assignee != "" {
		st, err := s.store.GetStaff(c, b.Assignee)
		if err != nil || !st.Active || complaint.RoleLevel(st.Role) == 0 {
			invalidFields(c, notAHandler().At("assignee"))
			return
		}
	}
	if b.Team != "" {
		ok, err := s.store.TeamExists(c, b.Team)
		if err != nil {
			s.fail(c, "team", err)
			return
		}
		if !ok {
			invalidFields(c, complaint.NewProblem(complaint.CodeUnknownTeam, "no such team").At("team"))
			return
		}
	}
	s.sendDecision(c, wf.UpdateTransfer, complaint.TransferRequest{Actor: actorOf(c), Assignee: b.Assignee, Team: b.Team, Reason: b.Reason})
}

func (s *Server) sendDecision(c *gin.Context, name string, req any) {
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	// An approval the approvals inbox offered (the row awaits one) is sent
	// again while the workflow catches up with its own row (see update).
	var allows func(store.Case) bool
	if name == wf.UpdateApproval {
		allows = awaitingApproval
	}
	st, err := s.update(c, cs, name, req, allows)
	if err != nil {
		s.fail(c, name, err)
		return
	}
	if fresh, err := s.store.GetCase(c, cs.ID); err == nil {
		cs = fresh
	}
	s.writeCase(c, cs, &st)
}

type noteBody struct {
	Text string `json:"text"`
}
type requestInfoBody struct {
	Question string     `json:"question"`
	Script   *scriptRef `json:"script"`
}
type reasonBody struct {
	Reason string `json:"reason"`
}
type classificationBody struct {
	Category string `json:"category"`
	Severity string `json:"severity"`
	Reason   string `json:"reason"`
}
type findingsBody struct {
	Cause             string `json:"cause"`
	CauseDetail       string `json:"cause_detail"`
	Responsibility    string `json:"responsibility"`
	ResponsibleUnit   string `json:"responsible_unit"`
	ResponsiblePerson string `json:"responsible_person"`
	Summary           string `json:"summary"`
}

// remedyBody is a remedy as clients send it: amount in minor units of
// the currency (ISO 4217: 12.34 CNY is 1234, 100 JPY is 100), read as a
// number so one with a fraction is refused naming the field (remediesOf).
type remedyBody struct {
	Type     string      `json:"type"`
	Amount   json.Number `json:"amount"`
	Currency string      `json:"currency"`
	Note     string      `json:"note"`
}

// remediesOf converts remedy bodies; an amount that is not a whole number
// of the currency's minor units (100.5 JPY) is a 422 naming each such
// field, written here, and ok is false.
func remediesOf(bs []remedyBody) ([]complaint.Remedy, []FieldProblem) {
	var out []complaint.Remedy
	var bad []FieldProblem
	for i, rb := range bs {
		var amount int64
		if rb.Amount != "" {
			var err error
			if amount, err = complaint.ParseAmount(rb.Amount.String(), rb.Currency); err != nil {
				bad = append(bad, complaint.ProblemOf(err).At(fmt.Sprintf("remedies[%d].amount", i)))
			}
		}
		out = append(out, complaint.Remedy{Type: rb.Type, Amount: amount, Currency: rb.Currency, Note: rb.Note})
	}
	return out, bad
}

type proposalBody struct {
	Remedies      []remedyBody `json:"remedies"`
	RefusalReason string       `json:"refusal_reason"`
	Message       string       `json:"message"`
	Script        *scriptRef   `json:"script"`
}
type approvalBody struct {
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

func (s *Server) note(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateNote, func(b noteBody, a complaint.Actor) any { return complaint.NoteRequest{Actor: a, Text: b.Text} })
}

func (s *Server) requestInfo(c *gin.Context) {
	var b requestInfoBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	req := complaint.InfoRequest{Actor: actorOf(c), Question: b.Question}
	if len(bad) > 0 {
		invalidFields(c, bad...)
		return
	}
	if b.Script != nil {
		if req.Script, ok = s.scriptUse(c, *b.Script, []string{complaint.StageInfoRequest, complaint.StageCallback}, b.Question); !ok {
			return
		}
	}
	s.sendDecision(c, wf.UpdateRequestInfo, req)
}

func (s *Server) escalate(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateEscalate, func(b reasonBody, a complaint.Actor) any {
		return complaint.EscalateRequest{Actor: a, Reason: b.Reason}
	})
}

// classify reclassifies a case. A category outside the built-in list
// must be one of the taxonomy's (the workflow checks only its shape).
func (s *Server) classify(c *gin.Context) {
	var b classificationBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	if !complaint.ValidCategory(b.Category) && complaint.ValidTaxonomyCode(b.Category) {
		exists, err := s.store.CategoryExists(c, b.Category)
		if err != nil {
			s.fail(c, "category exists", err)
			return
		}
		if !exists {
			bad = mergeProblems(bad, []FieldProblem{complaint.NewProblem(complaint.CodeUnknownCategory, "is not a category of the taxonomy").At("category")})
		}
	}
	req := complaint.ClassificationRequest{Actor: actorOf(c), Category: b.Category, Severity: b.Severity, Reason: b.Reason}
	if len(bad) > 0 {
		// Every bad field at once: the workflow's checks of the others.
		var more complaint.Fields
		if !complaint.ValidSeverity(b.Severity) {
			more.Add("severity", complaint.OneOf(complaint.Severities()...))
		}
		more.Required("reason", b.Reason, 1000, complaint.FreeText)
		invalidFields(c, mergeProblems(bad, fieldProblems(more.Err()))...)
		return
	}
	s.sendDecision(c, wf.UpdateClassification, req)
}

func (s *Server) findings(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateFindings, func(b findingsBody, a complaint.Actor) any {
		return complaint.FindingsRequest{Actor: a, Findings: complaint.Findings(b)}
	})
}

// proposal is refused here with every bad field at once: text no field
// may hold, amounts that do not fit their currency, and what the
// workflow's content checks find (as bodyDecision does for the others).
func (s *Server) proposal(c *gin.Context) {
	var b proposalBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	remedies, amounts := remediesOf(b.Remedies)
	req := complaint.ProposalRequest{Actor: actorOf(c), Remedies: remedies, RefusalReason: b.RefusalReason, Message: b.Message}
	if bad = mergeProblems(bad, amounts); len(bad) > 0 {
		invalidFields(c, mergeProblems(bad, contentProblems(req))...)
		return
	}
	if b.Script != nil {
		// A refusal is written from a refusal script (approved by a
		// supervisor, like the refusal itself); remedies from a proposal's.
		stages := []string{complaint.StageProposal, complaint.StageAppealAnswer}
		if b.RefusalReason != "" {
			stages = []string{complaint.StageRefusal, complaint.StageAppealAnswer}
		}
		if req.Script, ok = s.scriptUse(c, *b.Script, stages, b.Message); !ok {
			return
		}
	}
	s.sendDecision(c, wf.UpdateProposal, req)
}

func (s *Server) approval(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateApproval, func(b approvalBody, a complaint.Actor) any {
		return complaint.ApprovalRequest{Actor: a, Decision: b.Decision, Comment: b.Comment}
	})
}

// bodyDecision decodes body B strictly, builds the update request and
// sends it.
// A body with text no field may hold is refused here with every bad
// field: those and what the request's content checks find.
func bodyDecision[B any](s *Server, c *gin.Context, name string, build func(B, complaint.Actor) any) {
	var b B
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	req := build(b, actorOf(c))
	if len(bad) > 0 {
		invalidFields(c, mergeProblems(bad, contentProblems(req))...)
		return
	}
	s.sendDecision(c, name, req)
}

// contentProblems are the bad fields the workflow's content checks find
// in a decision (its validators check state and authority too).
func contentProblems(req any) []FieldProblem {
	var err error
	switch r := req.(type) {
	case complaint.FindingsRequest:
		err = complaint.ValidateFindings(r.Findings)
	case complaint.ProposalRequest:
		err = complaint.ValidateProposal(r)
	case complaint.ApprovalRequest:
		err = complaint.ValidateDecision(r.Decision, r.Comment)
	}
	return complaint.InvalidFieldsOf(err)
}

func notBoolean() complaint.Problem {
	return complaint.NewProblem(complaint.CodeNotABoolean, "must be true or false")
}

func notAHandler() complaint.Problem {
	return complaint.NewProblem(complaint.CodeNotAHandler, "is not an active case handler")
}
