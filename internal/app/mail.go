package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// startMail turns outbound email on (SMTP_URL): notifications also queue
// an email delivery, and, given metrics (a worker process), a dispatcher
// sends the due ones. It returns the notifier and the dispatcher's stop.
func (a *App) startMail(ctx context.Context, st *store.Store, next activities.Notifier,
	profiles map[string]complaint.Clocks, tlsConfig *tls.Config, metrics *mail.Metrics) (activities.Notifier, func(), error) {
	cfg := a.Config
	window, err := mail.ParseWindow(cfg.Mail.SendWindow)
	if err != nil {
		return nil, nil, fmt.Errorf("SEND_WINDOW: %w", err)
	}
	sender, err := mail.NewSMTP(cfg.Mail.SMTPURL, cfg.Mail.RequireTLS, cfg.Mail.SendTimeout, tlsConfig)
	if err != nil {
		return nil, nil, err
	}
	notifier := activities.EmailNotifier{Store: st, Next: next, Domain: mail.Domain(cfg.Mail.From), Window: window, Profiles: profiles}
	if metrics == nil {
		return notifier, nil, nil
	}
	base, secret := cfg.PublicBaseURL, []byte(a.Secrets.Token)
	d := &mail.Dispatcher{Store: st, Sender: sender, From: cfg.Mail.From,
		Links: func(caseID, audience, language string) []mail.Link {
			switch {
			case audience != "customer" && caseID == "":
				// An incident's notice to supervisors.
				return []mail.Link{{Label: "系统性问题 / Incidents", URL: base + "/console/incidents"}}
			case audience != "customer":
				return []mail.Link{{Label: "案件页面 / Case page", URL: base + "/console/cases/" + caseID}}
			}
			label := "Follow your complaint"
			if language == "zh" {
				label = "查看投诉进度"
			}
			return []mail.Link{{Label: label, URL: base + "/track/" + complaint.TrackingToken(secret, caseID)}}
		},
		RetryBase: cfg.Mail.RetryBase, MaxAttempts: cfg.Mail.MaxAttempts, SendTimeout: cfg.Mail.SendTimeout, Poll: cfg.Mail.Poll,
		Metrics: metrics, Logger: a.Logger}
	return notifier, d.Start(context.WithoutCancel(ctx)), nil
}
