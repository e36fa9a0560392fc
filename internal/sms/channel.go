package sms

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// Submitter submits a text and returns the SMS centre's ids of its parts
// (Client).
type Submitter interface {
	Submit(ctx context.Context, to, text string) ([]string, error)
}

// Channel is the sms channel of the mail.Dispatcher: it writes the
// message's short text in the customer's language, submits it, and
// records the parts' ids for their receipts.
type Channel struct {
	Store     *store.Store
	Submitter Submitter
	// TrackingURL is the absolute tracking link of a case.
	TrackingURL func(caseID string) string
}

// Deliver implements mail.Channel: a refused submission is a
// *mail.Failure, permanent when the SMS centre will never take it.
func (c Channel) Deliver(ctx context.Context, d store.Delivery) error {
	if d.Audience != store.AudienceCustomer || d.CaseID == "" {
		return &mail.Failure{Err: errors.New("sms is for customers' case messages only")}
	}
	lang := d.Language
	if cc, err := c.Store.CaseContacts(ctx, d.CaseID); err == nil && cc.Preferences.Chosen {
		lang = cc.Preferences.Language
	}
	link := c.TrackingURL(d.CaseID)
	if store.SurveyKinds[d.Kind] {
		if u := SurveyURL(d.Body); u != "" {
			link = u
		}
	}
	ids, err := c.Submitter.Submit(ctx, d.Address, Text(d.Kind, lang, d.CaseNumber, link))
	if len(ids) > 0 {
		// Written before the attempt's end, so that a receipt coming at
		// once finds the attempt.
		if serr := c.Store.SetProviderIDs(context.WithoutCancel(ctx), d.ID, d.Attempt, ids); serr != nil && err == nil {
			return &mail.Failure{Temporary: true, Err: serr}
		}
	}
	var f *Failure
	if errors.As(err, &f) {
		return &mail.Failure{Temporary: f.Temporary, Code: int(f.Status), Err: f}
	}
	return err
}

// Receipts applies delivery receipts to their deliveries: the status
// (store.RecordReceipt), the metric, and, for a failure, the fallback to
// the customer's other channel.
type Receipts struct {
	Store      *store.Store
	Dispatcher *mail.Dispatcher
	Logger     *slog.Logger
}

// receiptPatience is how long a receipt for an id no attempt holds yet is
// tried again: an SMS centre may send the receipt the instant after its
// submit_sm_resp, before the attempt's provider ids are written (after
// the text's last part is answered).
var receiptPatience = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// Handle records one receipt; it is the Client's OnReceipt, called on the
// session's reader, so a receipt that must wait for its attempt waits on
// a goroutine of its own (the reader goes on answering submits).
func (r Receipts) Handle(rc Receipt) {
	if r.record(rc) {
		go func() {
			for _, wait := range receiptPatience {
				time.Sleep(wait)
				if !r.record(rc) {
					return
				}
			}
			r.logger().Info("sms receipt for no attempt", "id", rc.ID, "stat", rc.Stat)
		}()
	}
}

func (r Receipts) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// record applies a receipt; it reports whether no attempt holds its id
// yet (to be tried again).
func (r Receipts) record(rc Receipt) (notYet bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := r.logger()
	res, err := r.Store.RecordReceipt(ctx, store.MessageSMS, rc.ID, rc.Stat)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	if err != nil {
		log.Warn("sms receipt", "id", rc.ID, "err", err)
		return false
	}
	if !res.Changed {
		return false
	}
	log.Info("sms receipt", "delivery", res.DeliveryID, "status", res.Status, "stat", rc.Stat)
	r.Dispatcher.Count(store.MessageSMS, res.Status)
	if res.Status == store.DeliveryFailed || res.Status == store.DeliveryBounced {
		key, err := r.Store.DeliveryKey(ctx, res.DeliveryID)
		if err == nil {
			r.Dispatcher.FallBack(ctx, res.DeliveryID, store.MessageSMS, key)
		}
	}
	return false
}

// Notifier queues, after Next has written a notification to the outbox,
// its SMS delivery to the customer's phone: for the messages that matter
// (Kinds), when the customer's preferences choose SMS (decided by
// store.QueueDeliveries). Timed follow-ups wait for the send window in
// the case calendar's zone, as email does.
type Notifier struct {
	Store *store.Store
	Next  interface {
		Send(context.Context, store.Notification) error
	}
	Window   mail.Window
	Profiles map[string]complaint.Clocks
	Now      func() time.Time
}

// Send implements activities.Notifier.
func (n Notifier) Send(ctx context.Context, m store.Notification) error {
	if err := n.Next.Send(ctx, m); err != nil {
		return err
	}
	if m.Audience != store.AudienceCustomer || m.CaseID == "" || !Kinds(m.Kind) {
		return nil
	}
	cc, err := n.Store.CaseContacts(ctx, m.CaseID)
	if err != nil {
		return err
	}
	if cc.Phone == "" {
		return nil
	}
	var notBefore time.Time
	if mail.TimedKinds[m.Kind] {
		now := time.Now()
		if n.Now != nil {
			now = n.Now()
		}
		notBefore = n.Window.Next(now, n.zone(ctx, cc.Profile))
	}
	return n.Store.QueueDeliveries(ctx, []store.NewDelivery{{Key: m.Key, CaseID: m.CaseID, Channel: store.MessageSMS,
		Address: cc.Phone, NotBefore: notBefore}})
}

func (n Notifier) zone(ctx context.Context, profile string) *time.Location {
	return mail.CaseZone(ctx, n.Store, n.Profiles, profile)
}
