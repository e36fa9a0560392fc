package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// watchClocks raises the early warning and the breach of each deadline not
// met in time.
func (w *complaint) watchClocks(ctx workflow.Context) {
	for i := range w.st.Deadlines {
		clock := w.st.Deadlines[i].Clock
		met := func() bool { d := w.deadline(clock); return d.Met || w.isFinal() }
		d := w.deadline(clock)
		if !d.WarnAt.IsZero() && !d.Breached && !d.Warned {
			if wait := d.WarnAt.Sub(workflow.Now(ctx)); wait > 0 {
				if ok, err := workflow.AwaitWithTimeout(ctx, wait, met); err != nil || ok {
					continue
				}
			}
			if !met() && !d.Breached {
				w.warn(ctx, clock)
			}
		}
		if wait := w.deadline(clock).DueAt.Sub(workflow.Now(ctx)); wait > 0 {
			if ok, err := workflow.AwaitWithTimeout(ctx, wait, met); err != nil || ok {
				continue
			}
		}
		if !met() && !w.deadline(clock).Breached {
			w.breach(ctx, clock)
		}
	}
}

func (w *complaint) isFinal() bool {
	return w.st.Status == StatusClosed || w.st.Status == StatusWithdrawn
}

func (w *complaint) warn(ctx workflow.Context, clock string) {
	for i := range w.st.Deadlines {
		if w.st.Deadlines[i].Clock == clock {
			w.st.Deadlines[i].Warned = true
		}
	}
	d := w.deadline(clock)
	w.st.AtRisk = true
	w.count(ctx, "complaints_clock_warnings", map[string]string{"clock": clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
	_ = w.apply(ctx, Event{Type: "clock_warning", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"clock": clock, "due_at": d.DueAt}},
		Message{Key: "warn-" + clock, Audience: "staff", Recipient: w.st.Assignee, Kind: "clock_warning", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": clock}},
		Message{Key: "warn-sup-" + clock, Audience: "staff", RecipientRole: RoleSupervisor, Team: w.st.Team, Kind: "clock_warning", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": clock}})
}

func (w *complaint) breach(ctx workflow.Context, clock string) {
	for i := range w.st.Deadlines {
		if w.st.Deadlines[i].Clock == clock {
			w.st.Deadlines[i].Breached = true
		}
	}
	w.count(ctx, "complaints_clock_breaches", map[string]string{"clock": clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
	next := NextRole(w.st.Level)
	_ = w.apply(ctx, Event{Type: "clock_breached", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"clock": clock, "escalated_to": next}},
		Message{Key: "breach-" + clock, Audience: "staff", RecipientRole: next, Team: w.st.Team, Kind: "clock_breached", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": clock}})
}

func (w *complaint) deadline(clock string) Deadline {
	for _, d := range w.st.Deadlines {
		if d.Clock == clock {
			return d
		}
	}
	return Deadline{}
}

func (w *complaint) markMet(clock string, at time.Time) {
	for i := range w.st.Deadlines {
		d := &w.st.Deadlines[i]
		if d.Clock == clock && !d.Met {
			d.Met, d.MetAt = true, at
		}
	}
}
