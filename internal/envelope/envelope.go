// Package envelope binds every update a case's workflow receives to the
// authenticated caller that asked for it. The API (and the worker's own
// incident resolution) signs a decision envelope with DECISION_SIGNING_KEY:
// who acts (actor id, role, team), on which workflow (id and first run),
// which update (name and update id), when, and a digest of the update's
// arguments. The envelope travels in the update's Temporal header; the
// worker's interceptor (worker.go) checks it before the workflow's own
// validator runs, so an update sent straight to the Temporal frontend, with
// or without the payload key, cannot act for anybody.
package envelope

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// HeaderKey is the Temporal header field that carries the envelope.
const HeaderKey = "complaints-decision"

// Actor is who a decision is made by. Customers act as
// Actor{ID: "customer", Role: "customer"}.
type Actor struct {
	ID   string `json:"id"`
	Role string `json:"role"`
	Team string `json:"team,omitempty"`
}

// Customer is the actor of a customer's own actions (intake, response,
// information, withdrawal, survey), authenticated by their tracking or
// survey link.
var Customer = Actor{ID: "customer", Role: "customer"}

// Envelope is the signed statement of one update.
type Envelope struct {
	Actor      Actor  `json:"actor"`
	CaseID     string `json:"case_id,omitempty"`
	WorkflowID string `json:"workflow_id"`
	// FirstRunID is the run the caller addressed; empty for intake, which
	// may start the workflow.
	FirstRunID string `json:"first_run_id,omitempty"`
	Update     string `json:"update"`
	UpdateID   string `json:"update_id"`
	// IssuedAt is in Unix milliseconds.
	IssuedAt   int64  `json:"iat"`
	ArgsDigest string `json:"args_sha256"`
	Signature  string `json:"sig,omitempty"`
}

// Reasons an envelope is refused, the reason label of
// complaints_decision_rejected_total.
const (
	ReasonUnsigned     = "unsigned"
	ReasonBadSignature = "bad_signature"
	ReasonWrongTarget  = "wrong_target"
	ReasonStale        = "stale"
	ReasonArgs         = "args_mismatch"
)

// Error is a refused envelope; Reason is one of the Reason constants.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string { return "decision envelope refused (" + e.Reason + "): " + e.Detail }

// Digest is the SHA-256 of the arguments' JSON, base64: the values the
// workflow will act on, as the default converter sends them.
func Digest(args []any) (string, error) {
	if args == nil {
		args = []any{}
	}
	b, err := json.Marshal(args)
	if err != nil {
		return "", fmt.Errorf("envelope: digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

func (e Envelope) mac(key []byte) string {
	e.Signature = ""
	b, _ := json.Marshal(e) // strings and an integer: cannot fail
	m := hmac.New(sha256.New, key)
	m.Write([]byte("complaints-decision-v1\x00"))
	m.Write(b)
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// Sign sets e's signature with key.
func (e *Envelope) Sign(key []byte) { e.Signature = e.mac(key) }

// Target is what an update is actually addressed to, as the worker sees it.
type Target struct {
	WorkflowID string
	FirstRunID string
	Update     string
	UpdateID   string
	Args       []any
}

// Verifier checks envelopes. Keys are the current signing key and any
// retired ones still accepted; MaxAge and Skew bound IssuedAt against Now.
type Verifier struct {
	Keys   [][]byte
	MaxAge time.Duration
	Skew   time.Duration
	Now    func() time.Time
}

// Verify checks that e is signed by one of v's keys, addresses t, is fresh
// and carries t's arguments. It returns an *Error.
func (v Verifier) Verify(e *Envelope, t Target) error {
	if e == nil {
		return &Error{ReasonUnsigned, "no envelope"}
	}
	signed := false
	for _, k := range v.Keys {
		if hmac.Equal([]byte(e.mac(k)), []byte(e.Signature)) {
			signed = true
			break
		}
	}
	if !signed {
		return &Error{ReasonBadSignature, "the signature does not match"}
	}
	switch {
	case e.WorkflowID != t.WorkflowID:
		return &Error{ReasonWrongTarget, fmt.Sprintf("signed for workflow %q, sent to %q", e.WorkflowID, t.WorkflowID)}
	case e.FirstRunID != "" && e.FirstRunID != t.FirstRunID:
		return &Error{ReasonWrongTarget, fmt.Sprintf("signed for run %q, sent to %q", e.FirstRunID, t.FirstRunID)}
	case e.Update != t.Update:
		return &Error{ReasonWrongTarget, fmt.Sprintf("signed for update %q, sent as %q", e.Update, t.Update)}
	case e.UpdateID != t.UpdateID:
		return &Error{ReasonWrongTarget, fmt.Sprintf("signed for update id %q, sent as %q", e.UpdateID, t.UpdateID)}
	}
	now := v.Now()
	issued := time.UnixMilli(e.IssuedAt)
	if age := now.Sub(issued); age > v.MaxAge || -age > v.Skew {
		return &Error{ReasonStale, fmt.Sprintf("issued at %s, %s from now", issued.UTC().Format(time.RFC3339), age.Round(time.Second))}
	}
	d, err := Digest(t.Args)
	if err != nil {
		return &Error{ReasonArgs, err.Error()}
	}
	if d != e.ArgsDigest {
		return &Error{ReasonArgs, "the arguments are not the ones signed"}
	}
	return nil
}

type actorKey struct{}

// WithActor returns ctx carrying the authenticated actor whose updates the
// client interceptor signs.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor WithActor put in ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// caseKey carries the case id for the envelope (informational: the worker
// binds the workflow and run).
type caseKey struct{}

// WithCase returns ctx naming the case an update is about.
func WithCase(ctx context.Context, caseID string) context.Context {
	return context.WithValue(ctx, caseKey{}, caseID)
}

// ErrNoActor is returned by the client interceptor for an update sent
// without an actor in its context: it would be refused by the worker.
var ErrNoActor = errors.New("envelope: update sent without an authenticated actor (envelope.WithActor)")
