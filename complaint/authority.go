package complaint

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// AuthorityMatrix says who may approve what. Limits are in minor units of
// the base currency (Currency); a negative limit means any amount. A
// proposal in another currency is converted into the base at the matrix's
// rate before the limits apply, so 100,000 JPY needs what its value in
// CNY needs. The default follows DOMAIN.md: agents approve nothing with
// money, supervisors up to 1,000.00 CNY, managers up to 10,000.00,
// directors any amount, and a total above 50,000.00 needs two distinct
// approvers.
//
// A case takes the matrix, its currencies and rates included, into its
// state at registration (RegisterResult.Authority): it keeps the rules it
// was registered under, and replays the same.
type AuthorityMatrix struct {
	Limits             map[string]int64 `json:"limits"`
	FourEyesAbove      int64            `json:"four_eyes_above"`
	RefusalSignOffRole string           `json:"refusal_sign_off_role"`
	// Currency is the base currency, ISO 4217; empty in snapshots taken
	// before currencies were configured, which mean LegacyCurrency.
	Currency string `json:"currency,omitempty"`
	// Rates are the other currencies remedies may be paid in, each with
	// the value of one of its major units in major units of the base, as
	// an exact decimal ("0.0478": one yen in yuan). A currency without a
	// rate is not accepted.
	Rates map[string]string `json:"rates,omitempty"`
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
		Currency:           LegacyCurrency,
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
	if _, ok := MinorUnits(m.Base()); !ok {
		return fmt.Errorf("currency: %q is not an ISO 4217 currency this system supports", m.Currency)
	}
	for _, c := range slices.Sorted(maps.Keys(m.Rates)) {
		if _, ok := MinorUnits(c); !ok {
			return fmt.Errorf("rates: %q is not an ISO 4217 currency this system supports", c)
		}
		if c == m.Base() {
			return fmt.Errorf("rates: %s is the base currency and takes no rate", c)
		}
		if _, err := ParseRate(m.Rates[c]); err != nil {
			return fmt.Errorf("rates: %s: %w", c, err)
		}
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

// Requirement is what approval a proposal needs. Total is in the
// proposal's currency; BaseTotal, what the limits were compared with, in
// the matrix's base currency (absent when the two are the same).
type Requirement struct {
	MinRole   string `json:"min_role"`
	Approvers int    `json:"approvers"`
	Total     int64  `json:"total"`
	Currency  string `json:"currency,omitempty"`
	BaseTotal int64  `json:"base_total,omitempty"`
}

// Errors the authority checks return; the API maps ErrAuthority to 403.
var (
	ErrAuthority    = errors.New("insufficient authority")
	ErrSelfApproval = errors.New("four eyes: nobody approves their own proposal or request")
)

// Require computes the approval a proposal needs: the lowest role whose
// limit covers the total in the base currency (a refusal needs the refusal
// sign-off role), and two approvers above the four-eyes threshold. A total
// in a currency the matrix has no rate for cannot be compared with the
// limits: it returns an error wrapping ErrCurrency, with the requirement
// set to the top level, so nothing unconvertible is approved below it.
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
	base, err := m.ToBase(total, currency)
	if err != nil {
		r.MinRole, r.Approvers = RoleDirector, 2
		return r, err
	}
	if currency != "" && currency != m.Base() {
		r.BaseTotal = base
	}
	r.MinRole = ""
	for _, role := range approvalRoles {
		lim, ok := m.Limits[role]
		if !ok {
			continue
		}
		// An agent's limit of 0 covers only a proposal without money.
		if lim < 0 || base <= lim {
			r.MinRole = role
			break
		}
	}
	if r.MinRole == "" {
		return r, NewProblem(CodeBeyondEveryLimit, fmt.Sprintf("no role may approve a total of %s", FormatMoney(total, currency)),
			"total", FormatMoney(total, currency))
	}
	if m.FourEyesAbove >= 0 && base > m.FourEyesAbove {
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
			return 0, "", NewProblem(CodeMixedCurrencies, fmt.Sprintf("remedies mix currencies %s and %s", currency, r.Currency),
				"currencies", currency+", "+r.Currency)
		}
		currency = r.Currency
		total += r.Amount
	}
	return total, currency, nil
}
