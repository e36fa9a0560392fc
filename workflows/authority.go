package workflows

import (
	"errors"
	"fmt"
	"slices"
)

// AuthorityMatrix says who may approve what. Limits are in minor units of
// the proposal's currency; a negative limit means any amount. The default
// follows DOMAIN.md: agents approve nothing with money, supervisors up to
// 1,000.00, managers up to 10,000.00, directors any amount, and a total
// above 50,000.00 needs two distinct approvers.
type AuthorityMatrix struct {
	Limits             map[string]int64 `json:"limits"`
	FourEyesAbove      int64            `json:"four_eyes_above"`
	RefusalSignOffRole string           `json:"refusal_sign_off_role"`
}

// DefaultAuthority is the authority matrix used unless configured otherwise.
func DefaultAuthority() AuthorityMatrix {
	return AuthorityMatrix{
		Limits: map[string]int64{
			RoleAgent:      0,
			RoleSupervisor: 1_000_00,
			RoleManager:    10_000_00,
			RoleDirector:   -1,
		},
		FourEyesAbove:      50_000_00,
		RefusalSignOffRole: RoleSupervisor,
	}
}

// Validate checks a configured matrix: limits only for approval roles,
// rising with the level, the top level unlimited, a known sign-off role.
func (m AuthorityMatrix) Validate() error {
	prev := int64(-2)
	for _, role := range approvalRoles {
		lim, ok := m.Limits[role]
		if !ok {
			return fmt.Errorf("limits: %s is missing", role)
		}
		if prev == -1 || (lim >= 0 && lim < prev) {
			return fmt.Errorf("limits: %s's limit must not be below a lower level's", role)
		}
		prev = lim
	}
	for role := range m.Limits {
		if RoleLevel(role) == 0 {
			return fmt.Errorf("limits: %q is not an approval role", role)
		}
	}
	if m.Limits[RoleDirector] >= 0 {
		return errors.New("limits: the director's limit must be -1 (any amount), or some proposals could never be approved")
	}
	if RoleLevel(m.RefusalSignOffRole) == 0 {
		return fmt.Errorf("refusal_sign_off_role: %q is not an approval role", m.RefusalSignOffRole)
	}
	return nil
}

// approvalRoles are the roles that can approve, lowest level first.
var approvalRoles = []string{RoleAgent, RoleSupervisor, RoleManager, RoleDirector}

// RoleLevel ranks approval roles (agent 1 ... director 4); other roles 0.
func RoleLevel(role string) int {
	return slices.Index(approvalRoles, role) + 1
}

// NextRole is the role one level above role (director stays director).
func NextRole(role string) string {
	l := RoleLevel(role)
	if l <= 0 {
		return RoleSupervisor
	}
	if l >= len(approvalRoles) {
		return RoleDirector
	}
	return approvalRoles[l]
}

// Requirement is what approval a proposal needs.
type Requirement struct {
	MinRole   string `json:"min_role"`
	Approvers int    `json:"approvers"`
	Total     int64  `json:"total"`
	Currency  string `json:"currency,omitempty"`
}

// Errors the authority checks return; the API maps ErrAuthority to 403.
var (
	ErrAuthority    = errors.New("insufficient authority")
	ErrSelfApproval = errors.New("four eyes: nobody approves their own proposal or request")
)

// Require computes the approval a proposal needs: the lowest role whose
// limit covers the total (a refusal needs the refusal sign-off role), and
// two approvers above the four-eyes threshold.
func (m AuthorityMatrix) Require(p Proposal) (Requirement, error) {
	total, currency, err := Total(p.Remedies)
	if err != nil {
		return Requirement{}, err
	}
	r := Requirement{Approvers: 1, Total: total, Currency: currency}
	if p.RefusalReason != "" {
		r.MinRole = m.RefusalSignOffRole
		return r, nil
	}
	r.MinRole = ""
	for _, role := range approvalRoles {
		lim, ok := m.Limits[role]
		if !ok {
			continue
		}
		// An agent's limit of 0 covers only a proposal without money.
		if lim < 0 || total <= lim {
			r.MinRole = role
			break
		}
	}
	if r.MinRole == "" {
		return r, fmt.Errorf("no role may approve a total of %d %s", total, currency)
	}
	if m.FourEyesAbove >= 0 && total > m.FourEyesAbove {
		r.Approvers = 2
	}
	return r, nil
}

// CanApprove checks that actor may approve p given approvals already given.
// It returns ErrSelfApproval, ErrAuthority (wrapped with the reason) or an
// error for a second approval by the same person.
func (m AuthorityMatrix) CanApprove(p Proposal, actor Actor) error {
	if actor.ID == p.ProposedBy {
		return ErrSelfApproval
	}
	for _, a := range p.Approvals {
		if a.By == actor.ID && a.Decision == "approve" {
			return fmt.Errorf("%w: %s has already approved; a second approver is needed", ErrAuthority, actor.ID)
		}
	}
	need := p.Required.MinRole
	if RoleLevel(actor.Role) == 0 {
		return fmt.Errorf("%w: role %s cannot approve", ErrAuthority, actor.Role)
	}
	if RoleLevel(actor.Role) < RoleLevel(need) {
		if p.RefusalReason != "" {
			return fmt.Errorf("%w: a refusal needs a %s's sign-off", ErrAuthority, need)
		}
		return fmt.Errorf("%w: %s's limit does not cover %s; a %s or above must approve",
			ErrAuthority, actor.Role, FormatMoney(p.Required.Total, p.Required.Currency), need)
	}
	return nil
}

// Approved reports whether p has all the approvals it needs.
func (p Proposal) Approved() bool {
	n := 0
	for _, a := range p.Approvals {
		if a.Decision == "approve" {
			n++
		}
	}
	return n >= p.Required.Approvers
}

// Total adds the money of remedies. All monetary remedies of one proposal
// must share a currency.
func Total(rs []Remedy) (int64, string, error) {
	var total int64
	currency := ""
	for _, r := range rs {
		if r.Amount == 0 {
			continue
		}
		if currency != "" && r.Currency != currency {
			return 0, "", fmt.Errorf("remedies mix currencies %s and %s", currency, r.Currency)
		}
		currency = r.Currency
		total += r.Amount
	}
	return total, currency, nil
}

// FormatMoney renders minor units as "1,234.56 CNY".
func FormatMoney(minor int64, currency string) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	units, cents := minor/100, minor%100
	s := fmt.Sprintf("%d", units)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	out := fmt.Sprintf("%s.%02d", s, cents)
	if neg {
		out = "-" + out
	}
	if currency != "" {
		out += " " + currency
	}
	return out
}
