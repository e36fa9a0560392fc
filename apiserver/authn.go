package apiserver

import (
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

const ctxStaff = "staff"

// requireStaff verifies the bearer token (401 without a valid one) and
// registers the staff member on first sight from the token's claims
// (unconfirmed unless STAFF_AUTO_CONFIRM). Afterwards the directory, not
// the token, holds the member's role and team.
func (s *Server) requireStaff() gin.HandlerFunc {
	return func(c *gin.Context) {
		st, ok := s.authenticate(c)
		if !ok {
			return
		}
		if st == nil {
			c.Header("WWW-Authenticate", `Bearer realm="complaints"`)
			problem(c, http.StatusUnauthorized, "unauthorized", "a valid staff bearer token is required")
			return
		}
		c.Next()
	}
}

// optionalStaff accepts a request without a token (a customer) but
// verifies one if present: a bad token is still 401.
func (s *Server) optionalStaff() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, ok := s.authenticate(c); !ok {
			return
		}
		c.Next()
	}
}

// authenticate returns the staff member of a valid token, nil without a
// token, and false after writing a 401 for a bad token or 403 for a
// deactivated member.
func (s *Server) authenticate(c *gin.Context) (*store.Staff, bool) {
	h := c.GetHeader("Authorization")
	if h == "" {
		return nil, true
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="complaints"`)
		problem(c, http.StatusUnauthorized, "unauthorized", "use the Bearer scheme")
		return nil, false
	}
	claims, err := s.verifier.Verify(c.Request.Context(), strings.TrimSpace(tok))
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="complaints", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, "unauthorized", "the token is invalid or expired")
		return nil, false
	}
	st, err := s.store.StaffFromClaims(c, claims.Subject, claims.Name, claims.Role, claims.Team, s.cfg.StaffAutoConfirm)
	if err != nil {
		s.fail(c, "register staff", err)
		return nil, false
	}
	if !st.Active {
		problem(c, http.StatusForbidden, "forbidden", "this staff account is deactivated")
		return nil, false
	}
	c.Set(ctxStaff, &st)
	return &st, true
}

func staffOf(c *gin.Context) *store.Staff {
	v, ok := c.Get(ctxStaff)
	if !ok {
		return nil
	}
	return v.(*store.Staff)
}

func actorOf(c *gin.Context) complaint.Actor {
	st := staffOf(c)
	return complaint.Actor{ID: st.ID, Role: st.Role, Team: st.Team}
}

// allow lets only the given roles through (403 for others).
func (s *Server) allow(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		st := staffOf(c)
		if st == nil || !slices.Contains(roles, st.Role) {
			problem(c, http.StatusForbidden, "forbidden", "your role may not do this")
			return
		}
		c.Next()
	}
}

func (s *Server) me(c *gin.Context) { c.JSON(http.StatusOK, staffOf(c)) }

func (s *Server) listStaff(c *gin.Context) {
	list, err := s.store.ListStaff(c)
	if err != nil {
		s.fail(c, "list staff", err)
		return
	}
	if list == nil {
		list = []store.Staff{}
	}
	c.JSON(http.StatusOK, gin.H{"staff": list})
}

type staffPatch struct {
	Role      *string `json:"role"`
	Team      *string `json:"team"`
	Active    *bool   `json:"active"`
	Confirmed *bool   `json:"confirmed"`
	// Email is where the member's notifications go ("" clears it).
	Email *string `json:"email"`
}

// staffUpdate is a changed member and what became of the open cases they
// could no longer keep.
type staffUpdate struct {
	store.Staff
	HandedOver []handOver `json:"handed_over"`
}

// updateStaff applies an admin's change to the directory, then hands over
// the open cases the member may no longer hold (see handOver).
func (s *Server) updateStaff(c *gin.Context) {
	var p staffPatch
	if !decode(c, &p) {
		return
	}
	var errs []FieldProblem
	if p.Role != nil && !slices.Contains(complaint.Roles(), *p.Role) {
		errs = append(errs, complaint.OneOf(complaint.Roles()...).At("role"))
	}
	if p.Team != nil {
		ok, err := s.store.TeamExists(c, *p.Team)
		if err != nil {
			s.fail(c, "team exists", err)
			return
		}
		if !ok {
			errs = append(errs, complaint.NewProblem(complaint.CodeUnknownTeam, "no such team").At("team"))
		}
	}
	if p.Email != nil && *p.Email != "" {
		if a, err := mail.ParseAddress(*p.Email); err != nil || a.Address != *p.Email || len(*p.Email) > 254 {
			errs = append(errs, FieldProblem{Field: "email", Message: "must be a plain email address such as ann@example.com"})
		}
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	_, st, err := s.store.UpdateStaff(c, c.Param("id"), store.StaffChange{Role: p.Role, Team: p.Team, Active: p.Active,
		Confirmed: p.Confirmed, Email: p.Email})
	if err != nil {
		s.fail(c, "update staff", err)
		return
	}
	handed, err := s.handOver(c, st)
	if err != nil {
		s.fail(c, "hand over", err)
		return
	}
	c.JSON(http.StatusOK, staffUpdate{Staff: st, HandedOver: handed})
}

// scopeOf is the part of the cases a member may see: agents and
// supervisors see their team's cases and those assigned to them (nil
// means every case: managers, directors, admins and auditors).
func (s *Server) scopeOf(st *store.Staff) *store.Scope {
	if s.cfg.TeamIsolation && (st.Role == complaint.RoleAgent || st.Role == complaint.RoleSupervisor) {
		return &store.Scope{Team: st.Team, Staff: st.ID}
	}
	return nil
}
