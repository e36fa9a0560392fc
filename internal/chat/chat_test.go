package chat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/chat"
	"github.com/complaint-handling/complaints/internal/chat/chattest"
	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

var kinds = []string{store.ChatWeCom, store.ChatDingTalk, store.ChatFeishu, store.ChatSlack}

func sealer(t *testing.T) chat.Sealer {
	t.Helper()
	keys, err := codec.ParseKeys(testenv.PayloadKeys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(testenv.PayloadKeyID, keys)
	if err != nil {
		t.Fatal(err)
	}
	return chat.Sealer{Codec: c}
}

// fixture is a store with a billing case due in two days, and the
// service's channels of the billing team.
type fixture struct {
	st      *store.Store
	caseID  string
	svc     *chattest.Service
	sealer  chat.Sealer
	reg     *prometheus.Registry
	metrics *mail.Metrics
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: env.NewStore(t), caseID: uuid(), svc: chattest.Start(t, "SEC-shared-"+uuid()), sealer: sealer(t),
		reg: prometheus.NewRegistry()}
	f.metrics = mail.NewMetrics(f.reg)
	f.metrics.Zero(store.MessageChat)
	if _, err := f.st.Pool.Exec(context.Background(), `INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id,
        channel, subject, description, status, received_at, language, team_id, resolve_due_at)
        VALUES ($1::uuid, 'CMP-20261203-'||substr(md5($1::text), 1, 6), 'wf', decode(md5($1::text), 'hex'), 'c-1', 'web', 's', 'd', 'assigned', now(), 'zh',
            'billing', now() + interval '2 days')`, f.caseID); err != nil {
		t.Fatal(err)
	}
	return f
}

// channel adds a channel of kind to the billing team, signed with secret.
func (f *fixture) channel(t *testing.T, kind, secret string) store.TeamChannel {
	t.Helper()
	s := chat.Secret{URL: f.svc.URL(kind)}
	if kind == store.ChatDingTalk || kind == store.ChatFeishu {
		s.Secret = secret
	}
	sealed, err := f.sealer.Seal(s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.st.CreateTeamChannel(context.Background(), store.TeamChannel{Team: "billing", Kind: kind, Name: kind + " alerts",
		Sealed: sealed, Hint: chat.Hint(s), Active: true}, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// notify writes a staff notification through the chat notifier, as the
// activities do.
func (f *fixture) notify(t *testing.T, key string) {
	t.Helper()
	n := store.Notification{CaseID: f.caseID, Key: key, Audience: "staff", Recipient: "agent-1", Kind: "clock_warning",
		Language: "zh,en", Subject: "投诉即将超时 / Case nearing its deadline", Body: "已用去 80% 的处理时间。\n\n80% of the time is used."}
	if err := f.st.QueueNotifications(context.Background(), []store.Notification{n}); err != nil {
		t.Fatal(err)
	}
	if err := (chat.Notifier{Store: f.st, Next: nop{}}).Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

type nop struct{}

func (nop) Send(context.Context, store.Notification) error { return nil }

func (f *fixture) dispatcher(t *testing.T) *chat.Dispatcher {
	return &chat.Dispatcher{Store: f.st, Sealer: f.sealer, Sender: chat.Sender{Client: f.svc.Client()},
		Hosts: []string{"127.0.0.1"}, BaseURL: "https://complaints.example.com", RetryBase: 200 * time.Millisecond, MaxAttempts: 3,
		SendTimeout: 2 * time.Second, Poll: 50 * time.Millisecond, Metrics: f.metrics, Logger: testenv.Logger(t)}
}

// drain runs d until nothing is due.
func drain(t *testing.T, d *chat.Dispatcher) int {
	t.Helper()
	total := 0
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

type deliveryRow struct {
	status, lastError string
	attempts          int
	codes             []int
}

func (f *fixture) delivery(t *testing.T, key string, ch store.TeamChannel) deliveryRow {
	t.Helper()
	var r deliveryRow
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT d.status, d.last_error, d.attempts,
        ARRAY(SELECT COALESCE(a.code, 0) FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt)
        FROM deliveries d WHERE d.idem_key = $1 AND d.channel = 'chat' AND d.address = $2`, key, strconv.FormatInt(ch.ID, 10)).
		Scan(&r.status, &r.lastError, &r.attempts, &r.codes); err != nil {
		t.Fatal(err)
	}
	return r
}

// count reads complaints_messages_total{channel="chat",status}; -1 when
// the series does not exist.
func (f *fixture) count(status string) float64 {
	mfs, _ := f.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "complaints_messages_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			ls := map[string]string{}
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = l.GetValue()
			}
			if ls["channel"] == "chat" && ls["status"] == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TestAlertReachesEachService posts a staff notification of a billing case
// to the team's WeCom, DingTalk, Feishu and Slack channels: each receiver
// checks its protocol (and the signature, for DingTalk and Feishu) and
// takes it, with the case number, the due time and the console's link.
func TestAlertReachesEachService(t *testing.T) {
	f := newFixture(t)
	chans := map[string]store.TeamChannel{}
	for _, k := range kinds {
		chans[k] = f.channel(t, k, f.svc.Secret)
	}
	f.notify(t, f.caseID+":warn-resolve-80")
	if n := drain(t, f.dispatcher(t)); n != len(kinds) {
		t.Fatalf("%d attempts, want %d", n, len(kinds))
	}
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) {
			posts := f.svc.Posts(k)
			if len(posts) != 1 {
				t.Fatalf("%d posts (refused: %v)", len(posts), f.svc.Refusals(k))
			}
			for _, want := range []string{"CMP-20261203-", "80% of the time is used", "Due: ", "https://complaints.example.com/console/cases/" + f.caseID} {
				if !strings.Contains(posts[0], want) {
					t.Errorf("post lacks %q:\n%s", want, posts[0])
				}
			}
			if r := f.delivery(t, f.caseID+":warn-resolve-80", chans[k]); r.status != store.DeliverySent || r.attempts != 1 {
				t.Errorf("delivery %+v", r)
			}
		})
	}
	if got := f.count("sent"); got != 4 {
		t.Errorf("complaints_messages_total{channel=chat,status=sent} = %v", got)
	}
}

// TestWrongSecretFailsForGood signs with a secret that is not the
// robot's: DingTalk and Feishu refuse the signature (errcode 310000,
// code 19021 in an HTTP 200), and the delivery is failed at once, never
// retried, with the service's code recorded.
func TestWrongSecretFailsForGood(t *testing.T) {
	for _, tc := range []struct {
		kind string
		code int
	}{{store.ChatDingTalk, 310000}, {store.ChatFeishu, 19021}} {
		t.Run(tc.kind, func(t *testing.T) {
			f := newFixture(t)
			ch := f.channel(t, tc.kind, "SEC-not-the-robots-secret")
			key := f.caseID + ":breach-handler-resolve"
			f.notify(t, key)
			d := f.dispatcher(t)
			drain(t, d)
			time.Sleep(500 * time.Millisecond)
			drain(t, d)
			if got := f.svc.Refusals(tc.kind); len(got) != 1 || got[0] != "signature" {
				t.Fatalf("receiver refused %v, want one bad signature", got)
			}
			if len(f.svc.Posts(tc.kind)) != 0 {
				t.Fatal("a post with a wrong signature was taken")
			}
			r := f.delivery(t, key, ch)
			if r.status != store.DeliveryFailed || r.attempts != 1 || len(r.codes) != 1 || r.codes[0] != tc.code {
				t.Errorf("delivery %+v, want failed after one attempt with code %d", r, tc.code)
			}
			if f.count("failed") != 1 || f.count("retried") != 0 {
				t.Errorf("failed %v retried %v", f.count("failed"), f.count("retried"))
			}
		})
	}
}

// TestRateLimitIsRetried answers each service's rate-limit error first
// (WeCom 45009, DingTalk 130101, Feishu 11232 in an HTTP 200; Slack 429):
// the delivery is queued again and posted once after the backoff.
func TestRateLimitIsRetried(t *testing.T) {
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) {
			f := newFixture(t)
			ch := f.channel(t, k, f.svc.Secret)
			f.svc.SetBusy(k, 1)
			key := f.caseID + ":assigned"
			f.notify(t, key)
			d := f.dispatcher(t)
			drain(t, d)
			if r := f.delivery(t, key, ch); r.status != store.DeliveryQueued || r.attempts != 1 {
				t.Fatalf("after the rate limit: %+v", r)
			}
			time.Sleep(300 * time.Millisecond)
			drain(t, d)
			if n := len(f.svc.Posts(k)); n != 1 {
				t.Fatalf("%d posts after the retry", n)
			}
			if r := f.delivery(t, key, ch); r.status != store.DeliverySent || r.attempts != 2 {
				t.Errorf("after the retry: %+v", r)
			}
			if f.count("retried") != 1 || f.count("sent") != 1 {
				t.Errorf("retried %v sent %v", f.count("retried"), f.count("sent"))
			}
		})
	}
}

// TestWorkerRestartPostsOnce: a retried activity queues the notification
// again (nothing more is queued); a worker claims the delivery and dies
// before posting; after its lease a restarted worker posts it, once, and
// running again posts nothing.
func TestWorkerRestartPostsOnce(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t, store.ChatWeCom, "")
	key := f.caseID + ":approval-requested-1"
	f.notify(t, key)
	f.notify(t, key)
	var queued int
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM deliveries WHERE idem_key = $1`, key).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("%d deliveries for one notification (%v)", queued, err)
	}
	if ds, err := f.st.ClaimChatDeliveries(context.Background(), 1, 500*time.Millisecond); err != nil || len(ds) != 1 {
		t.Fatalf("the dying worker's claim: %v %v", ds, err)
	}
	d := f.dispatcher(t)
	if n := drain(t, d); n != 0 {
		t.Fatal("a leased delivery was taken by another worker")
	}
	time.Sleep(700 * time.Millisecond)
	if n := drain(t, d); n != 1 {
		t.Fatalf("%d attempts after the lease, want 1", n)
	}
	drain(t, d)
	if n := len(f.svc.Posts(store.ChatWeCom)); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if r := f.delivery(t, key, ch); r.status != store.DeliverySent || r.attempts != 2 {
		t.Errorf("delivery %+v", r)
	}
}

// TestEmailDispatcherLeavesChatAlone: the email dispatcher's claim never
// takes a chat delivery (it would mail the channel's id).
func TestEmailDispatcherLeavesChatAlone(t *testing.T) {
	f := newFixture(t)
	f.channel(t, store.ChatSlack, "")
	f.notify(t, f.caseID+":assigned")
	if ds, err := f.st.ClaimDeliveries(context.Background(), 10, time.Minute); err != nil || len(ds) != 0 {
		t.Fatalf("the email claim took %d chat deliveries (%v)", len(ds), err)
	}
}

// TestChannelURLMustBeTheService refuses webhook URLs that would make the
// worker post elsewhere than the kind's service: into the private network
// (a metadata service), in clear text, or to another host.
func TestChannelURLMustBeTheService(t *testing.T) {
	for _, tc := range []struct {
		kind, url string
		ok        bool
	}{
		{store.ChatWeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", true},
		{store.ChatDingTalk, "https://oapi.dingtalk.com/robot/send?access_token=abc", true},
		{store.ChatFeishu, "https://open.larksuite.com/open-apis/bot/v2/hook/abc", true},
		{store.ChatSlack, "https://hooks.slack.com/services/T/B/X", true},
		{store.ChatWeCom, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", false},
		{store.ChatSlack, "https://169.254.169.254/latest/meta-data/", false},
		{store.ChatSlack, "https://hooks.slack.com.evil.example/services/T/B/X", false},
		{store.ChatDingTalk, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", false},
		{store.ChatFeishu, "https://user:pw@open.feishu.cn/open-apis/bot/v2/hook/abc", false},
		{store.ChatWeCom, "https://127.0.0.1/x", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := chat.CheckURL(tc.kind, tc.url, nil)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, chat.ErrURL)) {
				t.Errorf("CheckURL(%s, %s) = %v", tc.kind, tc.url, err)
			}
		})
	}
}

// TestSealedSecretIsNotReadable: what the database holds names neither
// the URL nor the secret, and opens to both with the key.
func TestSealedSecretIsNotReadable(t *testing.T) {
	sl := sealer(t)
	s := chat.Secret{URL: "https://oapi.dingtalk.com/robot/send?access_token=tok-123456", Secret: "SEC0123456789"}
	b, err := sl.Seal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "tok-123456") || strings.Contains(string(b), "SEC0123456789") {
		t.Fatal("the sealed form holds the secret in clear")
	}
	if got, err := sl.Open(b); err != nil || got != s {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	if h := chat.Hint(s); strings.Contains(h, "tok-123456") || strings.Contains(h, "SEC") {
		t.Errorf("hint %q reveals the secret", h)
	}
}
