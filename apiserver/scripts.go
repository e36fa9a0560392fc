package apiserver

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// Response scripts (话术库, seeds 001 and 002): staff propose scripts, a
// supervisor approves each version before it can be used, and the case
// page renders the approved version of a script with the case's values.
// Every proposal, approval and supersession is in the scripts' audit
// trail (script_events); every use is in the case's (the message's event
// names the script, its version and whether it was edited).

// supervisors may approve scripts and restrict contact (abuse.go).
var supervisors = []string{complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector}

func (s *Server) scriptRoutes(staff *gin.RouterGroup) {
	staff.GET("/scripts", s.allow(readers...), s.listScripts)
	staff.POST("/scripts", s.allow(handlers...), s.proposeScript)
	staff.GET("/scripts/:key/versions", s.allow(readers...), s.scriptVersions)
	staff.POST("/scripts/:key/versions/:version/approval", s.allow(supervisors...), s.approveScript)
	staff.POST("/complaints/:id/scripts/:key/render", s.allow(handlers...), s.renderScript)
	staff.GET("/reports/scripts", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector, complaint.RoleAdmin, complaint.RoleAuditor), s.scriptReport)
}

func (s *Server) listScripts(c *gin.Context) {
	f := store.ScriptFilter{Stage: c.Query("stage"), Category: c.Query("category"), Language: c.Query("language"), Status: c.Query("status")}
	var errs []FieldProblem
	if f.Stage != "" && !slices.Contains(complaint.ScriptStages(), f.Stage) {
		errs = append(errs, complaint.OneOf(complaint.ScriptStages()...).At("stage"))
	}
	if f.Category != "" && f.Category != complaint.ScriptCategoryAny && !slices.Contains(complaint.Categories(), f.Category) {
		errs = append(errs, complaint.OneOf(complaint.Categories()...).At("category"))
	}
	if f.Language != "" && !slices.Contains(complaint.ScriptLanguages(), f.Language) {
		errs = append(errs, complaint.OneOf(complaint.ScriptLanguages()...).At("language"))
	}
	statuses := []string{complaint.ScriptProposed, complaint.ScriptApproved, complaint.ScriptSuperseded}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		errs = append(errs, complaint.OneOf(statuses...).At("status"))
	}
	errs = append(errs, unknownParams(c, "stage", "category", "language", "status")...)
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	list, err := s.store.Scripts(c, f)
	if err != nil {
		s.fail(c, "list scripts", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"scripts": nonNil(list), "variables": complaint.ScriptVariables()})
}

// unknownParams are the query parameters not among known, as field
// problems.
func unknownParams(c *gin.Context, known ...string) []FieldProblem {
	var out []FieldProblem
	for name := range c.Request.URL.Query() {
		if !slices.Contains(known, name) {
			out = append(out, unknownParameter().At(name))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// proposeScript stores a new script, or a new version of one (key
// given), as proposed: nobody can use it until a supervisor approves it.
func (s *Server) proposeScript(c *gin.Context) {
	var d complaint.ScriptDraft
	ok, bad := decodeKeepingText(c, &d)
	if !ok {
		return
	}
	if d.Category == "" {
		d.Category = complaint.ScriptCategoryAny
	}
	// Every unknown or malformed variable of the body is named, not only
	// the first: the writer fixes them all at once.
	// (A field whose text could not be stored is named once, for that.)
	undecodable := slices.Clone(bad)
	for _, p := range complaint.InvalidFieldsOf(complaint.ValidateScript(d)) {
		if !slices.ContainsFunc(undecodable, func(q FieldProblem) bool { return q.Field == p.Field }) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		invalidFields(c, bad...)
		return
	}
	sc, err := s.store.ProposeScript(c, d, actorOf(c).ID)
	if errors.Is(err, store.ErrScriptMismatch) {
		invalidFields(c, complaint.NewProblem(complaint.CodeInvalid, "belongs to a script of another stage, category or language").At("key"))
		return
	}
	if err != nil {
		s.fail(c, "propose script", err)
		return
	}
	s.logger.Info("script proposed", "key", sc.Key, "version", sc.Version, "by", sc.ProposedBy)
	c.JSON(http.StatusCreated, sc)
}

func (s *Server) scriptVersions(c *gin.Context) {
	key := c.Param("key")
	vs, err := s.store.ScriptVersions(c, key)
	if err != nil {
		s.fail(c, "script versions", err)
		return
	}
	trail, err := s.store.ScriptEvents(c, key)
	if err != nil {
		s.fail(c, "script trail", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"key": key, "versions": vs, "trail": nonNil(trail)})
}

// approveScript approves a proposed version: a supervisor or above, and
// never the staff member who proposed it.
func (s *Server) approveScript(c *gin.Context) {
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil || version < 1 {
		problem(c, http.StatusNotFound, "not found", "")
		return
	}
	if c.Request.ContentLength > 0 {
		var none struct{}
		if !decode(c, &none) {
			return
		}
	}
	sc, err := s.store.ApproveScript(c, c.Param("key"), version, actorOf(c).ID)
	switch {
	case errors.Is(err, store.ErrOwnProposal):
		problem(c, http.StatusForbidden, "forbidden", "a script is approved by someone other than its proposer")
		return
	case errors.Is(err, store.ErrConflict):
		problem(c, http.StatusConflict, "not proposed", "only a proposed version can be approved")
		return
	case err != nil:
		s.fail(c, "approve script", err)
		return
	}
	s.logger.Info("script approved", "key", sc.Key, "version", sc.Version, "by", actorOf(c).ID)
	c.JSON(http.StatusOK, sc)
}

// Rendered is a script filled in for a case: what the staff member edits
// before sending, with the variables the case could not fill.
type Rendered struct {
	Key      string   `json:"key"`
	Version  int      `json:"version"`
	Stage    string   `json:"stage"`
	Language string   `json:"language"`
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Missing  []string `json:"missing"`
}

func (s *Server) renderScript(c *gin.Context) {
	if c.Request.ContentLength > 0 {
		var none struct{}
		if !decode(c, &none) {
			return
		}
	}
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	sc, err := s.store.ApprovedScript(c, c.Param("key"))
	if err != nil {
		s.fail(c, "render script", err)
		return
	}
	st, _ := s.queryState(c, cs)
	c.JSON(http.StatusOK, s.render(c, sc, cs, st))
}

// render fills sc with the case's values.
func (s *Server) render(c *gin.Context, sc store.Script, cs store.Case, st complaint.State) Rendered {
	values := s.scriptValues(c, cs, st, sc.Language)
	names, _ := complaint.ParseScriptVariables(sc.Body)
	missing := []string{}
	for _, n := range names {
		if values[n] == "" {
			missing = append(missing, n)
		}
	}
	return Rendered{Key: sc.Key, Version: sc.Version, Stage: sc.Stage, Language: sc.Language, Title: sc.Title,
		Text: complaint.RenderScript(sc.Body, values), Missing: missing}
}

// scriptValues are the values of the script variables for a case, said in
// language (the state may be empty when the workflow could not be asked).
func (s *Server) scriptValues(c *gin.Context, cs store.Case, st complaint.State, language string) map[string]string {
	date := func(t time.Time) string {
		if language == "zh" {
			return t.Format("2006年1月2日")
		}
		return t.Format("2 January 2006")
	}
	v := map[string]string{"customer_name": cs.CustomerName, "case_number": cs.CaseNumber, "category": cs.Category}
	if cs.ResolveDueAt != nil {
		v["due_date"] = date(*cs.ResolveDueAt)
	}
	if p := st.Proposal; p != nil && p.Required.Total > 0 {
		v["amount"] = complaint.FormatMoney(p.Required.Total, p.Required.Currency)
	}
	if st.Clocks.Regulator != "" {
		v["regulator"] = activities.RegulatorName(st.Clocks.Regulator, language)
	}
	if st.Restriction != nil {
		v["review_date"] = date(st.Restriction.ReviewOn)
	}
	assignee := st.Assignee
	if assignee == "" && cs.Assignee != nil {
		assignee = *cs.Assignee
	}
	if assignee != "" {
		if m, err := s.store.GetStaff(c, assignee); err == nil && m.Name != "" {
			v["handler_name"] = m.Name
		}
	}
	return v
}

// scriptRef names the script a message to the customer was written from.
type scriptRef struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
}

// scriptUse checks that ref is the approved version of a script of one of
// stages and says whether text differs from its rendering for the case.
// A bad reference is written as a 422 naming script.key or
// script.version, and ok is false.
func (s *Server) scriptUse(c *gin.Context, ref scriptRef, stages []string, text string) (*complaint.ScriptUse, bool) {
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return nil, false
	}
	sc, err := s.store.ApprovedScript(c, ref.Key)
	if errors.Is(err, store.ErrNotFound) {
		invalidFields(c, notApproved().At("script.key"))
		return nil, false
	}
	if err != nil {
		s.fail(c, "script", err)
		return nil, false
	}
	var bad []FieldProblem
	if sc.Version != ref.Version {
		bad = append(bad, notApproved().At("script.version"))
	}
	if !slices.Contains(stages, sc.Stage) {
		bad = append(bad, complaint.OneOfSaying("must be a script for "+strings.Join(stages, " or "), stages...).At("script.key"))
	}
	if len(bad) > 0 {
		invalidFields(c, bad...)
		return nil, false
	}
	st, _ := s.queryState(c, cs)
	r := s.render(c, sc, cs, st)
	return &complaint.ScriptUse{Key: sc.Key, Version: sc.Version, Edited: normalise(r.Text) != normalise(text)}, true
}

// normalise ignores differences of white space at the ends of lines.
func normalise(s string) string {
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

func notApproved() complaint.Problem {
	return complaint.NewProblem(complaint.CodeScriptNotApproved, "is not the approved version of a script: only approved scripts may be used")
}

// scriptReport is the usage of each script version in a month and the
// appeal rate of each refusal script.
func (s *Server) scriptReport(c *gin.Context) {
	from, to, ok := monthParam(c)
	if !ok {
		return
	}
	usage, err := s.store.ScriptUsageBetween(c, from, to)
	if err != nil {
		s.fail(c, "script usage", err)
		return
	}
	appeals, err := s.store.RefusalAppealsBetween(c, from, to)
	if err != nil {
		s.fail(c, "refusal appeals", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"month": from.Format("2006-01"), "usage": nonNil(usage), "refusal_appeals": nonNil(appeals)})
}

// monthParam reads the one parameter month (YYYY-MM, UTC) of a practice
// report; a bad or unknown parameter is written as a 422.
func monthParam(c *gin.Context) (from, to time.Time, ok bool) {
	errs := unknownParams(c, "month")
	from, err := time.Parse("2006-01", c.Query("month"))
	if err != nil {
		errs = append([]FieldProblem{complaint.NewProblem(complaint.CodeNotAMonth, "must be a month as YYYY-MM").At("month")}, errs...)
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return from, to, false
	}
	return from, from.AddDate(0, 1, 0), true
}
