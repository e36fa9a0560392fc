package apiserver

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// The protection of staff from abusive customers (seed 002: an employee's
// dignity is not lower than the company's image): a staff member records
// an abusive contact and the customer is sent the approved warning; a
// supervisor restricts contact and sets the script for this customer; a
// manager closes an unreasonable persistent complaint; managers read who
// received abuse, to support them.

// managers may close a complaint as unreasonable and persistent.
var managers = []string{complaint.RoleManager, complaint.RoleDirector}

func (s *Server) abuseRoutes(staff *gin.RouterGroup) {
	staff.POST("/complaints/:id/abuse", s.allow(handlers...), s.recordAbuse)
	staff.POST("/complaints/:id/restriction", s.allow(supervisors...), s.setRestriction)
	staff.POST("/complaints/:id/customer-script", s.allow(supervisors...), s.setCustomerScript)
	staff.POST("/complaints/:id/unreasonable-closure", s.allow(managers...), s.closeUnreasonable)
	// For support, not blame: the people who manage staff only.
	staff.GET("/reports/abuse", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector, complaint.RoleAdmin), s.abuseReport)
}

type abuseBody struct {
	Kind       string `json:"kind"`
	Evidence   string `json:"evidence"`
	At         string `json:"at"`
	ReceivedBy string `json:"received_by"`
}

// recordAbuse records an abusive contact; the warning is the approved
// abuse_warning script for the case's language (its category's if there
// is one), filled in for the case.
func (s *Server) recordAbuse(c *gin.Context) {
	var b abuseBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	a := actorOf(c)
	req := complaint.AbuseRequest{Actor: a, Kind: b.Kind, Evidence: b.Evidence, ReceivedBy: b.ReceivedBy, Warning: "-"}
	if req.ReceivedBy == "" {
		req.ReceivedBy = a.ID
	}
	now := time.Now()
	var timeBad []FieldProblem
	switch at, err := time.Parse(time.RFC3339, b.At); {
	case b.At == "":
		req.At = now
	case err != nil:
		timeBad = append(timeBad, complaint.NewProblem(complaint.CodeNotATime, "must be a time as RFC 3339 (2026-05-01T10:00:00+08:00)").At("at"))
		req.At = now
	default:
		req.At = at
	}
	bad = mergeProblems(mergeProblems(bad, timeBad), complaint.InvalidFieldsOf(complaint.ValidateAbuse(req, now)))
	if req.ReceivedBy != a.ID {
		if m, err := s.store.GetStaff(c, req.ReceivedBy); err != nil || !m.Active {
			bad = mergeProblems(bad, []FieldProblem{notAHandler().At("received_by")})
		}
	}
	if len(bad) > 0 {
		invalidFields(c, bad...)
		return
	}
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	scripts, err := s.store.Scripts(c, store.ScriptFilter{Stage: complaint.StageAbuseWarning, Category: cs.Category, Language: cs.Language, Status: complaint.ScriptApproved})
	if err != nil {
		s.fail(c, "warning script", err)
		return
	}
	if len(scripts) == 0 {
		problem(c, http.StatusConflict, "no approved warning script", "a supervisor must approve an abuse_warning script in the case's language first")
		return
	}
	sc := scripts[0]
	for _, x := range scripts {
		if x.Category == cs.Category {
			sc = x
			break
		}
	}
	st, _ := s.queryState(c, cs)
	r := s.render(c, sc, cs, st)
	req.Warning, req.Script = r.Text, complaint.ScriptUse{Key: sc.Key, Version: sc.Version}
	s.sendDecision(c, wf.UpdateAbuse, req)
}

type restrictionBody struct {
	Handler           string `json:"handler"`
	WrittenOnly       bool   `json:"written_only"`
	MaxContactsPerDay int    `json:"max_contacts_per_day"`
	ReviewOn          string `json:"review_on"`
	Reason            string `json:"reason"`
	Lift              bool   `json:"lift"`
}

// setRestriction sets (or lifts) the contact restriction on the case's
// customer; the named handler must be an active supervisor or above.
func (s *Server) setRestriction(c *gin.Context) {
	var b restrictionBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	req := complaint.RestrictionRequest{Actor: actorOf(c), Lift: b.Lift,
		Restriction: complaint.Restriction{Handler: b.Handler, WrittenOnly: b.WrittenOnly, MaxContactsPerDay: b.MaxContactsPerDay, Reason: b.Reason}}
	if !b.Lift {
		var dateBad []FieldProblem
		if b.ReviewOn != "" {
			d, err := time.Parse(time.DateOnly, b.ReviewOn)
			if err != nil {
				dateBad = append(dateBad, complaint.NewProblem(complaint.CodeNotADate, "must be a date as YYYY-MM-DD").At("review_on"))
			}
			// The review is due at the start of that day in UTC.
			req.Restriction.ReviewOn = d
		}
		fields := complaint.InvalidFieldsOf(complaint.ValidateRestriction(req.Restriction, time.Now()))
		if len(dateBad) > 0 {
			fields = removeField(fields, "review_on")
		}
		bad = mergeProblems(mergeProblems(bad, dateBad), fields)
		if b.Handler != "" {
			if m, err := s.store.GetStaff(c, b.Handler); err != nil || !m.Active || !complaint.IsSupervisorOrAbove(m.Role) {
				bad = mergeProblems(bad, []FieldProblem{complaint.NewProblem(complaint.CodeNotSupervisor, "must be an active senior handler (a supervisor or above)").At("handler")})
			}
		}
	}
	if len(bad) > 0 {
		invalidFields(c, bad...)
		return
	}
	s.sendDecision(c, wf.UpdateRestriction, req)
}

func removeField(fs []FieldProblem, field string) []FieldProblem {
	out := fs[:0:0]
	for _, f := range fs {
		if f.Field != field {
			out = append(out, f)
		}
	}
	return out
}

type customerScriptBody struct {
	Text string `json:"text"`
}

func (s *Server) setCustomerScript(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateCustomerScript, func(b customerScriptBody, a complaint.Actor) any {
		return complaint.CustomerScriptRequest{Actor: a, Text: b.Text}
	})
}

func (s *Server) closeUnreasonable(c *gin.Context) {
	bodyDecision(s, c, wf.UpdateCloseUnreasonable, func(b reasonBody, a complaint.Actor) any {
		return complaint.UnreasonableRequest{Actor: a, Reason: b.Reason}
	})
}

// abuseReport counts the abusive contacts recorded in a month by team and
// by the staff member who received them. A team-bound reader sees their
// own team's.
func (s *Server) abuseReport(c *gin.Context) {
	from, to, ok := monthParam(c)
	if !ok {
		return
	}
	rows, err := s.store.AbuseBetween(c, from, to)
	if err != nil {
		s.fail(c, "abuse report", err)
		return
	}
	if sc := s.scopeOf(staffOf(c)); sc != nil {
		kept := rows[:0:0]
		for _, r := range rows {
			if sc.Team != "" && r.Team == sc.Team {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	c.JSON(http.StatusOK, gin.H{"month": from.Format("2006-01"), "rows": nonNil(rows)})
}

// maskPractices hides personal data in the staff-protection banners from
// readers who do not see it (as maskView does for the rest of the case).
func maskPractices(v *CaseView, known []string) {
	text := func(s string) string { return maskKnown(maskText(s), known) }
	if v.Restriction != nil {
		r := *v.Restriction
		r.Reason = text(r.Reason)
		v.Restriction = &r
	}
	if v.CustomerScript != nil {
		cs := *v.CustomerScript
		cs.Text = text(cs.Text)
		v.CustomerScript = &cs
	}
}
