package inbound

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// fakeStore holds one case, known by number and by one sent Message-ID,
// and the mails to process.
type fakeStore struct {
	cs       store.Case
	mails    []store.InboundMail
	results  map[int64]store.InboundResult
	retries  map[int64]int
	gaveUp   map[int64]bool
	bounced  []string
	nextTime map[int64]time.Time
}

func (f *fakeStore) ClaimInboundMails(context.Context, int, time.Duration) ([]store.InboundMail, error) {
	var due []store.InboundMail
	for i := range f.mails {
		m := &f.mails[i]
		if _, done := f.results[m.ID]; done || f.gaveUp[m.ID] || f.nextTime[m.ID].After(time.Now()) {
			continue
		}
		m.Attempts++
		due = append(due, *m)
	}
	return due, nil
}

func (f *fakeStore) FinishInboundMail(_ context.Context, id int64, r store.InboundResult) error {
	f.results[id] = r
	return nil
}

func (f *fakeStore) RetryInboundMail(_ context.Context, id int64, _ string, next time.Time, giveUp bool) error {
	f.retries[id]++
	f.gaveUp[id] = giveUp
	f.nextTime[id] = next
	return nil
}

func (f *fakeStore) CaseForMessageIDs(_ context.Context, ids []string) (string, error) {
	for _, id := range ids {
		if id == "cmp.ack@complaints.example" {
			return f.cs.ID, nil
		}
	}
	return "", store.ErrNotFound
}

func (f *fakeStore) GetCase(context.Context, string) (store.Case, error) { return f.cs, nil }

func (f *fakeStore) GetCaseByNumber(_ context.Context, n string) (store.Case, error) {
	if n == f.cs.CaseNumber {
		return f.cs, nil
	}
	return store.Case{}, store.ErrNotFound
}

func (f *fakeStore) MarkDeliveriesBounced(_ context.Context, ids []string, _ string) ([]int64, error) {
	f.bounced = append(f.bounced, ids...)
	out := make([]int64, len(ids))
	for i := range ids {
		out[i] = int64(i + 1)
	}
	return out, nil
}

// fakeIntake records the filings and answers, failing as told.
type fakeIntake struct {
	attached int
	filed    []apiserver.ChannelFiling
	answers  []string
	fileErr  error
	infoErr  error
	failures int
}

func (f *fakeIntake) FileFromChannel(_ context.Context, c apiserver.ChannelFiling) (apiserver.Filed, error) {
	if f.failures > 0 {
		f.failures--
		return apiserver.Filed{}, errors.New("temporal: unavailable")
	}
	if f.fileErr != nil {
		return apiserver.Filed{}, f.fileErr
	}
	f.filed = append(f.filed, c)
	if c.WorkflowID != "" {
		return apiserver.Filed{CaseID: "case-1", RepeatContact: true}, nil
	}
	return apiserver.Filed{CaseID: "new-case"}, nil
}

func (f *fakeIntake) AttachFromChannel(_ context.Context, _, _, _ string, files []apiserver.ChannelFile) (int, []string, error) {
	f.attached += len(files)
	return len(files), nil, nil
}

func (f *fakeIntake) AnswerInfo(_ context.Context, _ store.Case, _, answer string) (string, error) {
	if f.infoErr != nil {
		return "", f.infoErr
	}
	f.answers = append(f.answers, answer)
	return complaint.StatusInvestigating, nil
}

func mailFrom(from, subject, headers, body string) store.InboundMail {
	raw := "From: " + from + "\r\nTo: help@complaints.example\r\nSubject: " + subject + "\r\nMessage-ID: <m@x>\r\n" + headers +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	return store.InboundMail{ID: 1, DedupeKey: "mid:m@x", MessageID: "m@x", MailFrom: "sender@example.com", Raw: []byte(raw)}
}

// TestRoute routes mails with the store and the intake faked: replies by
// header and by number from the customer, the same from a stranger (a new
// case: the injection attempt), an information answer and its fallback to
// a repeat contact when the case no longer waits, refusals by the intake,
// and temporary failures retried until the attempts run out.
func TestRoute(t *testing.T) {
	customerCase := store.Case{ID: "case-1", CaseNumber: "CMP-20261203-000007", WorkflowID: "complaint:case-1",
		CustomerEmail: "ann@example.com", Subject: "Refund", Status: complaint.StatusInvestigating}
	threaded := "In-Reply-To: <cmp.ack@complaints.example>\r\n"
	for _, tc := range []struct {
		name      string
		mail      store.InboundMail
		status    string
		intake    fakeIntake
		outcome   string
		workflow  string // the workflow filed to ("" the matter's)
		answers   int
		retries   int
		giveUp    bool
		detailHas string
	}{
		{name: "reply by header", mail: mailFrom("Ann <ANN@example.com>", "Re: x", threaded, "More.\n> quoted"), outcome: OutcomeReply, workflow: "complaint:case-1"},
		{name: "reply by number", mail: mailFrom("ann@example.com", "回复：[CMP-20261203-000007] x", "", "More."), outcome: OutcomeReply, workflow: "complaint:case-1"},
		{name: "stranger by header", mail: mailFrom("mallory@evil.example", "Re: x", threaded, "Pay me."), outcome: OutcomeOpened},
		{name: "stranger by number", mail: mailFrom("mallory@evil.example", "[CMP-20261203-000007] x", "", "Pay me."), outcome: OutcomeOpened},
		{name: "unknown number", mail: mailFrom("ann@example.com", "[CMP-20261203-000999] x", "", "Hi."), outcome: OutcomeOpened},
		{name: "info answer", mail: mailFrom("ann@example.com", "Re: x", threaded, "At ten."), status: complaint.StatusAwaitingInfo,
			outcome: OutcomeInfoAnswer, answers: 1},
		{name: "info already answered", mail: mailFrom("ann@example.com", "Re: x", threaded, "At ten."), status: complaint.StatusAwaitingInfo,
			intake: fakeIntake{infoErr: apiserver.ErrNotAwaitingInfo}, outcome: OutcomeReply, workflow: "complaint:case-1"},
		{name: "refused by validation", mail: mailFrom("ann@example.com", "x", "", "y"),
			intake:  fakeIntake{fileErr: complaint.Invalid("customer.email", complaint.NewProblem(complaint.CodeInvalidEmail, "is not a valid email address"))},
			outcome: OutcomeRejected, detailHas: "customer.email"},
		{name: "too many contacts", mail: mailFrom("ann@example.com", "Re: x", threaded, "Again."), intake: fakeIntake{fileErr: apiserver.ErrTooManyContacts},
			outcome: OutcomeRejected, detailHas: "too many"},
		{name: "temporary failure retried", mail: mailFrom("ann@example.com", "x", "", "y"), intake: fakeIntake{failures: 2},
			outcome: OutcomeOpened, retries: 2},
		{name: "retries run out", mail: mailFrom("ann@example.com", "x", "", "y"), intake: fakeIntake{failures: 5}, retries: 3, giveUp: true},
		{name: "no sender", mail: mailFrom("undisclosed-recipients:;", "x", "", "y"), outcome: OutcomeRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := customerCase
			if tc.status != "" {
				cs.Status = tc.status
			}
			st := &fakeStore{cs: cs, mails: []store.InboundMail{tc.mail}, results: map[int64]store.InboundResult{},
				retries: map[int64]int{}, gaveUp: map[int64]bool{}, nextTime: map[int64]time.Time{}}
			in := tc.intake
			metrics := NewMetrics(prometheus.NewRegistry())
			p := NewProcessor(Processor{Store: st, Intake: &in, Metrics: metrics, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				RetryBase: time.Nanosecond, MaxAttempts: 3})
			for range 5 {
				p.RunOnce(context.Background())
				time.Sleep(time.Millisecond)
			}
			r, done := st.results[1]
			if r.Outcome != tc.outcome || done != (tc.outcome != "") {
				t.Errorf("outcome %q (processed %v), want %q", r.Outcome, done, tc.outcome)
			}
			if st.retries[1] != tc.retries || st.gaveUp[1] != tc.giveUp {
				t.Errorf("retries %d (gave up %v), want %d (%v)", st.retries[1], st.gaveUp[1], tc.retries, tc.giveUp)
			}
			if len(in.answers) != tc.answers {
				t.Errorf("%d answers, want %d", len(in.answers), tc.answers)
			}
			if tc.outcome == OutcomeReply || tc.outcome == OutcomeOpened {
				if len(in.filed) != 1 || in.filed[0].WorkflowID != tc.workflow || in.filed[0].Key != "mid:m@x" ||
					in.filed[0].Request.Channel != complaint.ChannelEmail {
					t.Fatalf("filed %+v, want one to workflow %q", in.filed, tc.workflow)
				}
				if strings.Contains(in.filed[0].Request.Description, "quoted") {
					t.Errorf("a reply's quotation was filed: %q", in.filed[0].Request.Description)
				}
			}
			if !strings.Contains(r.Detail, tc.detailHas) {
				t.Errorf("detail %q lacks %q", r.Detail, tc.detailHas)
			}
			if tc.outcome != "" && testutil.ToFloat64(metrics.mails.WithLabelValues(tc.outcome)) != 1 {
				t.Errorf("%s not counted", tc.outcome)
			}
		})
	}
}

// TestRequest derives the filing from a mail: the subject without reply
// prefixes, the language from the text, the name from the display name or
// the address, and a description that is never empty.
func TestRequest(t *testing.T) {
	for _, tc := range []struct {
		name                string
		msg                 Message
		subject, lang, whom string
		desc                string
	}{
		{"english", Message{From: "ann@example.com", FromName: "Ann  Smith", Subject: "Re: Fwd: Refund", Text: "Where is it?"},
			"Refund", "en", "Ann Smith", "Where is it?"},
		{"chinese", Message{From: "zhang@example.cn", Subject: "回复：退款", Text: "还没到账"}, "退款", "zh", "zhang", "还没到账"},
		{"empty", Message{From: "li@example.cn", Text: "只有正文"}, "（无主题）", "zh", "li", "只有正文"},
		{"no text", Message{From: "bo@example.com", Subject: "Broken"}, "Broken", "en", "bo", "Broken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(tc.msg, tc.msg.Text, "")
			if r.Subject != tc.subject || r.Language != tc.lang || r.Customer.Name != tc.whom || r.Description != tc.desc ||
				r.Customer.Email != tc.msg.From || r.Channel != complaint.ChannelEmail {
				t.Errorf("request = %+v", r)
			}
		})
	}
}
