package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
)

// calendar is the compiled calendar of the case's clock snapshot.
func (w *caseWorkflow) calendar() *clock.Cal {
	if w.cal == nil {
		cal, err := w.st.Clocks.Calendar.Compile()
		if err != nil {
			// The snapshot was validated at registration; a failure here
			// is a bug, and panicking fails the workflow task so it can be
			// fixed and retried rather than the case run without clocks.
			panic(temporal.NewNonRetryableApplicationError(err.Error(), "InvalidClock", err))
		}
		w.cal = cal
	}
	return w.cal
}

// watchClocks raises every warning point and breach of the case's clocks
// on time. It sleeps until the earliest point due and wakes early when a
// clock is paused, resumed, extended or met, to recompute; its timer is
// replaced only when that point moves (see wakeTimer).
func (w *caseWorkflow) watchClocks(ctx workflow.Context) {
	t := &wakeTimer{stable: w.localStore()}
	defer t.stop()
	for !w.isFinal() {
		var next time.Time
		for i := range w.st.Deadlines {
			if n := w.st.Deadlines[i].Next(); !n.IsZero() && (next.IsZero() || n.Before(next)) {
				next = n
			}
		}
		rev := w.clockRev
		moved := func() bool { return w.clockRev != rev || w.isFinal() }
		if next.IsZero() {
			t.stop()
			if workflow.Await(ctx, moved) != nil {
				return
			}
			continue
		}
		fired, err := t.wait(ctx, next, moved)
		if err != nil {
			return
		}
		if fired {
			w.fireClocks(ctx)
		}
	}
}

// wakeTimer is the timer of a watcher that recomputes its next instant
// whenever the case changes. With stable set, the timer is kept while the
// instant stays the same, replaced (the old one cancelled) when it moves,
// and cancelled when the watcher stops, so a change that does not move the
// instant costs no history events and a stale timer never wakes the case
// later. Without it (cases started before versionLocalStore) each wait
// starts a timer of its own, as those histories recorded.
type wakeTimer struct {
	stable bool
	at     time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// wait blocks until at or until wake() is true, and says whether the timer
// fired (false when woken).
func (t *wakeTimer) wait(ctx workflow.Context, at time.Time, wake func() bool) (bool, error) {
	d := at.Sub(workflow.Now(ctx))
	if d <= 0 {
		t.stop()
		return true, nil
	}
	if !t.stable {
		ok, err := workflow.AwaitWithTimeout(ctx, d, wake)
		return !ok && err == nil, err
	}
	if t.timer == nil || !t.at.Equal(at) || t.timer.IsReady() {
		t.stop()
		tctx, cancel := workflow.WithCancel(ctx)
		t.at, t.timer, t.cancel = at, workflow.NewTimer(tctx, d), cancel
	}
	timer := t.timer
	if err := workflow.Await(ctx, func() bool { return timer.IsReady() || wake() }); err != nil {
		return false, err
	}
	if wake() {
		return false, nil
	}
	t.timer, t.cancel = nil, nil
	return true, nil
}

// stop cancels the pending timer, if any.
func (t *wakeTimer) stop() {
	if t.cancel != nil && t.timer != nil && !t.timer.IsReady() {
		t.cancel()
	}
	t.timer, t.cancel = nil, nil
}

// fireClocks raises what is due now: warnings first, then breaches.
func (w *caseWorkflow) fireClocks(ctx workflow.Context) {
	now := workflow.Now(ctx)
	cal := w.calendar()
	for i := range w.st.Deadlines {
		d := &w.st.Deadlines[i]
		for d.Running() && !d.WarnAt.IsZero() && !d.WarnAt.After(now) && d.WarnAt.Before(d.DueAt) {
			point := d.WarnPoints[d.Warnings]
			cal.Warn(d)
			w.warn(ctx, *d, point)
		}
		if d.Running() && !d.DueAt.After(now) {
			cal.Breach(d, now)
			w.breach(ctx, d)
		}
	}
}

func (w *caseWorkflow) isFinal() bool {
	return w.st.Status == complaint.StatusClosed || w.st.Status == complaint.StatusWithdrawn || w.st.Status == complaint.StatusMerged
}

func (w *caseWorkflow) warn(ctx workflow.Context, d complaint.Deadline, point float64) {
	w.st.AtRisk = w.anyWarned()
	pct := fmt.Sprintf("%.0f", point*100)
	w.count(ctx, "complaints_clock_warnings", map[string]string{"clock": d.Clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
	params := map[string]string{"case_number": w.st.CaseNumber, "clock": d.Clock, "elapsed": pct + "%", "due": w.localTime(d.DueAt)}
	msgs := []complaint.Message{{Key: "warn-sup-" + d.Clock + "-" + pct, Audience: "staff", RecipientRole: complaint.RoleSupervisor, Team: w.st.Team, Kind: "clock_warning", Params: params}}
	if w.st.Assignee != "" {
		msgs = append(msgs, complaint.Message{Key: "warn-" + d.Clock + "-" + pct, Audience: "staff", Recipient: w.st.Assignee, Kind: "clock_warning", Params: params})
	}
	_ = w.apply(ctx, complaint.Event{Type: "clock_warning", Actor: actorSystem, At: workflow.Now(ctx),
		Payload: map[string]any{"clock": d.Clock, "elapsed": point, "due_at": d.DueAt}}, msgs...)
}

// breach marks the clock breached, escalates to the next level up and,
// when the profile says so, sends the customer a holding response with
// the route to the regulator or ombudsman.
func (w *caseWorkflow) breach(ctx workflow.Context, d *complaint.Deadline) {
	w.st.AtRisk = w.anyWarned()
	w.countBreach(ctx, *d)
	params := map[string]string{"case_number": w.st.CaseNumber, "clock": d.Clock, "due": w.localTime(d.DueAt)}
	var msgs []complaint.Message
	payload := map[string]any{"clock": d.Clock, "due_at": d.DueAt}
	if d.OnBreach.Escalate {
		next := complaint.NextRole(w.st.Level)
		d.EscalatedTo = next
		payload["escalated_to"] = next
		w.count(ctx, "complaints_escalations", map[string]string{"reason": "clock_breach"})
		msgs = append(msgs, complaint.Message{Key: "breach-" + d.Clock, Audience: "staff", RecipientRole: next, Team: w.st.Team, Kind: "clock_breached", Params: params})
	}
	if w.st.Assignee != "" {
		msgs = append(msgs, complaint.Message{Key: "breach-handler-" + d.Clock, Audience: "staff", Recipient: w.st.Assignee, Kind: "clock_breached", Params: params})
	}
	if d.OnBreach.HoldingResponse {
		payload["holding_response"] = true
		msgs = append(msgs, complaint.Message{Key: "holding-" + d.Clock, Audience: "customer", Kind: "holding_response",
			Params: map[string]string{"case_number": w.st.CaseNumber, "regulator": w.st.Clocks.Regulator}})
	}
	_ = w.apply(ctx, complaint.Event{Type: "clock_breached", Actor: actorSystem, At: workflow.Now(ctx), Payload: payload}, msgs...)
}

// deadline is a copy of the named clock, or the zero Deadline.
func (w *caseWorkflow) deadline(clock string) complaint.Deadline {
	if d := w.deadlineRef(clock); d != nil {
		return *d
	}
	return complaint.Deadline{}
}

// answerDue is when the customer is due an answer: the running appeal's
// clock while an appeal is handled, else the resolution clock.
func (w *caseWorkflow) answerDue() time.Time {
	if d := w.deadlineRef(complaint.ClockAppeal); d != nil && !d.Met && !d.Advisory {
		return d.DueAt
	}
	return w.deadline(complaint.ClockResolve).DueAt
}

// deadlineRef is the named clock: the latest of that name (each appeal
// has its own appeal clock; the other clocks are one each).
func (w *caseWorkflow) deadlineRef(clock string) *complaint.Deadline {
	for i := len(w.st.Deadlines) - 1; i >= 0; i-- {
		if w.st.Deadlines[i].Clock == clock {
			return &w.st.Deadlines[i]
		}
	}
	return nil
}

// markMet stops the named clocks as met at at. A clock met after its due
// time is breached as well (clock.Cal.MarkMet decides), and that breach is
// counted here, once: the watcher never fires for a clock already met.
func (w *caseWorkflow) markMet(ctx workflow.Context, at time.Time, clocks ...string) {
	cal := w.calendar()
	changed := false
	for i := range w.st.Deadlines {
		d := &w.st.Deadlines[i]
		if slices.Contains(clocks, d.Clock) && !d.Met && !d.Breached {
			if cal.MarkMet(d, at) {
				w.countBreach(ctx, *d)
			} else {
				// The SLOs' good events (deploy/prometheus/slo.yml): a
				// metric, not a command, so the history is unchanged.
				w.count(ctx, "complaints_clock_met", map[string]string{"clock": d.Clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
			}
			changed = true
		}
	}
	if changed {
		w.clocksChanged()
	}
}

// countBreach counts a clock's breach in complaints_clock_breaches_total.
func (w *caseWorkflow) countBreach(ctx workflow.Context, d complaint.Deadline) {
	w.count(ctx, "complaints_clock_breaches", map[string]string{"clock": d.Clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
}

// clocksChanged notes a clock change for the watcher and recomputes the
// case's at_risk flag from the clocks (Deadline.AtRisk decides).
func (w *caseWorkflow) clocksChanged() {
	w.clockRev++
	w.st.AtRisk = w.anyWarned()
}

// startAppealClock starts the profile's appeal clock at at for the appeal
// just made. Each appeal's clock is kept after the earlier ones (met by
// the resolutions the customer rejected, or breached: a breach stays on
// the case); by name, the latest is the one that counts (deadlineRef).
// Cases started before VersionClocks, and snapshots without an appeal
// rule, run their appeals without a clock, as their histories recorded.
func (w *caseWorkflow) startAppealClock(at time.Time) {
	spec := w.st.Clocks.Appeal
	if w.version < VersionClocks || spec == nil {
		return
	}
	w.st.Deadlines = append(w.st.Deadlines, w.calendar().Start(*spec, at, w.st.Severity))
	w.clocksChanged()
}

// pauseClocks stops the clocks that pause while the case waits for the
// customer; resumeClocks restarts them.
func (w *caseWorkflow) pauseClocks(at time.Time) {
	w.eachClock(func(c *clock.Cal, d *complaint.Deadline) bool { return c.Pause(d, at) })
}

func (w *caseWorkflow) resumeClocks(at time.Time) {
	w.eachClock(func(c *clock.Cal, d *complaint.Deadline) bool { return c.Resume(d, at) })
}

// eachClock applies change to every clock and notes a clock change for
// the watcher when one changed.
func (w *caseWorkflow) eachClock(change func(*clock.Cal, *complaint.Deadline) bool) {
	cal, changed := w.calendar(), false
	for i := range w.st.Deadlines {
		changed = change(cal, &w.st.Deadlines[i]) || changed
	}
	if changed {
		w.clocksChanged()
	}
}

// localTime formats an instant for people, in the case's calendar zone.
func (w *caseWorkflow) localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(w.calendar().Location()).Format("2006-01-02 15:04 MST")
}

// due is when a per-step clock (approval, confirmation) started now ends.
func (w *caseWorkflow) due(now time.Time, r clock.Rule) time.Time {
	return w.calendar().Due(now, r)
}
