package app

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/sms"
	"github.com/complaint-handling/complaints/internal/store"
)

// startMail turns the outbound channels on: email (SMTP_URL) and SMS
// (SMS_URL). Notifications also queue an email and an SMS delivery where
// the customer's preferences choose them, and, given metrics (a worker
// process), one dispatcher sends the due ones on every channel, falls a
// customer's message that failed for good back to their other channel,
// and (SMS) takes delivery receipts. It returns the notifier and the
// dispatcher's stop.
func (a *App) startMail(ctx context.Context, st *store.Store, next activities.Notifier,
	profiles map[string]complaint.Clocks, tlsConfig *tls.Config, metrics *mail.Metrics) (activities.Notifier, func(), error) {
	cfg := a.Config
	window, err := mail.ParseWindow(cfg.Mail.SendWindow)
	if err != nil {
		return nil, nil, fmt.Errorf("SEND_WINDOW: %w", err)
	}
	notifier := next
	var sender mail.Sender
	if cfg.Mail.Enabled() {
		s, err := mail.NewSMTP(cfg.Mail.SMTPURL, cfg.Mail.RequireTLS, cfg.Mail.SendTimeout, tlsConfig)
		if err != nil {
			return nil, nil, err
		}
		sender = s
		notifier = activities.EmailNotifier{Store: st, Next: notifier, Domain: mail.Domain(cfg.Mail.From), Window: window, Profiles: profiles}
	}
	if cfg.SMS.Enabled() {
		notifier = sms.Notifier{Store: st, Next: notifier, Window: window, Profiles: profiles}
	}
	if metrics == nil {
		return notifier, nil, nil
	}
	base, secret := cfg.PublicBaseURL, []byte(a.Secrets.Token)
	d := &mail.Dispatcher{Store: st, Sender: sender, From: cfg.Mail.From, Channels: map[string]mail.Channel{}, Fallback: map[string]string{},
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
	var client *sms.Client
	if cfg.SMS.Enabled() {
		receipts := sms.Receipts{Store: st, Dispatcher: d, Logger: a.Logger}
		client, err = sms.NewClient(sms.Config{URL: cfg.SMS.URL, From: cfg.SMS.From, Timeout: cfg.SMS.Timeout,
			OnReceipt: receipts.Handle, Logger: a.Logger.With("component", "sms")})
		if err != nil {
			return nil, nil, err
		}
		// Bound at start, so that receipts of texts sent before a restart
		// come in; an SMS centre that is down now is bound on first use.
		if err := client.Connect(); err != nil {
			a.Logger.Warn("sms: not bound yet", "err", err)
		}
		d.Channels[store.MessageSMS] = sms.Channel{Store: st, Submitter: client,
			TrackingURL: func(caseID string) string { return base + "/track/" + complaint.TrackingToken(secret, caseID) }}
		if sender != nil {
			d.Fallback[store.MessageEmail], d.Fallback[store.MessageSMS] = store.MessageSMS, store.MessageEmail
		}
	}
	stop := d.Start(context.WithoutCancel(ctx))
	return notifier, func() {
		stop()
		if client != nil {
			_ = client.Close()
		}
	}, nil
}
