package complaint

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// knownProfiles is a ProfileSet of the names given.
type knownProfiles []string

func (k knownProfiles) Known(name string) bool { return slices.Contains(k, name) }

func TestIntakeRequestValidate(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	earlier := now.Add(-48 * time.Hour)
	future := now.Add(time.Hour)
	old := now.AddDate(-2, 0, 0)
	good := IntakeRequest{Customer: Customer{ID: "c-1", Name: "Li Lei", Phone: "+86 138 0000 0000"}, Channel: ChannelWeb,
		Subject: "Broken heater", Description: "It stopped after two days."}
	with := func(f func(*IntakeRequest)) IntakeRequest {
		r := good
		f(&r)
		return r
	}
	tests := []struct {
		name string
		req  IntakeRequest
		want []string // the bad fields, in order
	}{
		{"good", good, nil},
		{"good with email only, language, profile and staff's receipt time", with(func(r *IntakeRequest) {
			r.Customer.Phone, r.Customer.Email = "", "li@example.com"
			r.Language, r.Profile, r.ReceivedAt, r.EnteredBy = LanguageEnglish, "cn-banking", &earlier, "sue"
		}), nil},
		{"every field bad at once", with(func(r *IntakeRequest) {
			r.Customer = Customer{Email: "not an address"}
			r.Subject, r.Description = " ", ""
			r.Channel, r.Language, r.Profile, r.ReceivedAt = "fax", "fr", "nope", &earlier
		}), []string{"customer.id", "customer.name", "subject", "description", "customer.email", "channel", "language", "profile", "received_at"}},
		{"no way to reach the customer", with(func(r *IntakeRequest) { r.Customer.Phone = "" }), []string{"customer.phone"}},
		{"letters in the phone number", with(func(r *IntakeRequest) { r.Customer.Phone = "call me" }), []string{"customer.phone"}},
		{"an email with a display name", with(func(r *IntakeRequest) { r.Customer.Email = "Li <li@example.com>" }), []string{"customer.email"}},
		{"control characters in the subject", with(func(r *IntakeRequest) { r.Subject = "a\x00b" }), []string{"subject"}},
		{"a description too long", with(func(r *IntakeRequest) { r.Description = strings.Repeat("长", MaxDescription+1) }), []string{"description"}},
		{"staff's receipt time in the future", with(func(r *IntakeRequest) { r.ReceivedAt, r.EnteredBy = &future, "sue" }), []string{"received_at"}},
		{"staff's receipt time over a year ago", with(func(r *IntakeRequest) { r.ReceivedAt, r.EnteredBy = &old, "sue" }), []string{"received_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range InvalidFieldsOf(tt.req.Validate(knownProfiles{"default", "cn-banking"}, now)) {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("bad fields = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIntakeRequestComplaintAppliesTheDefaults(t *testing.T) {
	now := time.Date(2026, 3, 2, 18, 0, 0, 0, time.FixedZone("CST", 8*3600))
	earlier := time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name              string
		req               IntakeRequest
		language, profile string
		receivedAt        time.Time
	}{
		{"nothing named", IntakeRequest{Channel: ChannelWeb}, DefaultLanguage, DefaultProfile, now.UTC()},
		{"all named", IntakeRequest{Channel: ChannelStore, Language: LanguageEnglish, Profile: "uk-fca", ReceivedAt: &earlier, EnteredBy: "sue"},
			LanguageEnglish, "uk-fca", earlier.UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.req.Complaint("case-1", "k", true, now)
			if c.CaseID != "case-1" || c.IdempotencyKey != "k" || !c.Anonymous || c.EnteredBy != tt.req.EnteredBy {
				t.Errorf("complaint = %+v", c)
			}
			if c.Language != tt.language || c.Profile != tt.profile || !c.ReceivedAt.Equal(tt.receivedAt) || c.ReceivedAt.Location() != time.UTC {
				t.Errorf("language %q profile %q received %v, want %q %q %v UTC", c.Language, c.Profile, c.ReceivedAt, tt.language, tt.profile, tt.receivedAt)
			}
		})
	}
	if p := (Complaint{}).ClockProfile(); p != DefaultProfile {
		t.Errorf("ClockProfile of a complaint naming none = %q", p)
	}
}

func TestChannelsIsACopy(t *testing.T) {
	c := Channels()
	c[0] = "carrier pigeon"
	if Channels()[0] != ChannelPhone {
		t.Error("changing the returned list changed the channels")
	}
}
