package apiserver

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// ContactPreferences are the customer's choices for a case's messages, as
// the tracking page shows and sets them.
type ContactPreferences struct {
	// Channel is email, sms or none (the tracking page only).
	Channel      string `json:"channel"`
	Language     string `json:"language"`
	SurveyOptOut bool   `json:"survey_opt_out"`
	// Available are the channels the case has a contact for (none is
	// always available); addresses are not shown.
	Available []string `json:"available,omitempty"`
	// Chosen is false while the defaults apply.
	Chosen bool `json:"chosen"`
}

type preferencesBody struct {
	Channel      string `json:"channel"`
	Language     string `json:"language"`
	SurveyOptOut *bool  `json:"survey_opt_out"`
}

func available(cc store.CaseContacts) []string {
	out := []string{}
	for _, ch := range []string{store.ContactEmail, store.ContactSMS} {
		if cc.Address(ch) != "" {
			out = append(out, ch)
		}
	}
	return append(out, store.ContactNone)
}

func (s *Server) trackPreferences(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	cc, err := s.store.CaseContacts(c, cs.ID)
	if err != nil {
		s.fail(c, "preferences", err)
		return
	}
	p := cc.Preferences
	c.JSON(http.StatusOK, ContactPreferences{Channel: p.Channel, Language: p.Language, SurveyOptOut: p.SurveyOptOut,
		Available: available(cc), Chosen: p.Chosen})
}

// setTrackPreferences sets the case's contact preferences: every field is
// required, and a channel needs a contact on file for it.
func (s *Server) setTrackPreferences(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	var b preferencesBody
	if !decode(c, &b) {
		return
	}
	cc, err := s.store.CaseContacts(c, cs.ID)
	if err != nil {
		s.fail(c, "preferences", err)
		return
	}
	var errs complaint.Fields
	switch {
	case b.Channel == "":
		errs.Add("channel", complaint.NewProblem(complaint.CodeRequired, "is required"))
	case !slices.Contains(store.ContactChannels(), b.Channel):
		errs.Add("channel", complaint.OneOf(store.ContactChannels()...))
	case !slices.Contains(available(cc), b.Channel):
		errs.Add("channel", complaint.NewProblem(complaint.CodeContactRequired, "has no contact on file for this case"))
	}
	switch {
	case b.Language == "":
		errs.Add("language", complaint.NewProblem(complaint.CodeRequired, "is required"))
	case !slices.Contains(Languages(), b.Language):
		errs.Add("language", complaint.OneOf(Languages()...))
	}
	if b.SurveyOptOut == nil {
		errs.Add("survey_opt_out", complaint.NewProblem(complaint.CodeRequired, "is required"))
	}
	var bad complaint.FieldErrors
	if errors.As(errs.Err(), &bad) {
		invalidFields(c, bad...)
		return
	}
	p := store.Preferences{Channel: b.Channel, Language: b.Language, SurveyOptOut: *b.SurveyOptOut, Chosen: true}
	if err := s.store.SetPreferences(c, cs.ID, p); err != nil {
		s.fail(c, "preferences", err)
		return
	}
	c.JSON(http.StatusOK, ContactPreferences{Channel: p.Channel, Language: p.Language, SurveyOptOut: p.SurveyOptOut,
		Available: available(cc), Chosen: true})
}
