package apiserver

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// The people around a case (seed 000's key persons): GET lists them with
// the case's customer and its hand-over; POST, PUT and DELETE change them
// through the case's workflow, which writes each change with its audit
// event. Contact details are masked like the customer's for readers who
// do not see personal data.

// PartiesView answers GET /v1/complaints/{id}/parties.
type PartiesView struct {
	Customer complaint.Party   `json:"customer"`
	Parties  []complaint.Party `json:"parties"`
	// Handover is who first received the case and who got it from them,
	// how long after receipt; nil when the case records no first receiver.
	Handover *store.Handover `json:"handover"`
	// MergedFrom are the cases merged into this one; MergedInto the case
	// this one continues as.
	MergedFrom []store.MergedCase `json:"merged_from"`
	MergedInto *string            `json:"merged_into"`
}

func (s *Server) getParties(c *gin.Context) {
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	ps, err := s.store.Parties(c, cs.ID)
	if err != nil {
		s.fail(c, "parties", err)
		return
	}
	v := PartiesView{Parties: ps, MergedFrom: []store.MergedCase{},
		Customer: complaint.Party{CaseID: cs.ID, Kind: complaint.PartyCustomer, Name: cs.CustomerName, Phone: cs.CustomerPhone, Email: cs.CustomerEmail,
			Authorised: true, CreatedBy: "customer", CreatedAt: cs.ReceivedAt, UpdatedAt: cs.ReceivedAt}}
	if h, err := s.store.HandoverOf(c, cs.ID); err == nil {
		v.Handover = &h
	}
	if v.MergedFrom, err = s.store.MergedInto(c, cs.ID); err != nil {
		s.fail(c, "merged cases", err)
		return
	}
	if into, err := s.store.MergedIntoOf(c, cs.ID); err == nil && into != "" {
		v.MergedInto = &into
	}
	if !seesPersonalData(staffOf(c).Role) {
		maskParties(&v)
	}
	c.JSON(http.StatusOK, v)
}

// maskParties masks the personal data of the customer and of the outside
// parties (names, phones, emails, notes); staff ids are not personal data.
func maskParties(v *PartiesView) {
	known := []string{v.Customer.Name, v.Customer.Phone, v.Customer.Email}
	for _, p := range v.Parties {
		if !complaint.InsideParty(p.Kind) {
			known = append(known, p.Name, p.Phone, p.Email)
		}
	}
	one := func(p *complaint.Party) {
		if !complaint.InsideParty(p.Kind) {
			p.Name, p.Phone, p.Email = mask(p.Name), mask(p.Phone), mask(p.Email)
		}
		p.Relation = maskKnown(maskText(p.Relation), known)
		p.Note = maskKnown(maskText(p.Note), known)
	}
	one(&v.Customer)
	for i := range v.Parties {
		one(&v.Parties[i])
	}
}

func (s *Server) addParty(c *gin.Context) { s.changeParty(c, complaint.PartyAdd) }

func (s *Server) updateParty(c *gin.Context) { s.changeParty(c, complaint.PartyUpdate) }

func (s *Server) removeParty(c *gin.Context) { s.changeParty(c, complaint.PartyRemove) }

// changeParty validates the change (every bad field at once; a staff id
// that names no active staff member is refused) and sends it to the case.
func (s *Server) changeParty(c *gin.Context, op string) {
	d := complaint.PartyDecision{Actor: actorOf(c), Op: op}
	if op != complaint.PartyAdd {
		no, err := strconv.Atoi(c.Param("no"))
		if err != nil || no <= 0 {
			problem(c, http.StatusNotFound, "not found", "")
			return
		}
		d.No = no
	}
	if op != complaint.PartyRemove {
		if !decode(c, &d.Party) {
			return
		}
		errs := fieldProblems(d.Party.Validate())
		if complaint.InsideParty(d.Party.Kind) && d.Party.StaffID != "" {
			if st, err := s.store.GetStaff(c, d.Party.StaffID); err != nil || !st.Active {
				errs = append(errs, complaint.NewProblem(complaint.CodeNotAHandler, "is not an active staff member").At("staff_id"))
			}
		}
		if len(errs) > 0 {
			invalidFields(c, errs...)
			return
		}
	}
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	if _, err := s.update(c, cs, wf.UpdateParty, d, nil); err != nil {
		s.fail(c, wf.UpdateParty, err)
		return
	}
	s.getParties(c)
}

// callBody is a logged call as clients send it.
type callBody struct {
	Outcome    string     `json:"outcome"`
	CallbackAt *time.Time `json:"callback_at"`
	Note       string     `json:"note"`
}

// logCall records a call to the customer: reached, no answer, or call
// back at a time (the handler is reminded then).
func (s *Server) logCall(c *gin.Context) {
	var b callBody
	if !decode(c, &b) {
		return
	}
	r := complaint.CallRequest{Actor: actorOf(c), Outcome: b.Outcome, CallbackAt: b.CallbackAt, Note: b.Note}
	if errs := fieldProblems(r.Validate(time.Now())); len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	s.sendDecision(c, wf.UpdateLogCall, r)
}

// mergeBody names the case this one continues as: its id or its number.
type mergeBody struct {
	Into   string `json:"into"`
	Reason string `json:"reason"`
}

// merge merges the case into another open case the supervisor may see:
// this case's workflow ends as merged (the decision that counts, refused
// if anything else is under way on it), then the continuing case records
// it. The merged case's records stay under its id and are read with the
// continuing case's through merged_into.
func (s *Server) merge(c *gin.Context) {
	var b mergeBody
	if !decode(c, &b) {
		return
	}
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	errs := fieldProblems(complaint.MergeRequest{Into: b.Into, Reason: b.Reason}.Validate(""))
	var into store.Case
	if b.Into != "" {
		into, err = s.caseByIDOrNumber(c, b.Into)
		switch {
		case err == nil && into.ID == cs.ID:
			errs = append(errs, complaint.NewProblem(complaint.CodeSameCase, "a case cannot be merged into itself").At("into"))
		case err == nil && !complaint.IsOpen(into.Status):
			problem(c, http.StatusConflict, "not allowed in the case's current state", "the case to continue as is "+into.Status)
			return
		case err != nil && !isNotFound(err):
			s.fail(c, "get case", err)
			return
		case err != nil:
			errs = append(errs, complaint.NewProblem(complaint.CodeInvalid, "no such open case").At("into"))
		}
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	st, err := s.update(c, cs, wf.UpdateMerge, complaint.MergeRequest{Actor: actorOf(c), Into: into.ID, IntoNumber: into.CaseNumber, Reason: b.Reason}, nil)
	if err != nil {
		s.fail(c, wf.UpdateMerge, err)
		return
	}
	// The merge stands: the continuing case records it. A refusal here
	// (it closed meanwhile) leaves the link in merged_into, and is logged.
	if _, err := s.update(c, into, wf.UpdateAbsorb, complaint.AbsorbRequest{Actor: actorOf(c), From: cs.ID, FromNumber: cs.CaseNumber, Reason: b.Reason}, nil); err != nil {
		s.logger.Warn("merged case not recorded on the continuing case", "case_id", cs.ID, "into", into.ID, "err", err)
	}
	if fresh, err := s.store.GetCase(c, cs.ID); err == nil {
		cs = fresh
	}
	s.writeCase(c, cs, &st)
}

// caseByIDOrNumber finds a case the reader may see by its id or number.
func (s *Server) caseByIDOrNumber(c *gin.Context, ref string) (store.Case, error) {
	if id, err := s.store.CaseIDByNumber(c, ref); err == nil {
		ref = id
	}
	if !validUUID(ref) {
		return store.Case{}, store.ErrNotFound
	}
	return s.visibleCase(c, ref)
}

// splitBody names the repeat contact to split off (its number on the
// case) and why.
type splitBody struct {
	Contact     int    `json:"contact"`
	Reason      string `json:"reason"`
	Description string `json:"description"`
}

// SplitCreated answers a split: the new case.
type SplitCreated struct {
	CaseID     string `json:"case_id"`
	CaseNumber string `json:"case_number"`
	Status     string `json:"status"`
}

// split makes a repeat contact folded into the case by mistake a case of
// its own. The new case's id is derived from the case and the contact, so
// the same split asked again (a retry) finds the same case.
func (s *Server) split(c *gin.Context) {
	var b splitBody
	if !decode(c, &b) {
		return
	}
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	r := complaint.SplitRequest{Actor: actorOf(c), ContactSeq: b.Contact, NewCaseID: splitCaseID(cs.ID, b.Contact), Reason: b.Reason, Description: b.Description}
	if errs := fieldProblems(r.Validate()); len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	if _, err := s.update(c, cs, wf.UpdateSplit, r, nil); err != nil {
		s.fail(c, wf.UpdateSplit, err)
		return
	}
	// The new case's workflow registers it at once; wait for its row.
	deadline := time.Now().Add(s.cfg.TemporalTimeout)
	for {
		nc, err := s.store.GetCase(c, r.NewCaseID)
		if err == nil {
			c.JSON(http.StatusCreated, SplitCreated{CaseID: nc.ID, CaseNumber: nc.CaseNumber, Status: nc.Status})
			return
		}
		if !isNotFound(err) || time.Now().After(deadline) {
			s.fail(c, "split case", err)
			return
		}
		select {
		case <-c.Request.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// handovers answers GET /v1/reports/handovers: per first receiver, how
// many cases they received in the range, how many they passed on, and how
// fast (seconds from receipt to the first handler).
func (s *Server) handovers(c *gin.Context) {
	var errs []FieldProblem
	loc, ok := s.reportZone(c, c.DefaultQuery("tz", "UTC"), &errs)
	if !ok {
		return
	}
	from, okFrom := reportDate(c.Query("from"), loc)
	to, okTo := reportDate(c.Query("to"), loc)
	if !okFrom {
		errs = append(errs, complaint.NewProblem(complaint.CodeNotADate, "must be a date (YYYY-MM-DD) or an RFC 3339 time").At("from"))
	}
	if !okTo {
		errs = append(errs, complaint.NewProblem(complaint.CodeNotADate, "must be a date (YYYY-MM-DD) or an RFC 3339 time").At("to"))
	}
	if okFrom && okTo && !to.After(from) {
		errs = append(errs, complaint.NewProblem(complaint.CodeNotAfter, "must be after from", "other", "from").At("to"))
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	rows, err := s.store.HandoverReport(c, from, to)
	if err != nil {
		s.fail(c, "handover report", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"from": from, "to": to, "receivers": rows})
}

// isNotFound says err is the store's or Temporal's not found.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// validUUID says s is a case id's form.
func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// splitCaseID is the id of the case a repeat contact of caseID is split
// off into: the same for the same contact, so a retried split starts no
// second case.
func splitCaseID(caseID string, contact int) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("split:"+caseID+":"+strconv.Itoa(contact))).String()
}
