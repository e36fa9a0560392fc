package app

import (
	"context"
	"net/http"
	"time"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/chat"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// chatSealer seals and opens the team channels' webhook URLs and secrets
// with the payload keys (the strict codec, which refuses plaintext).
func (a *App) chatSealer() chat.Sealer { return chat.Sealer{Codec: a.endpointCodec} }

// startChat puts every staff notification on its way to its team's chat
// channels too (none configured: nothing is queued) and runs the worker's
// chat dispatcher. It returns the notifier and the dispatcher's stop.
func (a *App) startChat(ctx context.Context, st *store.Store, next activities.Notifier, metrics *mail.Metrics,
	client *http.Client) (activities.Notifier, func()) {
	cfg := a.Config.Chat
	metrics.Zero(store.MessageChat)
	if client == nil {
		client = &http.Client{Timeout: cfg.SendTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			// A webhook that redirects is not the service's: the check of
			// its host would be bypassed.
			return http.ErrUseLastResponse
		}}
	}
	d := &chat.Dispatcher{Store: st, Sealer: a.chatSealer(), Sender: chat.Sender{Client: client, Now: time.Now},
		Hosts: cfg.WebhookHosts, BaseURL: a.Config.PublicBaseURL, RetryBase: cfg.RetryBase, MaxAttempts: cfg.MaxAttempts,
		SendTimeout: cfg.SendTimeout, Poll: cfg.Poll, Metrics: metrics, Logger: a.Logger}
	return chat.Notifier{Store: st, Next: next}, d.Start(context.WithoutCancel(ctx))
}
