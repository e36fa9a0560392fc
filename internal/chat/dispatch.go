package chat

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// Deliverer posts one message to one channel; its error is a *Failure
// (anything else counts as temporary).
type Deliverer interface {
	Deliver(ctx context.Context, kind string, s Secret, m Message) error
}

// Counter counts delivery outcomes by channel (mail.Metrics, the one
// complaints_messages_total of the process).
type Counter interface {
	Count(channel, outcome string)
}

// Dispatcher posts the queued chat deliveries: each worker process runs
// one, and PostgreSQL hands each due delivery to one of them. It keeps the
// email dispatcher's guarantee: the attempt and its lease are recorded
// before the post, and the delivery is marked sent once the service has
// answered it was taken. A worker that dies before the post leaves an
// attempt that is taken again after the lease, posted once; one that dies
// between the service's answer and the mark (milliseconds) leaves a post
// that is repeated after the lease, the only window for a second copy.
type Dispatcher struct {
	Store  *store.Store
	Sealer Sealer
	Sender Deliverer
	// Hosts are the extra webhook hosts allowed (CHAT_WEBHOOK_HOSTS); a
	// channel's URL is checked again before each post.
	Hosts []string
	// BaseURL is PUBLIC_BASE_URL, the prefix of the console's links.
	BaseURL string
	// RetryBase is the first retry's wait; each later one doubles, up to
	// an hour. MaxAttempts fails the delivery after that many attempts.
	RetryBase   time.Duration
	MaxAttempts int
	// SendTimeout bounds an attempt; the lease is a little longer.
	SendTimeout time.Duration
	Poll        time.Duration
	Metrics     Counter
	Logger      *slog.Logger
}

// Start runs the dispatcher until ctx ends or stop is called; either lets
// an attempt in flight end (within SendTimeout) and records it.
func (d *Dispatcher) Start(ctx context.Context) (stop func()) {
	return mail.Run(ctx, d.Poll, d.RunOnce, func(err error) { d.logger().Warn("chat deliveries", "err", err) })
}

// Lease is how long a claimed attempt is its worker's: an attempt whose
// worker died is taken again after it.
func (d *Dispatcher) Lease() time.Duration { return d.SendTimeout + d.SendTimeout/2 + time.Second }

// RunOnce claims one due chat delivery and attempts it; it returns how
// many it attempted (0 or 1).
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	ds, err := d.Store.ClaimChatDeliveries(ctx, 1, d.Lease())
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	for _, del := range ds {
		d.attempt(ctx, del)
	}
	return len(ds), nil
}

func (d *Dispatcher) attempt(ctx context.Context, del store.Delivery) {
	log := d.logger().With("case_id", del.CaseID, "kind", del.Kind, "channel", "chat", "chat_channel", del.Address, "attempt", del.Attempt)
	err := d.post(ctx, del)
	var res store.AttemptResult
	switch f := (*Failure)(nil); {
	case err == nil:
		res = store.AttemptResult{Result: "sent"}
	case errors.As(err, &f) && !f.Temporary:
		res = store.AttemptResult{Result: "permanent", Code: f.Code, Detail: mail.Short(f)}
	default:
		res = store.AttemptResult{Result: "temporary", Detail: mail.Short(err)}
		if errors.As(err, &f) {
			res.Code = f.Code
		}
		if del.Attempt < d.MaxAttempts {
			res.RetryAt = time.Now().Add(d.backoff(del.Attempt))
		}
	}
	// The mark must be written even while the process stops.
	status, ferr := d.Store.FinishAttempt(context.WithoutCancel(ctx), del.ID, del.Attempt, res)
	if ferr != nil {
		log.Warn("record attempt", "err", ferr)
		return
	}
	outcome := status
	if status == store.DeliveryQueued {
		outcome = "retried"
	}
	if outcome != "" && d.Metrics != nil {
		d.Metrics.Count(store.MessageChat, outcome)
	}
	if err != nil {
		log.Warn("chat message not posted", "status", status, "code", res.Code, "err", res.Detail)
	} else {
		log.Info("chat message posted")
	}
}

// post reads the delivery's channel and posts the message to it.
func (d *Dispatcher) post(ctx context.Context, del store.Delivery) error {
	t, err := d.Store.ChatTargetOf(ctx, del)
	if errors.Is(err, store.ErrNotFound) {
		return permanent(0, "chat: no channel %s", del.Address)
	}
	if err != nil {
		return temporary(0, "chat: read channel: %w", err)
	}
	if !t.Live {
		return permanent(0, "chat: channel %s was removed or switched off", del.Address)
	}
	s, err := d.Sealer.Open(t.Sealed)
	if err != nil {
		// A key retired too early: not a matter for retries.
		return permanent(0, "chat: channel %s: its secret cannot be opened", del.Address)
	}
	if err := CheckURL(t.Kind, s.URL, d.Hosts); err != nil {
		return permanent(0, "%w", err)
	}
	m := Message{CaseNumber: del.CaseNumber, Subject: del.Subject, Body: del.Body, DueAt: t.DueAt, Link: d.link(del)}
	// A stopping process finishes the attempt it has begun.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.SendTimeout)
	defer cancel()
	return d.Sender.Deliver(sctx, t.Kind, s, m)
}

func (d *Dispatcher) link(del store.Delivery) string {
	if del.CaseID == "" {
		return d.BaseURL + "/console/incidents"
	}
	return d.BaseURL + "/console/cases/" + del.CaseID
}

// backoff is the wait after the attempt-th attempt failed for now.
func (d *Dispatcher) backoff(attempt int) time.Duration { return mail.Backoff(d.RetryBase, attempt) }

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger.With("component", "chat")
}

// Notifier queues a chat delivery of every staff notification to each
// active channel of its team, after Next has written it to the outbox:
// keyed by (notification key, chat, channel id), so a retried activity
// queues nothing twice.
type Notifier struct {
	Store *store.Store
	Next  interface {
		Send(ctx context.Context, n store.Notification) error
	}
}

// Send writes the notification through Next, then queues its chat posts.
func (n Notifier) Send(ctx context.Context, note store.Notification) error {
	if err := n.Next.Send(ctx, note); err != nil {
		return err
	}
	if note.Audience != store.AudienceStaff {
		return nil
	}
	ids, err := n.Store.ChatChannelsFor(ctx, note.CaseID, note.Recipient)
	if err != nil || len(ids) == 0 {
		return err
	}
	ds := make([]store.NewDelivery, 0, len(ids))
	for _, id := range ids {
		ds = append(ds, store.NewDelivery{Key: note.Key, CaseID: note.CaseID, Channel: store.MessageChat,
			Address: strconv.FormatInt(id, 10), MessageID: note.Key})
	}
	return n.Store.QueueDeliveries(ctx, ds)
}
