package complaint

import (
	"net/mail"
	"strings"
	"time"
)

// Channels a complaint may arrive by.
const (
	ChannelPhone     = "phone"
	ChannelEmail     = "email"
	ChannelWeb       = "web"
	ChannelSocial    = "social"
	ChannelStore     = "store"
	ChannelPost      = "post"
	ChannelRegulator = "regulator"
)

// Channels returns the channels a complaint may arrive by, in the order
// the API lists them (a new slice each call).
func Channels() []string {
	return []string{ChannelPhone, ChannelEmail, ChannelWeb, ChannelSocial, ChannelStore, ChannelPost, ChannelRegulator}
}

// Languages a case is handled in: the customer's messages are written in
// it.
const (
	LanguageChinese = "zh"
	LanguageEnglish = "en"
	// DefaultLanguage is a filing's language when it names none.
	DefaultLanguage = LanguageChinese
)

// DefaultProfile is the clock profile of a complaint that names none.
const DefaultProfile = "default"

// ClockProfile is the name of the clock profile the complaint runs under:
// its own, or DefaultProfile when it names none (complaints filed before
// intake filled it in).
func (c Complaint) ClockProfile() string {
	if c.Profile == "" {
		return DefaultProfile
	}
	return c.Profile
}

// IntakeRequest is a complaint as filed at the front door, before it is a
// case: what the customer (or staff entering it for them) says.
type IntakeRequest struct {
	Customer      Customer
	Channel       string
	Subject       string
	Description   string
	DesiredRemedy string
	OrderRef      string
	Product       string
	Region        string
	Branch        string
	Language      string
	Profile       string
	// ReceivedAt is when the complaint was received, given only by staff
	// entering one received earlier (a letter, a call); nil means now.
	ReceivedAt *time.Time
	// EnteredBy is the staff member entering the complaint; empty for the
	// customer's own filing.
	EnteredBy string
}

// ProfileSet says which clock profiles exist. Known reports whether name
// is one; it has no error: a profile it does not know is refused as a bad
// field.
type ProfileSet interface {
	Known(name string) bool
}

// Validate checks every field of a filing and reports every bad one
// (FieldErrors; nil when it is good), so the front door refuses a bad
// complaint before any case or workflow exists: the text fields with the
// same checks the workflow's intake validator makes
// (ValidateComplaintText), a way to reach the customer, the channel,
// language and profile, and a receipt time only staff may give, within
// the last year and not in the future (now is the time of filing).
func (r IntakeRequest) Validate(profiles ProfileSet, now time.Time) error {
	var errs Fields
	errs.Merge(ValidateComplaintText(Complaint{Customer: r.Customer, Subject: r.Subject, Description: r.Description,
		DesiredRemedy: r.DesiredRemedy, OrderRef: r.OrderRef, Product: r.Product, Region: r.Region, Branch: r.Branch}))
	if r.Customer.Phone == "" && r.Customer.Email == "" {
		errs.Add("customer.phone", NewProblem(CodeContactRequired, "give a phone number or an email address so we can reach you"))
	}
	if r.Customer.Email != "" {
		if a, err := mail.ParseAddress(r.Customer.Email); err != nil || a.Address != r.Customer.Email {
			errs.Add("customer.email", NewProblem(CodeInvalidEmail, "is not a valid email address"))
		}
	}
	if r.Customer.Phone != "" && strings.Trim(r.Customer.Phone, "+0123456789 -()") != "" {
		errs.Add("customer.phone", NewProblem(CodeInvalidPhone, "may contain only digits, spaces, + - ( )"))
	}
	if !contains(Channels(), r.Channel) {
		errs.Add("channel", OneOf(Channels()...))
	}
	if r.Language != "" && r.Language != LanguageChinese && r.Language != LanguageEnglish {
		errs.Add("language", OneOfSaying("must be zh or en", LanguageChinese, LanguageEnglish))
	}
	if r.Profile != "" && !profiles.Known(r.Profile) {
		errs.Add("profile", NewProblem(CodeUnknownProfile, "is not a known clock profile"))
	}
	if r.ReceivedAt != nil {
		switch {
		case r.EnteredBy == "":
			errs.Add("received_at", NewProblem(CodeStaffOnly, "may only be given by staff entering a complaint"))
		case r.ReceivedAt.After(now.Add(time.Minute)):
			errs.Add("received_at", NewProblem(CodeInFuture, "must not be in the future"))
		case r.ReceivedAt.Before(now.AddDate(-1, 0, 0)):
			errs.Add("received_at", NewProblem(CodeTooOld, "must be within the last year"))
		}
	}
	return errs.Err()
}

// Complaint is the complaint a valid filing opens as case caseID, with
// the defaults applied: the language (DefaultLanguage), the clock profile
// (DefaultProfile) and the receipt time (now, in UTC). idempotencyKey is
// the caller's scoped Idempotency-Key ("" without one); anonymous marks a
// filing without a staff or customer token.
func (r IntakeRequest) Complaint(caseID, idempotencyKey string, anonymous bool, now time.Time) Complaint {
	c := Complaint{CaseID: caseID, IdempotencyKey: idempotencyKey, Customer: r.Customer, Channel: r.Channel,
		Subject: r.Subject, Description: r.Description, DesiredRemedy: r.DesiredRemedy, OrderRef: r.OrderRef,
		Product: r.Product, Region: r.Region, Branch: r.Branch, Language: r.Language, Profile: r.Profile,
		ReceivedAt: now.UTC(), EnteredBy: r.EnteredBy, Anonymous: anonymous}
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	c.Profile = c.ClockProfile()
	if r.ReceivedAt != nil {
		c.ReceivedAt = r.ReceivedAt.UTC()
	}
	return c
}
