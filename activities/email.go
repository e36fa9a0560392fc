package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// EmailNotifier puts each notification on its way by email after Next has
// written it to the outbox: one delivery per recipient address, under the
// notification's key, so a retried activity queues nothing twice. The
// worker's mail.Dispatcher sends them. A recipient without an address
// (a customer who gave only a phone, a staff member the directory has no
// email for) still has the message on the tracking page or in the outbox.
type EmailNotifier struct {
	Store *store.Store
	Next  Notifier
	// Domain ends every Message-ID (MAIL_FROM's domain).
	Domain string
	// Window holds timed follow-ups until the daytime of the case's
	// calendar (SEND_WINDOW).
	Window mail.Window
	// Profiles give each case's calendar, whose zone the window is in.
	Profiles map[string]complaint.Clocks
	Now      func() time.Time
}

// Send writes the notification to the outbox, then queues its email.
func (e EmailNotifier) Send(ctx context.Context, n store.Notification) error {
	if err := e.Next.Send(ctx, n); err != nil {
		return err
	}
	rc, err := e.Store.EmailRecipients(ctx, n.CaseID, n.Audience, n.Recipient)
	if err != nil {
		return err
	}
	if len(rc.Addresses) == 0 {
		return nil
	}
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	var notBefore time.Time
	if n.Audience == "customer" && mail.TimedKinds[n.Kind] {
		notBefore = e.Window.Next(now, e.zone(ctx, rc.Profile))
	}
	ds := make([]store.NewDelivery, 0, len(rc.Addresses))
	for _, addr := range rc.Addresses {
		ds = append(ds, store.NewDelivery{Key: n.Key, CaseID: n.CaseID, Channel: store.MessageEmail, Address: addr,
			MessageID: mail.MessageID(n.Key, e.Domain), NotBefore: notBefore})
	}
	return e.Store.QueueDeliveries(ctx, ds)
}

func (e EmailNotifier) zone(ctx context.Context, profile string) *time.Location {
	return mail.CaseZone(ctx, e.Store, e.Profiles, profile)
}

// withSurveyLink adds the survey link to a survey reminder, whose round is
// in its key ("survey-reminder", "survey-reminder-2"): the workflow cannot
// derive the link's token, the activity can.
func (a *Activities) withSurveyLink(caseID string, m complaint.Message) complaint.Message {
	if m.Kind != "survey_reminder" || m.Params["survey_url"] != "" {
		return m
	}
	round := 1
	if i := strings.LastIndex(m.Key, "-"); i >= 0 {
		if r, err := strconv.Atoi(m.Key[i+1:]); err == nil {
			round = r
		}
	}
	p := make(map[string]string, len(m.Params)+1)
	for k, v := range m.Params {
		p[k] = v
	}
	p["survey_url"] = fmt.Sprintf("%s/survey/%s", strings.TrimRight(a.PublicBaseURL, "/"), complaint.SurveyToken(a.TokenSecret, caseID, round))
	m.Params = p
	return m
}
