package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// Store is what the processor reads and writes (store.Store).
type Store interface {
	ClaimInboundMails(ctx context.Context, limit int, lease time.Duration) ([]store.InboundMail, error)
	FinishInboundMail(ctx context.Context, id int64, r store.InboundResult) error
	RetryInboundMail(ctx context.Context, id int64, cause string, next time.Time, giveUp bool) error
	CaseForMessageIDs(ctx context.Context, ids []string) (string, error)
	GetCase(ctx context.Context, id string) (store.Case, error)
	GetCaseByNumber(ctx context.Context, number string) (store.Case, error)
	MarkDeliveriesBounced(ctx context.Context, messageIDs []string, detail string) ([]int64, error)
}

// Intake files complaints and answers information requests as the API
// does (apiserver.Server).
type Intake interface {
	FileFromChannel(ctx context.Context, f apiserver.ChannelFiling) (apiserver.Filed, error)
	AnswerInfo(ctx context.Context, cs store.Case, key, answer string) (string, error)
	AttachFromChannel(ctx context.Context, caseID, key, sender string, files []apiserver.ChannelFile) (int, []string, error)
}

// Processor routes the recorded mails, each once: it claims the due ones
// under a lease, routes each, and records the outcome, or the failure and
// when to try again (doubling from RetryBase up to an hour) until
// MaxAttempts, after which the mail is left failed for a person.
type Processor struct {
	Store   Store
	Intake  Intake
	Metrics *Metrics
	Logger  *slog.Logger
	// OnBounced is told the deliveries a report marked bounced: it
	// counts them (complaints_messages_total{channel="email",status="bounced"})
	// and queues each message's fallback on the customer's other channel.
	OnBounced func(ctx context.Context, deliveryIDs []int64)
	// Poll is how often it looks for due mails without a wake-up.
	Poll        time.Duration
	RetryBase   time.Duration
	MaxAttempts int
	// Lease is how long a claimed mail is the processor's: one that died
	// leaves it to another after it.
	Lease time.Duration

	wake chan struct{}
}

// Wake tells the processor a mail was recorded.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Start processes until stop is called; what was recorded before (a
// crash's leftovers) is processed first.
func (p *Processor) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.Poll)
		defer t.Stop()
		for {
			for p.RunOnce(ctx) > 0 && ctx.Err() == nil {
			}
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// NewProcessor returns a processor with the defaults filled in.
func NewProcessor(p Processor) *Processor {
	if p.Poll <= 0 {
		p.Poll = 5 * time.Second
	}
	if p.RetryBase <= 0 {
		p.RetryBase = 30 * time.Second
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 12
	}
	if p.Lease <= 0 {
		p.Lease = 2 * time.Minute
	}
	p.wake = make(chan struct{}, 1)
	return &p
}

// RunOnce processes the mails due now and returns how many it took.
func (p *Processor) RunOnce(ctx context.Context) int {
	mails, err := p.Store.ClaimInboundMails(ctx, 10, p.Lease)
	if err != nil {
		if ctx.Err() == nil {
			p.Logger.Error("inbound claim", "err", err)
		}
		return 0
	}
	for _, m := range mails {
		r, err := p.route(ctx, m)
		log := p.Logger.With("inbound_id", m.ID, "message_id", m.MessageID)
		if err != nil {
			giveUp := m.Attempts >= p.MaxAttempts
			next := time.Now().Add(min(p.RetryBase<<min(m.Attempts-1, 20), time.Hour))
			log.Warn("inbound processing failed", "attempt", m.Attempts, "give_up", giveUp, "err", err)
			if p.Metrics != nil {
				p.Metrics.retries.Inc()
			}
			if err := p.Store.RetryInboundMail(context.WithoutCancel(ctx), m.ID, err.Error(), next, giveUp); err != nil {
				log.Error("inbound retry", "err", err)
			}
			continue
		}
		if err := p.Store.FinishInboundMail(context.WithoutCancel(ctx), m.ID, store.InboundResult{Outcome: r.outcome, CaseID: r.caseID,
			Detail: r.detail, From: r.from, Subject: r.subject, Body: r.body}); err != nil {
			log.Error("inbound finish", "err", err)
			continue
		}
		p.Metrics.count(r.outcome)
		log.Info("inbound mail processed", "outcome", r.outcome, "case_id", r.caseID, "detail", r.detail)
	}
	return len(mails)
}

// routed is what route did, and the parsed sender, subject and own text
// it is recorded with.
type routed struct{ outcome, caseID, detail, from, subject, body string }

// caseNumber is a case number in a subject.
var caseNumber = regexp.MustCompile(`CMP-\d{8}-\d{6}`)

// route decides what a mail is and does it. An error is temporary (the
// mail is tried again); a mail that can never be filed is routed as
// rejected, with the reason.
func (p *Processor) route(ctx context.Context, m store.InboundMail) (routed, error) {
	msg, err := Parse(m.Raw)
	if err != nil {
		return routed{outcome: OutcomeRejected, detail: "unreadable: " + err.Error()}, nil
	}
	if msg.Auto == "" && m.MailFrom == "" {
		// The null reverse path <>: a bounce or another automatic message.
		msg.Auto = "null reverse path"
	}
	if msg.Auto != "" {
		if len(msg.Bounced) > 0 {
			ids, err := p.Store.MarkDeliveriesBounced(ctx, msg.Bounced, "bounced: "+strings.Join(msg.Bounced, " "))
			if err != nil {
				return routed{}, err
			}
			if len(ids) > 0 {
				if p.OnBounced != nil {
					p.OnBounced(ctx, ids)
				}
				return routed{outcome: OutcomeBounce, detail: fmt.Sprintf("%d delivery marked bounced", len(ids))}, nil
			}
		}
		return routed{outcome: OutcomeIgnoredAuto, detail: msg.Auto}, nil
	}
	if msg.From == "" {
		return routed{outcome: OutcomeRejected, detail: "no From address"}, nil
	}
	cs, found, err := p.caseOf(ctx, msg)
	if err != nil {
		return routed{}, err
	}
	var r routed
	if found {
		r, err = p.reply(ctx, m, msg, cs)
	} else {
		r, err = p.file(ctx, m, msg, apiserver.ChannelFiling{Request: request(msg, msg.Text, ""), Key: m.DedupeKey})
	}
	if err == nil && r.caseID != "" {
		err = p.attach(ctx, r.caseID, m.DedupeKey, msg)
	}
	r.from, r.subject, r.body = msg.From, truncate(msg.Subject, 500), truncate(msg.NewText, complaint.MaxDescription)
	return r, err
}

// caseOf finds the case a reply is about: by its threading headers
// (a message we sent, or one we received on a case), or by a case number
// in its subject when a client dropped them. It is the case only if the
// sender is its customer (the address we write to): a stranger who
// writes a case's number, or forges its headers, gets a case of their own.
func (p *Processor) caseOf(ctx context.Context, msg Message) (store.Case, bool, error) {
	var cs store.Case
	id, err := p.Store.CaseForMessageIDs(ctx, append(append([]string{}, msg.InReplyTo...), msg.References...))
	switch {
	case err == nil:
		if cs, err = p.Store.GetCase(ctx, id); err != nil {
			return cs, false, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return cs, false, err
	default:
		n := caseNumber.FindString(msg.Subject)
		if n == "" {
			return cs, false, nil
		}
		if cs, err = p.Store.GetCaseByNumber(ctx, n); errors.Is(err, store.ErrNotFound) {
			return cs, false, nil
		} else if err != nil {
			return cs, false, err
		}
	}
	if !SameAddress(cs.CustomerEmail, msg.From) {
		p.Logger.Warn("inbound reply from another address than the case's customer: filed as a new complaint",
			"case_id", cs.ID, "message_id", msg.MessageID)
		return store.Case{}, false, nil
	}
	return cs, true, nil
}

// reply puts a customer's reply on its case: the answer to its
// information request when it waits for one, else a repeat contact.
func (p *Processor) reply(ctx context.Context, m store.InboundMail, msg Message, cs store.Case) (routed, error) {
	if cs.Status == complaint.StatusAwaitingInfo {
		_, err := p.Intake.AnswerInfo(ctx, cs, m.DedupeKey, truncate(msg.NewText, complaint.MaxText))
		switch {
		case err == nil:
			return routed{outcome: OutcomeInfoAnswer, caseID: cs.ID}, nil
		case !errors.Is(err, apiserver.ErrNotAwaitingInfo):
			return routed{}, err
		}
		// Answered meanwhile (on the tracking page): a repeat contact.
	}
	r, err := p.file(ctx, m, msg, apiserver.ChannelFiling{Request: request(msg, msg.NewText, cs.Subject), Key: m.DedupeKey,
		WorkflowID: cs.WorkflowID})
	if err == nil && r.outcome == OutcomeRepeat {
		// (A reply to a case whose workflow has ended opens a new case.)
		r.outcome = OutcomeReply
	}
	return r, err
}

// file files the mail through the API's intake.
func (p *Processor) file(ctx context.Context, _ store.InboundMail, _ Message, f apiserver.ChannelFiling) (routed, error) {
	filed, err := p.Intake.FileFromChannel(ctx, f)
	if bad := complaint.InvalidFieldsOf(err); len(bad) > 0 {
		fields := make([]string, len(bad))
		for i, b := range bad {
			fields[i] = b.Field + ": " + b.Message
		}
		return routed{outcome: OutcomeRejected, detail: "invalid: " + strings.Join(fields, "; ")}, nil
	}
	if errors.Is(err, apiserver.ErrTooManyContacts) {
		return routed{outcome: OutcomeRejected, detail: err.Error()}, nil
	}
	if err != nil {
		return routed{}, err
	}
	if filed.RepeatContact {
		return routed{outcome: OutcomeRepeat, caseID: filed.CaseID}, nil
	}
	return routed{outcome: OutcomeOpened, caseID: filed.CaseID}, nil
}

// attach adds the mail's attachments to its case as the customer's
// evidence, with the checks of an upload; a refused file (a type not
// allowed, too large, infected) is logged and stays in the raw copy of
// the mail (inbound_mails.raw). Processing the mail again stores and
// records nothing twice (the ids derive from its dedupe key).
func (p *Processor) attach(ctx context.Context, caseID, key string, msg Message) error {
	if len(msg.Attachments) == 0 {
		return nil
	}
	files := make([]apiserver.ChannelFile, len(msg.Attachments))
	for i, a := range msg.Attachments {
		files[i] = apiserver.ChannelFile{Filename: a.Filename, Content: a.Content}
	}
	n, refused, err := p.Intake.AttachFromChannel(ctx, caseID, key, msg.From, files)
	if err != nil {
		return err
	}
	if n > 0 || len(refused) > 0 {
		p.Logger.Info("mail's attachments", "case_id", caseID, "stored", n, "refused", refused)
	}
	return nil
}

// replyPrefix is what clients put before a reply's or a forward's subject.
var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|sv|回复|答复|转发)\s*[:：]\s*)+`)

// request is the filing a mail makes: the customer is its sender, the
// subject its own (or subject, for a reply), the description text.
func request(msg Message, text, subject string) complaint.IntakeRequest {
	if subject == "" {
		subject = strings.TrimSpace(replyPrefix.ReplaceAllString(msg.Subject, ""))
	}
	zh := hasHan(msg.Subject + text)
	if subject == "" {
		subject = "(no subject)"
		if zh {
			subject = "（无主题）"
		}
	}
	if strings.TrimSpace(text) == "" {
		text = subject
	}
	name := strings.Join(strings.Fields(msg.FromName), " ")
	if name == "" {
		name, _, _ = strings.Cut(msg.From, "@")
	}
	lang := complaint.LanguageEnglish
	if zh {
		lang = complaint.LanguageChinese
	}
	return complaint.IntakeRequest{Customer: complaint.Customer{Name: truncate(name, 200), Email: msg.From},
		Channel: complaint.ChannelEmail, Subject: truncate(strings.Join(strings.Fields(subject), " "), 200),
		Description: truncate(text, complaint.MaxDescription), Language: lang}
}

// truncate cuts s to n characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
