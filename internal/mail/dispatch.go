package mail

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	gomail "github.com/wneessen/go-mail"

	"github.com/complaint-handling/complaints/internal/store"
)

// Sender sends one composed message; its error is a *Failure (anything
// else counts as temporary).
type Sender interface {
	Send(ctx context.Context, m *gomail.Msg) error
}

// Channel delivers one claimed delivery by its medium (email is the
// dispatcher's own; SMS and staff chat bots plug in by their channel
// name). Its error contract: nil when the provider accepted the message;
// a *Failure with Temporary unset when it never will (the delivery
// fails, and falls back to the customer's other channel); anything else
// is temporary and retried after the backoff.
type Channel interface {
	Deliver(ctx context.Context, d store.Delivery) error
}

// Metrics counts messages by channel and outcome.
type Metrics struct{ messages *prometheus.CounterVec }

// Message outcomes counted in complaints_messages_total: sent, retried (a
// temporary failure, tried again later), failed (for good), bounced,
// delivered (a receipt confirmed a sent SMS).
var outcomes = []string{"sent", "retried", "failed", "bounced", "delivered"}

// MetricChannels are the channels whose series exist from the start.
var MetricChannels = []string{"email", "sms"}

// NewMetrics registers complaints_messages_total{channel,status} on reg,
// with every email and SMS outcome at zero so that rates and alerts have
// a series before the first failure.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "complaints_messages_total",
		Help: "Message delivery attempts' outcomes by channel (email, sms) and status (sent, retried, failed, bounced, delivered)."},
		[]string{"channel", "status"})}
	for _, c := range MetricChannels {
		for _, o := range outcomes {
			m.messages.WithLabelValues(c, o)
		}
	}
	reg.MustRegister(m.messages)
	return m
}

// Count adds one outcome of a delivery by a channel dispatched outside
// this package (chat).
func (m *Metrics) Count(channel, outcome string) { m.messages.WithLabelValues(channel, outcome).Inc() }

// Zero exports a channel's outcomes at zero.
func (m *Metrics) Zero(channel string) {
	for _, o := range outcomes {
		m.messages.WithLabelValues(channel, o)
	}
}

// Dispatcher delivers the queued email deliveries: each worker process
// runs one, and PostgreSQL hands each due delivery to one of them.
//
// The guarantee: an attempt is recorded, with a lease, before the message
// is sent, and the delivery is marked sent once the server has accepted
// it. A worker that dies before the server's acceptance (during the
// connection or the data) leaves an attempt the server never accepted:
// after the lease another worker sends it, once. A worker that dies in the
// instant between the server's acceptance and the mark (a few
// milliseconds) leaves a message that is sent again, with the same
// Message-ID, which is then the evidence the receiver (and a person) can
// use to drop the copy: at least once, never more than once per lease
// expiry, and identical each time.
type Dispatcher struct {
	Store *store.Store
	// Sender sends email; nil when email is off.
	Sender Sender
	// Channels deliver the other channels, by name (sms, chat).
	Channels map[string]Channel
	// Fallback names, for a channel, the customer's other channel a
	// message that failed on it for good is queued on (email: sms).
	Fallback map[string]string
	// From is the sender address (MAIL_FROM).
	From string
	// Links returns the links a case's message ends with: the tracking
	// page for the customer, the case page of the console for staff.
	Links func(caseID, audience, language string) []Link
	// RetryBase is the first retry's wait; each later one doubles, up to
	// an hour. MaxAttempts fails the delivery after that many attempts.
	RetryBase   time.Duration
	MaxAttempts int
	// SendTimeout bounds an attempt; the lease is a little longer.
	SendTimeout time.Duration
	Poll        time.Duration
	Metrics     *Metrics
	Logger      *slog.Logger
}

// Start runs the dispatcher until ctx ends or stop is called; either
// lets an attempt in flight end (within SendTimeout) and records it.
func (d *Dispatcher) Start(ctx context.Context) (stop func()) {
	return Run(ctx, d.Poll, d.RunOnce, func(err error) { d.logger().Warn("deliveries", "err", err) })
}

// Run is a delivery loop (this package's dispatcher and the chat
// dispatcher): runOnce until it finds nothing due or fails, then again
// every poll, until ctx ends or stop is called, which waits for the
// attempt in flight. onErr hears runOnce's errors while ctx lives.
func Run(ctx context.Context, poll time.Duration, runOnce func(context.Context) (int, error), onErr func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			for {
				n, err := runOnce(ctx)
				if err != nil && ctx.Err() == nil {
					onErr(err)
				}
				if n == 0 || err != nil {
					break
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// RunOnce claims one due delivery and attempts it; it returns how many it
// attempted (0 or 1).
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	ds, err := d.Store.ClaimDeliveries(ctx, 1, d.SendTimeout+d.SendTimeout/2+time.Second)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	for _, del := range ds {
		d.attempt(ctx, del)
	}
	return len(ds), nil
}

func (d *Dispatcher) attempt(ctx context.Context, del store.Delivery) {
	log := d.logger().With("case_id", del.CaseID, "kind", del.Kind, "channel", del.Channel, "attempt", del.Attempt)
	var res store.AttemptResult
	var err error
	if ch, ok := d.Channels[del.Channel]; ok {
		// A stopping process finishes the attempt it has begun.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.SendTimeout)
		err = ch.Deliver(sctx, del)
		cancel()
	} else if del.Channel == store.MessageEmail {
		err = d.email(ctx, del)
	} else {
		// A channel another worker (a later version) delivers.
		err = &Failure{Temporary: true, Err: errors.New("channel " + del.Channel + " is not configured on this worker")}
	}
	switch f := (*Failure)(nil); {
	case err == nil:
		res = store.AttemptResult{Result: "sent"}
	case errors.As(err, &f) && !f.Temporary:
		res = store.AttemptResult{Result: "permanent", Code: f.Code, Detail: Short(f)}
	default:
		res = store.AttemptResult{Result: "temporary", Detail: Short(err)}
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
	if res.Result == "sent" && status != store.DeliverySent && status != "" {
		// A receipt came before the attempt's end was recorded.
		d.Count(del.Channel, store.DeliverySent)
	}
	d.Count(del.Channel, outcome)
	if status == store.DeliveryFailed || status == store.DeliveryBounced {
		d.FallBack(ctx, del.ID, del.Channel, del.Key)
	}
	if err != nil {
		log.Warn("message not sent", "status", status, "code", res.Code, "err", res.Detail)
	} else {
		log.Info("message sent")
	}
}

// email composes and sends an email delivery; the error is a *Failure.
func (d *Dispatcher) email(ctx context.Context, del store.Delivery) error {
	if d.Sender == nil {
		return &Failure{Temporary: true, Err: errors.New("email is not configured on this worker")}
	}
	domain := Domain(d.From)
	m := Message{From: d.From, To: del.Address, MessageID: del.MessageID, CaseNumber: del.CaseNumber,
		Subject: del.Subject, Body: del.Body, Language: del.Language}
	if del.ThreadKey != "" {
		m.ThreadID = MessageID(del.ThreadKey, domain)
	}
	if d.Links != nil {
		m.Links = d.Links(del.CaseID, del.Audience, del.Language)
	}
	msg, err := Compose(m)
	if err != nil {
		// A message that cannot be composed (a malformed address) will
		// not compose on a retry either.
		return &Failure{Err: err}
	}
	// A stopping process finishes the attempt it has begun: one cut
	// off mid-data would be sent again by the next worker.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.SendTimeout)
	defer cancel()
	return d.Sender.Send(sctx, msg)
}

// Count adds one to a channel's outcome ("" counts nothing).
func (d *Dispatcher) Count(channel, outcome string) {
	if outcome != "" && d.Metrics != nil {
		d.Metrics.messages.WithLabelValues(channel, outcome).Inc()
	}
}

// FallBack queues a customer message whose delivery (id, by channel)
// failed for good on the customer's other channel, when this worker has
// one and the customer has an address for it (store.QueueFallback). A
// failure to queue it is logged: the message stays on the tracking page.
func (d *Dispatcher) FallBack(ctx context.Context, id int64, channel, key string) {
	other, ok := d.Fallback[channel]
	if !ok {
		return
	}
	messageID := ""
	if other == store.MessageEmail {
		messageID = MessageID(key, Domain(d.From))
	}
	queued, err := d.Store.QueueFallback(context.WithoutCancel(ctx), id, other, messageID)
	if err != nil {
		d.logger().Warn("fallback", "delivery", id, "channel", other, "err", err)
		return
	}
	if queued {
		d.logger().Info("message falls back to another channel", "delivery", id, "from", channel, "to", other)
	}
}

// backoff is the wait after the attempt-th attempt failed for now.
func (d *Dispatcher) backoff(attempt int) time.Duration { return Backoff(d.RetryBase, attempt) }

// Backoff is the wait after the attempt-th attempt failed for now: base,
// doubling with each attempt, up to an hour.
func Backoff(base time.Duration, attempt int) time.Duration {
	w := base
	for i := 1; i < attempt && w < time.Hour; i++ {
		w *= 2
	}
	return min(w, time.Hour)
}

// Short is an error's text cut for staff to read (server replies are
// short; connection errors name the address only).
func Short(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger.With("component", "mail")
}
