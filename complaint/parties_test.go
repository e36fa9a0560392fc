package complaint

import (
	"slices"
	"testing"
	"time"
)

// codesOf maps each bad field of err to its problem codes.
func codesOf(err error) map[string][]string {
	out := map[string][]string{}
	for _, f := range InvalidFieldsOf(err) {
		out[f.Field] = append(out[f.Field], f.Code)
	}
	return out
}

func TestPartyRequestValidate(t *testing.T) {
	tests := []struct {
		name string
		r    PartyRequest
		want map[string][]string
	}{
		{"a lawyer the customer authorised", PartyRequest{Kind: PartyLawyer, Name: "Wang Fang", Relation: "counsel", Authorised: true, Email: "wang@law.example"}, map[string][]string{}},
		{"a first receiver", PartyRequest{Kind: PartyFirstReceiver, StaffID: "sales-zhou"}, map[string][]string{}},
		{"the customer is not added", PartyRequest{Kind: PartyCustomer, Name: "x"}, map[string][]string{"kind": {CodeOneOf}}},
		{"a relative without a name, with a bad phone and email", PartyRequest{Kind: PartyRelative, Phone: "call me", Email: "nope"},
			map[string][]string{"name": {CodeRequired}, "phone": {CodeInvalidPhone}, "email": {CodeInvalidEmail}}},
		{"an inside party needs a staff id and is not authorised", PartyRequest{Kind: PartyDecider, Authorised: true},
			map[string][]string{"staff_id": {CodeStaffRequired}, "authorised": {CodeOutsideOnly}}},
		{"an outside party has no staff id", PartyRequest{Kind: PartyFriend, Name: "Zhao", StaffID: "agent-ann"}, map[string][]string{"staff_id": {CodeOutsideOnly}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codesOf(tt.r.Validate())
			if len(got) != len(tt.want) {
				t.Fatalf("bad fields %v, want %v", got, tt.want)
			}
			for f, codes := range tt.want {
				if !slices.Equal(got[f], codes) {
					t.Errorf("%s: %v, want %v", f, got[f], codes)
				}
			}
		})
	}
}

func TestCallRequestValidate(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name string
		r    CallRequest
		want map[string][]string
	}{
		{"reached", CallRequest{Outcome: CallReached, Note: "apologised"}, map[string][]string{}},
		{"call back tomorrow", CallRequest{Outcome: CallBack, CallbackAt: at(24 * time.Hour)}, map[string][]string{}},
		{"call back without a time", CallRequest{Outcome: CallBack}, map[string][]string{"callback_at": {CodeCallbackRequired}}},
		{"a time without call back", CallRequest{Outcome: CallNoAnswer, CallbackAt: at(time.Hour)}, map[string][]string{"callback_at": {CodeCallbackNotAllowed}}},
		{"call back in the past", CallRequest{Outcome: CallBack, CallbackAt: at(-time.Minute)}, map[string][]string{"callback_at": {CodeInPast}}},
		{"call back in two months", CallRequest{Outcome: CallBack, CallbackAt: at(60 * 24 * time.Hour)}, map[string][]string{"callback_at": {CodeOutOfRange}}},
		{"unknown outcome", CallRequest{Outcome: "voicemail"}, map[string][]string{"outcome": {CodeOneOf}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codesOf(tt.r.Validate(now))
			if len(got) != len(tt.want) {
				t.Fatalf("bad fields %v, want %v", got, tt.want)
			}
			for f, codes := range tt.want {
				if !slices.Equal(got[f], codes) {
					t.Errorf("%s: %v, want %v", f, got[f], codes)
				}
			}
		})
	}
}

func TestMergeRequestValidate(t *testing.T) {
	got := codesOf(MergeRequest{Into: "case-a"}.Validate("case-a"))
	if !slices.Equal(got["into"], []string{CodeSameCase}) || !slices.Equal(got["reason"], []string{CodeRequired}) {
		t.Errorf("merging a case into itself without a reason: %v", got)
	}
}
