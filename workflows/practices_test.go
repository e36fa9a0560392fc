package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// messages returns the case's notifications of one audience and kind as
// "recipient: body".
func (h *harness) messages(audience, kind string) []string {
	h.t.Helper()
	rows, err := h.st.Pool.Query(context.Background(), `SELECT COALESCE(recipient, ''), body FROM notifications
WHERE case_id = $1 AND audience = $2 AND kind = $3 ORDER BY id`, h.in.CaseID, audience, kind)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r, b string
		_ = rows.Scan(&r, &b)
		out = append(out, r+": "+b)
	}
	return out
}

const warning = "Dear Li Lei, please treat our staff with respect: insults are not acceptable and have been recorded."

func abuseBy(who string, at time.Time) complaint.AbuseRequest {
	return complaint.AbuseRequest{Actor: actor(who), Kind: complaint.AbuseInsults, Evidence: "\"You are useless, I will call every hour\"",
		At: at, ReceivedBy: who, Warning: warning, Script: complaint.ScriptUse{Key: "warning-en", Version: 1}}
}

// TestAbuseSendsTheWarning records an abusive contact: the customer is
// sent the approved warning through the outbox, the team's supervisor is
// told, and the audit trail keeps the evidence and who received it. A
// record with bad fields is refused naming them, and a case started before
// VersionScripts refuses the update.
func TestAbuseSendsTheWarning(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t.Run("current version", func(t *testing.T) {
		h := newHarness(t, nil)
		h.at(1*hr, wf.UpdateAbuse, complaint.AbuseRequest{Actor: actor("agent-ann"), Kind: "rude", At: start.Add(2 * hr)}, "kind")
		h.at(2*hr, wf.UpdateAbuse, abuseBy("agent-ann", start.Add(90*time.Minute)), "")
		h.at(3*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
		st := h.run()
		if st.AbuseCount != 1 {
			t.Errorf("abuse count = %d, want 1", st.AbuseCount)
		}
		if got := h.messages("customer", "abuse_warning"); len(got) != 1 || !strings.Contains(got[0], warning) {
			t.Errorf("warnings to the customer = %q, want the script's text once", got)
		}
		if got := h.messages("staff", "abuse_recorded"); len(got) != 1 || !strings.HasPrefix(got[0], "role:supervisor@") {
			t.Errorf("messages to the supervisor = %q", got)
		}
		var kind, by, key string
		if err := h.st.Pool.QueryRow(context.Background(), `SELECT payload->>'kind', payload->>'received_by', payload->'script'->>'key'
FROM case_events WHERE case_id = $1 AND type = 'abusive_contact'`, h.in.CaseID).Scan(&kind, &by, &key); err != nil {
			t.Fatal(err)
		}
		if kind != "insults" || by != "agent-ann" || key != "warning-en" {
			t.Errorf("audit event: kind %s, received by %s, script %s", kind, by, key)
		}
	})
	t.Run("a case of an older version", func(t *testing.T) {
		h := newHarness(t, nil)
		h.version = wf.VersionBoundedContacts
		h.at(1*hr, wf.UpdateAbuse, abuseBy("agent-ann", start.Add(30*time.Minute)), "opened before the staff-protection practices")
		h.at(2*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
		h.run()
		if got := h.messages("customer", "abuse_warning"); len(got) != 0 {
			t.Errorf("an old case sent warnings: %q", got)
		}
	})
}

// TestRestrictedRepeatContactsDoNotRaisePriority: the third repeat contact
// raises an unrestricted case's priority, as before; under a supervisor's
// contact restriction the same three contacts are all recorded but leave
// the priority alone and are routed to the named handler, who takes the
// case. An agent may not restrict contact. At the review date the
// supervisor who set the restriction is reminded.
func TestRestrictedRepeatContactsDoNotRaisePriority(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	restriction := complaint.Restriction{Handler: "sup-sam", WrittenOnly: true, ReviewOn: start.Add(48 * hr), Reason: "three calls a day with insults"}
	for _, tt := range []struct {
		name       string
		restrict   bool
		priority   int
		handler    string
		reviewSent int
	}{
		{"unrestricted", false, 1, "", 0},
		{"restricted", true, 2, "sup-sam", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			rep := func(n int) complaint.Complaint {
				c := h.in
				c.CaseID = fmt.Sprintf("6f1c0a52-0000-4000-8000-0000000002%02d", n)
				c.Channel = "phone"
				return c
			}
			h.at(1*hr, wf.UpdateClassification, complaint.ClassificationRequest{Actor: actor("sup-sue"), Category: "billing", Severity: "high", Reason: "charged twice"}, "")
			if tt.restrict {
				h.at(2*hr, wf.UpdateRestriction, complaint.RestrictionRequest{Actor: actor("agent-ann"), Restriction: restriction}, "needs a supervisor")
				h.at(2*hr+time.Minute, wf.UpdateRestriction, complaint.RestrictionRequest{Actor: actor("sup-sue"), Restriction: complaint.Restriction{ReviewOn: start}}, "review_on")
				h.at(2*hr+2*time.Minute, wf.UpdateRestriction, complaint.RestrictionRequest{Actor: actor("sup-sue"), Restriction: restriction}, "")
			}
			h.at(3*hr, wf.UpdateIntake, rep(1), "")
			h.at(4*hr, wf.UpdateIntake, rep(2), "")
			h.at(5*hr, wf.UpdateIntake, rep(3), "")
			h.at(72*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
			st := h.run()
			if st.RepeatCount != 3 || st.Priority != tt.priority {
				t.Errorf("repeats=%d priority=%d, want 3 and %d", st.RepeatCount, st.Priority, tt.priority)
			}
			var events, priority int
			_ = h.st.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'repeat_contact'), priority
FROM cases WHERE id = $1`, h.in.CaseID).Scan(&events, &priority)
			if events != 3 || priority != tt.priority {
				t.Errorf("audit: %d repeat contacts, row priority %d; want 3 and %d", events, priority, tt.priority)
			}
			if tt.handler != "" {
				if st.Assignee != tt.handler {
					t.Errorf("assignee = %s, want the named handler %s", st.Assignee, tt.handler)
				}
				for _, m := range h.messages("staff", "repeat_contact") {
					if !strings.HasPrefix(m, tt.handler+":") {
						t.Errorf("repeat contact told %q, want the named handler", m)
					}
				}
				var routed int
				_ = h.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'repeat_contact'
AND payload->>'routed_to' = $2 AND payload->>'written_channel' = 'false'`, h.in.CaseID, tt.handler).Scan(&routed)
				if routed != 3 {
					t.Errorf("%d repeat contacts recorded as routed phone calls, want 3", routed)
				}
			}
			if got := h.messages("staff", "restriction_review"); len(got) != tt.reviewSent || (tt.reviewSent > 0 && !strings.HasPrefix(got[0], "sup-sue:")) {
				t.Errorf("review reminders = %q, want %d to sup-sue", got, tt.reviewSent)
			}
		})
	}
}

// TestUnreasonableClosureThenAppealReopens: after the refusal is with the
// customer, a supervisor may not close the case as unreasonable and
// persistent, a manager may; the customer is sent the referral to the
// regulator, a further repeat contact is recorded without reopening the
// case, and the customer's appeal through the tracking page reopens it a
// level up.
func TestUnreasonableClosureThenAppealReopens(t *testing.T) {
	h := newHarness(t, nil)
	refusal := complaint.ProposalRequest{Actor: actor("agent-ann"), RefusalReason: "The reminders were all sent as the rules say.",
		Message: "We cannot agree to cancel the policy.", Script: &complaint.ScriptUse{Key: "refusal-en", Version: 1, Edited: true}}
	again := h.in
	again.CaseID = "6f1c0a52-0000-4000-8000-000000000301"
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: complaint.Findings{Cause: "billing.none", CauseDetail: "billing.none.two_orders", Responsibility: "customer", Summary: "Reminders were sent."}}, "")
	h.at(2*hr, wf.UpdateCloseUnreasonable, complaint.UnreasonableRequest{Actor: actor("mgr-max"), Reason: "too early"}, "only after our response")
	h.at(3*hr, wf.UpdateProposal, refusal, "")
	h.at(4*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(5*hr, wf.UpdateCloseUnreasonable, complaint.UnreasonableRequest{Actor: actor("sup-sue"), Reason: "calls three times a day"}, "needs a manager")
	h.at(6*hr, wf.UpdateCloseUnreasonable, complaint.UnreasonableRequest{Actor: actor("mgr-max"), Reason: ""}, "reason")
	h.at(7*hr, wf.UpdateCloseUnreasonable, complaint.UnreasonableRequest{Actor: actor("mgr-max"), Reason: "Three months of daily calls on a refused demand."}, "")
	h.at(8*hr, wf.UpdateIntake, again, "")
	h.at(9*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "no resolution is waiting")
	h.at(10*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "I appeal: nobody listened."}, "")
	h.at(11*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if st.AppealCount != 1 || st.Level != complaint.RoleSupervisor {
		t.Errorf("appeals=%d level=%s, want 1 and supervisor", st.AppealCount, st.Level)
	}
	if !inOrder(h.events(), "proposed", "closed", "repeat_contact", "appealed", "appeal_assigned", "withdrawn") {
		t.Errorf("events = %v", h.events())
	}
	var outcome, reason, reopened, script string
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT c.payload->>'outcome', c.payload->>'reason',
    (SELECT payload->>'reopened' FROM case_events WHERE case_id = $1 AND type = 'repeat_contact'),
    (SELECT payload->'proposal'->'script'->>'key' FROM case_events WHERE case_id = $1 AND type = 'proposed')
FROM case_events c WHERE c.case_id = $1 AND c.type = 'closed'`, h.in.CaseID).Scan(&outcome, &reason, &reopened, &script); err != nil {
		t.Fatal(err)
	}
	if outcome != complaint.OutcomeUnreasonable || reason == "" || reopened != "false" || script != "refusal-en" {
		t.Errorf("closed as %q (%q), repeat contact reopened %s, proposal script %q", outcome, reason, reopened, script)
	}
	if got := h.messages("customer", "unreasonable_closure"); len(got) != 1 || !strings.Contains(got[0], "refer your complaint") {
		t.Errorf("referral messages = %q", got)
	}
}
