package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Contact channels a customer may choose for their cases' messages; none
// leaves the tracking page only.
const (
	ContactEmail = "email"
	ContactSMS   = "sms"
	ContactNone  = "none"
)

// ContactChannels lists the choices above.
func ContactChannels() []string { return []string{ContactEmail, ContactSMS, ContactNone} }

// MessageSMS is the SMS channel of a delivery (MessageEmail's sibling).
const MessageSMS = "sms"

// DeliveryDelivered is an SMS delivery receipt's confirmation that a sent
// message reached the handset.
const DeliveryDelivered = "delivered"

// SurveyKinds are the messages a survey opt-out stops on every channel.
var SurveyKinds = map[string]bool{"survey": true, "survey_reminder": true}

// Preferences are a customer's contact preferences for one case (see
// migration 00018 for why not for every case of a customer id).
type Preferences struct {
	// Channel is email, sms or none.
	Channel string `json:"channel"`
	// Language is the language of their texts (zh or en).
	Language     string `json:"language"`
	SurveyOptOut bool   `json:"survey_opt_out"`
	// Chosen is false while the customer has not set them: the
	// defaults above apply.
	Chosen bool `json:"chosen"`
}

// DefaultChannel is the channel of a customer who chose none: email when
// an address is on file, otherwise SMS when a phone is.
func DefaultChannel(email, phone string) string {
	switch {
	case email != "":
		return ContactEmail
	case phone != "":
		return ContactSMS
	}
	return ContactNone
}

// Allows reports whether a customer message of kind may go out by
// channel under p. The tracking link sent again at the customer's own
// request (kind tracking_link) goes to the address they asked for.
func (p Preferences) Allows(kind, channel string) bool {
	if p.SurveyOptOut && SurveyKinds[kind] {
		return false
	}
	if kind == "tracking_link" {
		return true
	}
	return p.Channel == channel
}

// AllowsFallback reports whether a customer message of kind may go out
// by another channel than the chosen one after that one failed for good.
func (p Preferences) AllowsFallback(kind string) bool {
	return p.Channel != ContactNone && !(p.SurveyOptOut && SurveyKinds[kind])
}

// CaseContacts are a case's customer's addresses and preferences.
type CaseContacts struct {
	CustomerID, Email, Phone, Language, Profile string
	Preferences                                 Preferences
}

// Address is the customer's address for a delivery channel, "" for none.
func (c CaseContacts) Address(channel string) string {
	switch channel {
	case MessageEmail:
		return c.Email
	case MessageSMS:
		return c.Phone
	}
	return ""
}

// CaseContacts reads a case's customer's addresses and preferences (the
// defaults when they chose none).
func (s *Store) CaseContacts(ctx context.Context, caseID string) (CaseContacts, error) {
	var c CaseContacts
	var ch, lang *string
	var optOut *bool
	err := s.Pool.QueryRow(ctx, `SELECT c.customer_id, c.customer_email, c.customer_phone, c.language, c.profile,
    p.channel, p.language, p.survey_opt_out
FROM cases c LEFT JOIN contact_preferences p ON p.case_id = c.id WHERE c.id = $1`, caseID).
		Scan(&c.CustomerID, &c.Email, &c.Phone, &c.Language, &c.Profile, &ch, &lang, &optOut)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("store.CaseContacts(%s): %w", caseID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store.CaseContacts(%s): %w", caseID, err)
	}
	c.Preferences = Preferences{Channel: DefaultChannel(c.Email, c.Phone), Language: c.Language}
	if ch != nil {
		c.Preferences = Preferences{Channel: *ch, Language: *lang, SurveyOptOut: *optOut, Chosen: true}
	}
	return c, nil
}

// SetPreferences records the customer's contact preferences for a case;
// the caller has validated them.
func (s *Store) SetPreferences(ctx context.Context, caseID string, p Preferences) error {
	if !slices.Contains(ContactChannels(), p.Channel) {
		return fmt.Errorf("store.SetPreferences(%s): channel %q is not one of %v", caseID, p.Channel, ContactChannels())
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO contact_preferences (case_id, channel, language, survey_opt_out)
    VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE
    SET channel = EXCLUDED.channel, language = EXCLUDED.language, survey_opt_out = EXCLUDED.survey_opt_out, updated_at = now()`,
		caseID, p.Channel, p.Language, p.SurveyOptOut); err != nil {
		return fmt.Errorf("store.SetPreferences(%s): %w", caseID, err)
	}
	return nil
}

// customerAllows reports whether a delivery by channel of the
// notification key may be queued: staff messages always, a customer's
// when their preferences allow it.
func (s *Store) customerAllows(ctx context.Context, key, caseID, channel string) (bool, error) {
	if caseID == "" {
		return true, nil
	}
	var audience, kind string
	if err := s.Pool.QueryRow(ctx, `SELECT audience, kind FROM notifications WHERE idem_key = $1`, key).
		Scan(&audience, &kind); err != nil {
		return false, fmt.Errorf("notification %s: %w", key, err)
	}
	if audience != AudienceCustomer {
		return true, nil
	}
	c, err := s.CaseContacts(ctx, caseID)
	if err != nil {
		return false, err
	}
	return c.Preferences.Allows(kind, channel), nil
}
