package apiserver

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

func (s *Server) listComplaints(c *gin.Context) {
	q := c.Request.URL.Query()
	f := store.Filter{Status: q.Get("status"), Category: q.Get("category"), Severity: q.Get("severity"),
		Assignee: q.Get("assignee"), Team: q.Get("team"), Channel: q.Get("channel"), Region: q.Get("region"),
		Q: q.Get("q"), Sort: q.Get("sort")}
	var errs []FieldProblem
	var approvable bool
	if f.Status != "" && !validStatus(f.Status) {
		errs = append(errs, complaint.OneOfSaying("is not a known status", complaint.Statuses()...).At("status"))
	}
	if f.Category != "" && !complaint.ValidCategory(f.Category) {
		errs = append(errs, complaint.OneOf(complaint.Categories()...).At("category"))
	}
	if f.Severity != "" && !complaint.ValidSeverity(f.Severity) {
		errs = append(errs, complaint.OneOf(complaint.Severities()...).At("severity"))
	}
	if f.Sort != "" && f.Sort != "created_at" && f.Sort != "priority" {
		errs = append(errs, complaint.OneOfSaying("must be created_at or priority", "created_at", "priority").At("sort"))
	}
	if len(f.Q) > 200 {
		errs = append(errs, complaint.TooLong(200).At("q"))
	}
	if v := q.Get("breached"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, notBoolean().At("breached"))
		}
		f.Breached = &b
	}
	for _, p := range []struct {
		name string
		dst  *bool
	}{{"unassigned", &f.Unassigned}, {"attention", &f.Attention}, {"open", &f.Open}, {"approvable", &approvable}} {
		if v := q.Get(p.name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, notBoolean().At(p.name))
			}
			*p.dst = b
		}
	}
	if approvable {
		me := staffOf(c)
		var roles []string
		for _, r := range handlers {
			if complaint.RoleLevel(r) <= complaint.RoleLevel(me.Role) {
				roles = append(roles, r)
			}
		}
		f.ApprovableBy = &store.Approver{ID: me.ID, Roles: roles}
	}
	if v := q.Get("survey_score_max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			errs = append(errs, complaint.OutOfRange(1, 5).At("survey_score_max"))
		}
		f.SurveyScoreMax = n
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"created_from", &f.CreatedFrom}, {"created_to", &f.CreatedTo}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs = append(errs, complaint.NewProblem(complaint.CodeNotATime, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z").At(p.name))
			}
			*p.dst = &t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			errs = append(errs, complaint.OutOfRange(1, 200).At("limit"))
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		if err := decodeCursor(v, &f); err != nil {
			errs = append(errs, complaint.NewProblem(complaint.CodeInvalidCursor, "is not a cursor this API returned").At("cursor"))
		}
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	me := staffOf(c)
	f.Scope = s.scopeOf(me)
	f.QNumbersOnly = !seesPersonalData(me.Role)
	list, err := s.store.ListCases(c, f)
	if err != nil {
		s.fail(c, "list cases", err)
		return
	}
	for i := range list {
		maskCase(&list[i])
		list[i].Description = ""
	}
	resp := gin.H{"complaints": list, "next_cursor": nil}
	if list == nil {
		resp["complaints"] = []store.Case{}
	}
	if len(list) == f.Limit {
		last := list[len(list)-1]
		resp["next_cursor"] = encodeCursor(last)
	}
	c.JSON(http.StatusOK, resp)
}

func validStatus(s string) bool { return slices.Contains(complaint.Statuses(), s) }

func encodeCursor(cs store.Case) string {
	raw := fmt.Sprintf("%d|%s|%d", cs.CreatedAt.UnixNano(), cs.ID, cs.Priority)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(v string, f *store.Filter) error {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return err
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 {
		return fmt.Errorf("bad cursor")
	}
	ns, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return err
	}
	prio, err := strconv.Atoi(parts[2])
	if err != nil {
		return err
	}
	if _, err := uuid.Parse(parts[1]); err != nil || len(parts[1]) != 36 {
		return fmt.Errorf("bad cursor id")
	}
	t := time.Unix(0, ns).UTC()
	f.AfterCreated, f.AfterID, f.AfterPrio = &t, parts[1], prio
	return nil
}

// CaseView is one case as staff see it.
type CaseView struct {
	store.Case
	Timeline         []store.CaseEvent         `json:"timeline"`
	Deadlines        []complaint.Deadline      `json:"deadlines"`
	PendingApprovals *complaint.Proposal       `json:"pending_approvals"`
	Remedies         []complaint.Remedy        `json:"remedies"`
	RepeatContacts   []complaint.RepeatContact `json:"repeat_contacts"`
	Findings         *complaint.Findings       `json:"findings,omitempty"`
	PendingQuestion  string                    `json:"pending_question,omitempty"`
	Live             bool                      `json:"live"`
	// ReversalFailed lists the remedies whose reversal failed for good:
	// a person must undo them by hand.
	ReversalFailed []string `json:"reversal_failed"`
	// Actions are the decisions the reader may take now (empty when the
	// live state could not be read).
	Actions []string `json:"actions"`
	// Messages are the case's messages to the customer and to staff, each
	// with the channels it went by and their status.
	Messages []store.CaseMessage `json:"messages"`
	// WorkflowUIURL opens the case's workflow in the Temporal Web UI, for
	// engineers when TEMPORAL_UI_URL is set.
	WorkflowUIURL string `json:"workflow_ui_url,omitempty"`
	// Restriction, CustomerScript and AbuseCount are the case's
	// staff-protection state (abuse.go), shown as banners on the case page.
	Restriction    *complaint.Restriction    `json:"restriction,omitempty"`
	CustomerScript *complaint.CustomerScript `json:"customer_script,omitempty"`
	AbuseCount     int                       `json:"abuse_count"`
	// Attachments are the files attached to the case (names masked for
	// the roles that see cases masked).
	Attachments []AttachmentView `json:"attachments"`
}

func (s *Server) getComplaint(c *gin.Context) {
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	s.writeCase(c, cs, nil)
}

// visibleCase returns a case the reader may see, and ErrNotFound for one
// outside their scope, as for a case that does not exist: the answer does
// not confirm that another team's case exists.
func (s *Server) visibleCase(c *gin.Context, id string) (store.Case, error) {
	cs, err := s.store.GetCase(c, id)
	if err != nil {
		return store.Case{}, err
	}
	if sc := s.scopeOf(staffOf(c)); sc != nil && !sc.Sees(cs) {
		return store.Case{}, fmt.Errorf("case %s is outside the reader's scope: %w", id, store.ErrNotFound)
	}
	return cs, nil
}

// writeCase answers with the case view; st is the workflow state when the
// caller has it already (after an update), else it is queried.
func (s *Server) writeCase(c *gin.Context, cs store.Case, st *complaint.State) {
	events, err := s.store.Events(c, cs.ID)
	if err != nil {
		s.fail(c, "events", err)
		return
	}
	msgs, err := s.store.CaseMessages(c, cs.ID)
	if err != nil {
		s.fail(c, "messages", err)
		return
	}
	masked := !seesPersonalData(staffOf(c).Role)
	files, err := s.attachments.List(c, cs.ID)
	if err != nil {
		s.fail(c, "attachments", err)
		return
	}
	known := []string{cs.CustomerName, cs.CustomerPhone, cs.CustomerEmail}
	if masked {
		maskCase(&cs)
	}
	v := CaseView{Case: cs, Timeline: events, Deadlines: []complaint.Deadline{}, Remedies: []complaint.Remedy{}, RepeatContacts: []complaint.RepeatContact{},
		Actions: []string{}, ReversalFailed: []string{}, Messages: msgs, Attachments: views(files, masked)}
	if st == nil {
		q, err := s.queryState(c, cs)
		if err == nil {
			st = &q
		} else {
			// The row still answers; the live state is a bonus.
			s.logger.Warn("state query failed", "case_id", cs.ID, "err", err)
		}
	}
	if st != nil {
		v.Live = true
		v.Status = st.Status
		if st.SurveyStatus != "" {
			ss := st.SurveyStatus
			v.SurveyStatus = &ss
		}
		v.Deadlines = st.Deadlines
		if st.Proposal != nil {
			if st.Proposal.Remedies != nil {
				v.Remedies = st.Proposal.Remedies
			}
			if st.Status == complaint.StatusAwaitingApproval {
				v.PendingApprovals = st.Proposal
			}
		}
		if st.RepeatContacts != nil {
			v.RepeatContacts = st.RepeatContacts
		}
		v.Findings = st.Findings
		if st.ReversalFailed != nil {
			v.ReversalFailed = st.ReversalFailed
		}
		v.PendingQuestion = st.PendingQuestion
		if st.Assignee != "" {
			a := st.Assignee
			v.Assignee = &a
		}
		v.Level = st.Level
		v.Category, v.Severity, v.Priority = st.Category, st.Severity, st.Priority
		v.Actions = actionsFor(*st, actorOf(c))
		v.Restriction, v.CustomerScript, v.AbuseCount = st.Restriction, st.CustomerScript, st.AbuseCount
	}
	if masked {
		maskView(&v, known)
		maskPractices(&v, known)
	}
	if staffOf(c).Role == complaint.RoleEngineer {
		v.WorkflowUIURL = s.workflowUIURL(cs)
	}
	c.JSON(http.StatusOK, v)
}
