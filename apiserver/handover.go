package apiserver

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// handOver is one open case passed on because its handler left.
type handOver struct {
	CaseID     string `json:"case_id"`
	CaseNumber string `json:"case_number"`
	// To is the new handler ("" when the case could not be handed over
	// now; Problem says why, and the same change again retries it).
	To      string `json:"to,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// handOver passes on the open cases a member may no longer hold after an
// admin's change: all of them when the member is deactivated or no longer
// handles cases, those of other teams when the member moved. Each goes
// through its workflow as a transfer by the admin within the case's team
// (the assignment picks the least-loaded confirmed handler at the case's
// level, or a supervisor when nobody is free), so Temporal and PostgreSQL
// agree and the transfer event names the reason. A case that cannot move
// now (its remedies are being paid) is reported, not skipped silently;
// the same change again retries it.
func (s *Server) handOver(c *gin.Context, st store.Staff) ([]handOver, error) {
	open, err := s.store.OpenCasesOf(c, st.ID)
	if err != nil {
		return nil, err
	}
	out := []handOver{}
	for _, cs := range open {
		team := ""
		if cs.Team != nil {
			team = *cs.Team
		}
		var reason string
		switch {
		case !st.Active:
			reason = fmt.Sprintf("hand-over: %s was deactivated", st.ID)
		case complaint.RoleLevel(st.Role) == 0:
			reason = fmt.Sprintf("hand-over: %s is now %s and handles no cases", st.ID, st.Role)
		case team != st.Team:
			reason = fmt.Sprintf("hand-over: %s moved to team %s", st.ID, st.Team)
		default:
			continue
		}
		if team == "" {
			if team, err = s.store.TeamForCategory(c, cs.Category); err != nil {
				return nil, err
			}
		}
		h := handOver{CaseID: cs.ID, CaseNumber: cs.CaseNumber}
		res, err := s.update(c, cs, wf.UpdateTransfer, complaint.TransferRequest{Actor: actorOf(c), Team: team, Reason: reason}, nil)
		if err != nil {
			s.logger.Warn("hand-over failed", "case_id", cs.ID, "staff", st.ID, "err", err)
			h.Problem = "the case could not be handed over now; try again"
			if isWrongState(err) {
				h.Problem = "the case cannot be transferred in its current state; try again once it moves on"
			}
		} else {
			h.To = res.Assignee
		}
		out = append(out, h)
	}
	return out, nil
}
