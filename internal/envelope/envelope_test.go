package envelope

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type approval struct {
	Actor    Actor  `json:"actor"`
	Decision string `json:"decision"`
}

// TestVerify signs a manager's approval and alters one thing at a time, as
// an attacker with access to the Temporal frontend could: the signature,
// the key, the workflow, the run, the update name or id, the issue time,
// the arguments (the actor among them). Only the untouched envelope and
// one signed with the retired key during a rotation pass.
func TestVerify(t *testing.T) {
	key, old := []byte(strings.Repeat("k", 32)), []byte(strings.Repeat("o", 32))
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	args := []any{approval{Actor: Actor{ID: "mgr-max", Role: "manager", Team: "billing"}, Decision: "approve"}}
	target := Target{WorkflowID: "complaint:1", FirstRunID: "run-1", Update: "approval", UpdateID: "u-1", Args: args}
	sign := func(change func(*Envelope), k []byte) *Envelope {
		d, err := Digest(args)
		if err != nil {
			t.Fatal(err)
		}
		e := &Envelope{Actor: Actor{ID: "mgr-max", Role: "manager", Team: "billing"}, WorkflowID: "complaint:1", FirstRunID: "run-1",
			Update: "approval", UpdateID: "u-1", IssuedAt: now.UnixMilli(), ArgsDigest: d}
		if change != nil {
			change(e)
		}
		e.Sign(k)
		return e
	}
	v := Verifier{Keys: [][]byte{key, old}, MaxAge: 5 * time.Minute, Skew: time.Minute, Now: func() time.Time { return now }}
	forgedArgs := target
	forgedArgs.Args = []any{approval{Actor: Actor{ID: "mallory", Role: "director"}, Decision: "approve"}}
	for _, tc := range []struct {
		name   string
		e      *Envelope
		target Target
		want   string
	}{
		{"genuine", sign(nil, key), target, ""},
		{"signed with the retired key", sign(nil, old), target, ""},
		{"none", nil, target, ReasonUnsigned},
		{"guessed key", sign(nil, []byte(strings.Repeat("g", 32))), target, ReasonBadSignature},
		{"actor changed after signing", func() *Envelope { e := sign(nil, key); e.Actor.Role = "director"; return e }(), target, ReasonBadSignature},
		{"another workflow", sign(nil, key), Target{WorkflowID: "complaint:2", FirstRunID: "run-1", Update: "approval", UpdateID: "u-1", Args: args}, ReasonWrongTarget},
		{"another run", sign(nil, key), Target{WorkflowID: "complaint:1", FirstRunID: "run-2", Update: "approval", UpdateID: "u-1", Args: args}, ReasonWrongTarget},
		{"another update", sign(nil, key), Target{WorkflowID: "complaint:1", FirstRunID: "run-1", Update: "withdraw", UpdateID: "u-1", Args: args}, ReasonWrongTarget},
		{"another update id", sign(nil, key), Target{WorkflowID: "complaint:1", FirstRunID: "run-1", Update: "approval", UpdateID: "u-2", Args: args}, ReasonWrongTarget},
		{"stale", sign(func(e *Envelope) { e.IssuedAt = now.Add(-6 * time.Minute).UnixMilli() }, key), target, ReasonStale},
		{"from the future", sign(func(e *Envelope) { e.IssuedAt = now.Add(2 * time.Minute).UnixMilli() }, key), target, ReasonStale},
		{"within the skew", sign(func(e *Envelope) { e.IssuedAt = now.Add(30 * time.Second).UnixMilli() }, key), target, ""},
		{"other arguments", sign(nil, key), forgedArgs, ReasonArgs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(tc.e, tc.target)
			var e *Error
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &e) || e.Reason != tc.want):
				t.Fatalf("Verify = %v, want reason %s", err, tc.want)
			}
		})
	}
	if err := (Verifier{}).Verify(sign(nil, key), target); err == nil {
		t.Error("a verifier without keys accepted an envelope")
	}
}

// TestDigestSurvivesTheRoundTrip: the worker digests the arguments it
// decoded into the handler's types; the API digested the values it sent.
func TestDigestSurvivesTheRoundTrip(t *testing.T) {
	type remedy struct {
		Amount int64     `json:"amount"`
		At     time.Time `json:"at"`
		Notes  []string  `json:"notes,omitempty"`
	}
	sent := []any{remedy{Amount: 200000, At: time.Date(2026, 12, 3, 8, 0, 0, 123, time.FixedZone("CST", 8*3600))}}
	got := []any{remedy{Amount: 200000, At: time.Date(2026, 12, 3, 0, 0, 0, 123, time.UTC).In(time.FixedZone("", 8*3600))}}
	a, _ := Digest(sent)
	b, _ := Digest(got)
	if a != b {
		t.Errorf("digests differ: %s %s", a, b)
	}
}
