package app

import (
	"context"
	"time"

	"github.com/complaint-handling/complaints/internal/inbound"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// startInbound turns inbound email on (INBOUND_SMTP_ADDR): the listener
// records each accepted mail in PostgreSQL, and the processor files it
// through the API's intake. It runs in API processes (the intake is the
// API's); any number may run, PostgreSQL hands each mail to one.
func (a *App) startInbound(ctx context.Context) error {
	cfg := a.Config.Inbound
	metrics := inbound.NewMetrics(a.Registry)
	bounces := a.messageMetrics()
	p := inbound.NewProcessor(inbound.Processor{Store: a.Store, Intake: a.api, Metrics: metrics, Logger: a.Logger.With("part", "inbound"),
		OnBounced: func(ctx context.Context, ids []int64) { a.bounced(ctx, bounces, ids) },
		Poll:      cfg.Poll, RetryBase: cfg.RetryBase, MaxAttempts: cfg.MaxAttempts})
	l, err := inbound.Listen(inbound.ListenerConfig{Addr: cfg.Addr, LMTP: cfg.LMTP, Domain: mail.Domain(cfg.SupportAddresses[0]),
		Recipients: cfg.SupportAddresses, MaxBytes: cfg.MaxBytes, AllowedNets: cfg.AllowedNets}, a.Store, p.Wake, metrics, a.Logger.With("part", "inbound"))
	if err != nil {
		return err
	}
	stop := p.Start(context.WithoutCancel(ctx))
	a.InboundAddr = l.Addr()
	// Closed in reverse: the listener first (no new mail), then the
	// processor; what it has not done is done by the next start.
	a.closeLater(stop)
	a.closeLater(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l.Close(ctx)
	})
	return nil
}

// messageMetrics is complaints_messages_total, registered once per
// process (a worker's dispatcher and the inbound processor's bounces
// count in it).
func (a *App) messageMetrics() *mail.Metrics {
	if a.mailMetrics == nil {
		a.mailMetrics = mail.NewMetrics(a.Registry)
	}
	return a.mailMetrics
}

// bounced counts the email deliveries a delivery status notification
// bounced and, when texts are on (SMS_URL), queues each message's
// fallback by SMS, as the dispatcher does for a message refused for good
// (the customer's preferences and contacts decide, in QueueFallback).
func (a *App) bounced(ctx context.Context, m *mail.Metrics, ids []int64) {
	m.Bounced(store.MessageEmail, len(ids))
	if !a.Config.SMS.Enabled() {
		return
	}
	for _, id := range ids {
		if _, err := a.Store.QueueFallback(ctx, id, store.MessageSMS, ""); err != nil {
			a.Logger.Warn("bounced email's fallback by SMS", "delivery", id, "err", err)
		}
	}
}
