package apiserver

import (
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"github.com/complaint-handling/complaints/internal/store"
)

// anonymousCustomerID is the customer id of a filing without staff
// authentication, derived from the contact it gives: "email:" and the
// address (the local part lower-cased; the domain NFKC-normalised,
// lower-cased and in its IDNA ASCII form), or, with no email, "phone:" and
// the number's digits and plus sign (full-width digits folded first). Dots
// and plus tags in the local part are kept: only the mail provider knows
// whether they matter. For an ASCII address or a phone number this is what
// the public form has always sent, so cases opened before it was derived
// here still take their customers' repeat contacts. Empty when the filing
// gives neither contact (validation refuses it).
func anonymousCustomerID(c customerBody) string {
	if e := strings.TrimSpace(c.Email); e != "" {
		at := strings.LastIndexByte(e, '@')
		if at < 0 {
			return "email:" + strings.ToLower(e)
		}
		local, domain := e[:at], strings.TrimSuffix(strings.ToLower(norm.NFKC.String(e[at+1:])), ".")
		if a, err := idna.Lookup.ToASCII(domain); err == nil {
			domain = a
		}
		return "email:" + strings.ToLower(local) + "@" + domain
	}
	var d strings.Builder
	for _, r := range norm.NFKC.String(c.Phone) {
		if r >= '0' && r <= '9' || r == '+' {
			d.WriteRune(r)
		}
	}
	if d.Len() == 0 {
		return ""
	}
	return "phone:" + d.String()
}

// deriveAnonymousCustomer sets an anonymous filing's customer id to the
// one derived from its contact details, whatever the body says. A customer
// id in the body is a claim to be that customer, which nothing but the
// contact details can back: trusted, whoever filed first as
// email:victim@… owned the victim's matter, and the victim's own filing
// was answered as a repeat contact on it, its tracking link sent to the
// filer's address. The claim is ignored rather than refused: the public
// form sends the derived id already, and older integrations that send
// their own ids keep working, only under the contact's id.
func (b *complaintBody) deriveAnonymousCustomer() {
	if id := anonymousCustomerID(b.Customer); id != "" {
		b.Customer.ID = id
	}
}

// staffSeesToken reports whether a staff member filing about an existing
// case may be given its tracking token: a case handler (agent to
// director) whose scope takes in the case, as visibleCase decides. An
// auditor, an admin, or an agent of another team under TEAM_ISOLATION is
// answered as an anonymous caller is (answerExisting): the case number,
// no token, the link sent to the customer on file. Their filing still
// counts as the customer's repeat contact.
func (s *Server) staffSeesToken(c *gin.Context, st *store.Staff, caseID string) (bool, error) {
	if !slices.Contains(handlers, st.Role) {
		return false, nil
	}
	cs, err := s.store.GetCase(c, caseID)
	if err != nil {
		return false, err
	}
	sc := s.scopeOf(st)
	return sc == nil || sc.Sees(cs), nil
}
