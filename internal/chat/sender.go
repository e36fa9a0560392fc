package chat

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// Message is a staff notification as a chat post says it.
type Message struct {
	CaseNumber string
	// Subject and Body are the notification's (both languages, Chinese
	// first, as every staff message).
	Subject, Body string
	// DueAt is the case's resolution deadline, if it has one.
	DueAt *time.Time
	// Link is the console's page of the case (or of the incidents).
	Link string
}

// Failure is an attempt the service refused or that did not reach it.
// Temporary ones (a 5xx, a timeout, a rate limit) are tried again after a
// backoff; permanent ones (a bad signature, a missing keyword, a removed
// robot) never are.
type Failure struct {
	Temporary bool
	// Code is the HTTP status, or the service's errcode when it answered
	// 200 with one.
	Code int
	Err  error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

func temporary(code int, format string, args ...any) error {
	return &Failure{Temporary: true, Code: code, Err: fmt.Errorf(format, args...)}
}

func permanent(code int, format string, args ...any) error {
	return &Failure{Code: code, Err: fmt.Errorf(format, args...)}
}

// Sender posts messages to the services' webhooks.
type Sender struct {
	// Client is the HTTP client; its transport may trust a test CA. Its
	// timeout bounds every post.
	Client *http.Client
	// Now is the clock the signatures' timestamps come from.
	Now func() time.Time
}

// Deliver posts m to the channel of kind reached by s. Its error is a
// *Failure; anything the sender cannot classify is temporary.
func (sd Sender) Deliver(ctx context.Context, kind string, s Secret, m Message) error {
	now := time.Now()
	if sd.Now != nil {
		now = sd.Now()
	}
	target, body, err := Request(kind, s, m, now)
	if err != nil {
		return permanent(0, "%w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return permanent(0, "chat: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	client := sd.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL holds the robot's key: name only the failure's kind.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return temporary(0, "chat: %s post: %v", kind, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return classify(kind, resp.StatusCode, resp.Header, answer)
}

// Request builds the post for a kind: the URL (with DingTalk's signature
// in its query) and the JSON body (with Feishu's in it).
func Request(kind string, s Secret, m Message, now time.Time) (string, []byte, error) {
	text := m.text()
	var v any
	target := s.URL
	switch kind {
	case store.ChatWeCom:
		// WeCom group robot (developer.work.weixin.qq.com/document/path/91770,
		// 群机器人配置说明): POST JSON {"msgtype":"markdown","markdown":
		// {"content": ...}} to the webhook URL, whose key parameter is the
		// robot's credential; the content is at most 4096 bytes of UTF-8.
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": cut(m.markdown(), 4096)}}
	case store.ChatDingTalk:
		// DingTalk custom robot (open.dingtalk.com, 自定义机器人安全设置,
		// 加签): sign = urlEncode(base64(HmacSHA256(key = secret, message =
		// timestamp + "\n" + secret))) with timestamp in milliseconds,
		// appended to the webhook URL as &timestamp=...&sign=...; the
		// service refuses a timestamp more than an hour off. Body:
		// {"msgtype":"markdown","markdown":{"title":...,"text":...}}.
		if s.Secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			u, err := url.Parse(target)
			if err != nil {
				return "", nil, fmt.Errorf("chat: dingtalk URL: %w", err)
			}
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", DingTalkSign(ts, s.Secret))
			u.RawQuery = q.Encode()
			target = u.String()
		}
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": cut(m.title(), 100), "text": cut(m.markdown(), 5000)}}
	case store.ChatFeishu:
		// Feishu/Lark custom bot (open.feishu.cn/document/client-docs/bot-v3/
		// add-custom-bot, 签名校验): sign = base64(HmacSHA256(key =
		// timestamp + "\n" + secret, message = empty)) with timestamp in
		// seconds, sent in the body beside msg_type "text" and
		// content.text; the service refuses a timestamp more than an hour
		// off.
		body := map[string]any{"msg_type": "text", "content": map[string]string{"text": cut(text, 4000)}}
		if s.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			body["timestamp"] = ts
			body["sign"] = FeishuSign(ts, s.Secret)
		}
		v = body
	case store.ChatSlack:
		// Slack incoming webhook (api.slack.com/messaging/webhooks): POST
		// JSON {"text": ...} with mrkdwn links <url|label>; the URL is the
		// credential, there is no signature.
		v = map[string]any{"text": cut(m.slack(), 3000)}
	default:
		return "", nil, fmt.Errorf("chat: unknown channel kind %q", kind)
	}
	body, err := json.Marshal(v)
	return target, body, err
}

// DingTalkSign is DingTalk's 加签 signature of a millisecond timestamp,
// already URL-safe base64 (url.Values encodes it once more in the query,
// which the service decodes).
func DingTalkSign(ts, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// FeishuSign is Feishu's signature of a timestamp in seconds: the HMAC of
// nothing, keyed with timestamp + "\n" + secret.
func FeishuSign(ts, secret string) string {
	h := hmac.New(sha256.New, []byte(ts+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// classify turns a service's answer into nil or a *Failure. WeCom,
// DingTalk and Feishu answer HTTP 200 with an error code in JSON.
func classify(kind string, status int, h http.Header, answer []byte) error {
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return temporary(status, "chat: %s answered HTTP %d", kind, status)
	case status == http.StatusRequestTimeout:
		return temporary(status, "chat: %s answered HTTP %d", kind, status)
	case status >= 300:
		// Slack: 400 invalid_payload, 403 invalid_token/action_prohibited,
		// 404 no_service, 410 channel_is_archived: none heals by itself.
		return permanent(status, "chat: %s answered HTTP %d: %s", kind, status, cut(string(answer), 100))
	}
	if kind == store.ChatSlack {
		return nil
	}
	var r struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		Code    *int   `json:"code"`
		Msg     string `json:"msg"`
		// Feishu's older answer.
		StatusCode *int `json:"StatusCode"`
	}
	if err := json.Unmarshal(answer, &r); err != nil {
		return temporary(status, "chat: %s answered 200 without JSON", kind)
	}
	code, msg := 0, r.ErrMsg
	switch {
	case r.ErrCode != nil:
		code = *r.ErrCode
	case r.Code != nil:
		code, msg = *r.Code, r.Msg
	case r.StatusCode != nil:
		code = *r.StatusCode
	}
	if code == 0 {
		return nil
	}
	if rateLimited[kind][code] || code == -1 {
		// -1 is WeCom's and DingTalk's "system busy".
		return temporary(code, "chat: %s rate limit or busy (errcode %d): %s", kind, code, cut(msg, 100))
	}
	return permanent(code, "chat: %s refused (errcode %d): %s", kind, code, cut(msg, 100))
}

// rateLimited are the services' error codes that mean "later": WeCom
// 45009 (API frequency out of limit; a robot takes 20 messages a minute),
// DingTalk 130101 (sending too fast; 20 a minute) and 130102, Feishu
// 11232 (frequency limited). Every other code is permanent: a bad
// signature or a stale timestamp (DingTalk 310000, Feishu 19021), a
// missing keyword (Feishu 19024), a removed robot (WeCom 93000).
var rateLimited = map[string]map[int]bool{
	store.ChatWeCom:    {45009: true, 45033: true},
	store.ChatDingTalk: {130101: true, 130102: true},
	store.ChatFeishu:   {11232: true, 11233: true},
}

// text is the plain form: subject, body, due time and link.
func (m Message) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s", m.title(), m.Body)
	if m.DueAt != nil {
		fmt.Fprintf(&b, "\n期限 / Due: %s", m.DueAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "\n%s", m.Link)
	}
	return b.String()
}

// title is the subject with the case number first, once (staff subjects
// carry it in each language), as the email's subject.
func (m Message) title() string { return mail.Subject(m.CaseNumber, m.Subject) }

// markdown is the form WeCom and DingTalk render.
func (m Message) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n%s", mdEscape(m.title()), mdEscape(m.Body))
	if m.DueAt != nil {
		fmt.Fprintf(&b, "\n\n> 期限 / Due: %s", m.DueAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "\n\n[案件页面 / Case page](%s)", m.Link)
	}
	return b.String()
}

// slack is the mrkdwn form Slack renders.
func (m Message) slack() string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*\n%s", esc.Replace(m.title()), esc.Replace(m.Body))
	if m.DueAt != nil {
		fmt.Fprintf(&b, "\n期限 / Due: %s", m.DueAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "\n<%s|案件页面 / Case page>", m.Link)
	}
	return b.String()
}

// mdEscape keeps what staff or customers wrote from becoming links or
// markup in a markdown post.
func mdEscape(s string) string {
	return strings.NewReplacer("[", "\\[", "]", "\\]", "(", "\\(", ")", "\\)", "<", "&lt;", ">", "&gt;", "`", "\\`", "*", "\\*").Replace(s)
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
