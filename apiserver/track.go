package apiserver

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

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
	// Attachments are the files the customer attached.
	Attachments []AttachmentView `json:"attachments"`
}

// TrackProposal is the resolution awaiting the customer's answer.
type TrackProposal struct {
	Message       string             `json:"message"`
	Remedies      []complaint.Remedy `json:"remedies,omitempty"`
	RefusalReason string             `json:"refusal_reason,omitempty"`
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
	files, err := s.customerAttachments(c, cs.ID)
	if err != nil {
		s.fail(c, "attachments", err)
		return
	}
	t := Tracking{Attachments: files, CaseNumber: cs.CaseNumber, Status: cs.Status, ExpectedBy: cs.ResolveDueAt, Messages: msgs, Language: cs.Language,
		TimeZone: s.caseZone(c, cs.Profile)}
	if cs.SurveyStatus != nil {
		t.SurveyStatus = *cs.SurveyStatus
	}
	if cs.Status == complaint.StatusAwaitingCustomer || cs.Status == complaint.StatusAwaitingInfo {
		if st, err := s.queryState(c, cs); err == nil {
			if st.Proposal != nil && cs.Status == complaint.StatusAwaitingCustomer {
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
	p, ok := complaint.Profiles()[profile]
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
	var r complaint.CustomerResponse
	if !decode(c, &r) {
		return
	}
	s.customerUpdate(c, wf.UpdateCustomerResponse, r)
}

func (s *Server) trackInfo(c *gin.Context) {
	if isMultipart(c) {
		s.trackInfoWithFiles(c)
		return
	}
	var r complaint.CustomerInfo
	if !decode(c, &r) {
		return
	}
	s.customerUpdate(c, wf.UpdateCustomerInfo, r)
}

func (s *Server) trackWithdraw(c *gin.Context) {
	var r complaint.WithdrawRequest
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
	st, err := s.update(c, cs, name, arg, customerViewAllows(name))
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
	var r complaint.SurveyAnswer
	if !decode(c, &r) {
		return
	}
	cs, ok := s.caseBySurvey(c)
	if !ok {
		return
	}
	st, err := s.update(c, cs, wf.UpdateSurvey, r, nil)
	if err != nil {
		s.fail(c, "survey", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_number": st.CaseNumber, "survey_status": st.SurveyStatus})
}
