package apiserver

import (
	"errors"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
	wf "github.com/complaint-handling/complaints/workflows"
)

type extensionBody struct {
	Clock  string `json:"clock"`
	Reason string `json:"reason"`
}

type extensionDecisionBody struct {
	Clock    string `json:"clock"`
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

func (s *Server) requestExtension(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateRequestExtension, func(b extensionBody, a complaint.Actor) any {
		return complaint.ExtensionRequest{Actor: a, Clock: b.Clock, Reason: b.Reason}
	})
}

func (s *Server) decideExtension(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateDecideExtension, func(b extensionDecisionBody, a complaint.Actor) any {
		return complaint.ExtensionDecision{Actor: a, Clock: b.Clock, Decision: b.Decision, Comment: b.Comment}
	})
}

// profileView is a clock profile as the API shows it.
type profileView struct {
	clock.Profile
	Calendar *clock.Calendar `json:"calendar,omitempty"`
}

// listProfiles answers the built-in clock profiles, each with the rules of
// its clocks and the calendar it counts against.
func (s *Server) listProfiles(c *gin.Context) {
	names := complaint.Profiles()
	out := make([]profileView, 0, len(names))
	for _, p := range names {
		cal, err := s.store.Calendar(c, p.CalendarID)
		if err != nil {
			s.fail(c, "profile calendar", err)
			return
		}
		out = append(out, profileView{Profile: p, Calendar: &cal})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Profile.Profile < out[j].Profile.Profile })
	c.JSON(http.StatusOK, gin.H{"profiles": out})
}

func (s *Server) listCalendars(c *gin.Context) {
	list, err := s.store.Calendars(c)
	if err != nil {
		s.fail(c, "list calendars", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"calendars": list})
}

func (s *Server) getCalendar(c *gin.Context) {
	cal, err := s.store.Calendar(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get calendar", err)
		return
	}
	c.JSON(http.StatusOK, cal)
}

// putCalendar loads a new version of a calendar; cases registered from now
// on count against it, running cases keep their snapshot.
func (s *Server) putCalendar(c *gin.Context) {
	var cal clock.Calendar
	if !decode(c, &cal) {
		return
	}
	if cal.ID == "" {
		cal.ID = c.Param("id")
	}
	if cal.ID != c.Param("id") {
		invalidFields(c, complaint.NewProblem(complaint.CodePathMismatch, "must match the calendar id in the path").At("id"))
		return
	}
	version, err := s.store.PutCalendar(c, cal, staffOf(c).ID)
	var verr *clock.ValidationError
	if errors.As(err, &verr) {
		fields := make([]FieldProblem, 0, len(verr.Problems))
		for _, p := range verr.Problems {
			fields = append(fields, complaint.NewProblem(complaint.CodeInvalidCalendar, p.Message).At(p.Field))
		}
		invalidFields(c, fields...)
		return
	}
	if err != nil {
		s.fail(c, "put calendar", err)
		return
	}
	s.logger.Info("calendar loaded", "id", cal.ID, "version", version, "by", staffOf(c).ID)
	stored, err := s.store.Calendar(c, cal.ID)
	if err != nil {
		s.fail(c, "get calendar", err)
		return
	}
	c.JSON(http.StatusOK, stored)
}
