// Package chattest plays the chat services' webhooks for tests: WeCom,
// DingTalk, Feishu and Slack on one TLS server, each checking a post as
// its service documents it (method, content type, JSON shape, the robot's
// credential, the signature recomputed from the shared secret and a fresh
// timestamp) and answering as the service does.
package chattest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Service plays the four chat services' webhooks on one TLS server and
// checks each request as the service documents it: the method, the
// content type, the JSON shape, the robot's credential in the URL, and,
// for DingTalk and Feishu, the signature recomputed from the shared secret
// with a timestamp no more than an hour off. It answers like the service:
// HTTP 200 with an errcode (WeCom, DingTalk) or code (Feishu) in JSON,
// and Slack's plain "ok" or an HTTP error.
type Service struct {
	srv *httptest.Server
	// Secret is what the robots were set up with; token is the webhook's
	// credential in its URL.
	Secret, token string

	mu       sync.Mutex
	accepted map[string][]string // kind -> the posted texts
	refused  map[string][]string // kind -> why
	// busy answers the next n posts of a kind with its rate-limit error.
	busy map[string]int
}

// Start starts the receivers, set up with secret; they stop when the test
// ends.
func Start(t testing.TB, secret string) *Service {
	s := &Service{Secret: secret, token: "tok-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		accepted: map[string][]string{}, refused: map[string][]string{}, busy: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/cgi-bin/webhook/send", s.wecom)
	mux.HandleFunc("/robot/send", s.dingtalk)
	mux.HandleFunc("/open-apis/bot/v2/hook/", s.feishu)
	mux.HandleFunc("/services/", s.slack)
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// Client is an HTTP client that trusts the receivers' certificate.
func (s *Service) Client() *http.Client { return s.srv.Client() }

// URL is the webhook URL of a kind's robot on this server.
func (s *Service) URL(kind string) string {
	switch kind {
	case "wecom":
		return s.srv.URL + "/cgi-bin/webhook/send?key=" + s.token
	case "dingtalk":
		return s.srv.URL + "/robot/send?access_token=" + s.token
	case "feishu":
		return s.srv.URL + "/open-apis/bot/v2/hook/" + s.token
	}
	return s.srv.URL + "/services/T000/B000/" + s.token
}

// Posts are the texts a kind's receiver took.
func (s *Service) Posts(kind string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.accepted[kind]...)
}

// Refusals are why a kind's receiver refused posts.
func (s *Service) Refusals(kind string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused[kind]...)
}

// SetBusy answers the next n posts of a kind with its rate-limit error.
func (s *Service) SetBusy(kind string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy[kind] = n
}

// common checks what every service requires of a post and decodes its
// JSON body into v; it returns why it refuses, or "".
func (s *Service) common(r *http.Request, v any) string {
	if r.Method != http.MethodPost {
		return "method " + r.Method
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		return "content type " + r.Header.Get("Content-Type")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return "body"
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return "json: " + err.Error()
	}
	return ""
}

func (s *Service) record(kind, text, refusal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if refusal != "" {
		s.refused[kind] = append(s.refused[kind], refusal)
		return
	}
	s.accepted[kind] = append(s.accepted[kind], text)
}

func (s *Service) takeBusy(kind string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[kind] > 0 {
		s.busy[kind]--
		return true
	}
	return false
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// wecom is a WeCom group robot: {"msgtype":"markdown","markdown":{"content"}}
// with the key in the URL; 93000 for a wrong key, 45009 when too fast.
func (s *Service) wecom(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	why := s.common(r, &body)
	switch {
	case why != "":
	case r.URL.Query().Get("key") != s.token:
		answer(w, map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
		s.record("wecom", "", "key")
		return
	case body.MsgType != "markdown" || body.Markdown == nil || body.Markdown.Content == "" || len(body.Markdown.Content) > 4096:
		why = "shape"
	case s.takeBusy("wecom"):
		answer(w, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	if why != "" {
		answer(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type: " + why})
		s.record("wecom", "", why)
		return
	}
	s.record("wecom", body.Markdown.Content, "")
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// dingtalk is a DingTalk custom robot with 加签: timestamp (ms) and sign
// in the query, sign = base64(HmacSHA256(secret, timestamp+"\n"+secret));
// 310000 for a bad signature or a stale timestamp, 130101 when too fast.
func (s *Service) dingtalk(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	why := s.common(r, &body)
	q := r.URL.Query()
	if why == "" {
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		mac := hmac.New(sha256.New, []byte(s.Secret))
		fmt.Fprintf(mac, "%s\n%s", q.Get("timestamp"), s.Secret)
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		switch {
		case q.Get("access_token") != s.token:
			answer(w, map[string]any{"errcode": 300001, "errmsg": "token is not exist"})
			s.record("dingtalk", "", "token")
			return
		case err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Hour:
			answer(w, map[string]any{"errcode": 310000, "errmsg": "invalid timestamp"})
			s.record("dingtalk", "", "timestamp")
			return
		case !hmac.Equal([]byte(q.Get("sign")), []byte(want)):
			answer(w, map[string]any{"errcode": 310000, "errmsg": "sign not match"})
			s.record("dingtalk", "", "signature")
			return
		case body.MsgType != "markdown" || body.Markdown == nil || body.Markdown.Title == "" || body.Markdown.Text == "":
			why = "shape"
		case s.takeBusy("dingtalk"):
			answer(w, map[string]any{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
			return
		}
	}
	if why != "" {
		answer(w, map[string]any{"errcode": 40035, "errmsg": "缺少参数 " + why})
		s.record("dingtalk", "", why)
		return
	}
	s.record("dingtalk", body.Markdown.Text, "")
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// feishu is a Feishu custom bot with signature: timestamp (s) and sign in
// the body, sign = base64(HmacSHA256(key timestamp+"\n"+secret, "")); 19021
// for a bad signature or a stale timestamp, 11232 when too fast.
func (s *Service) feishu(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Content   *struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	why := s.common(r, &body)
	if why == "" {
		sec, err := strconv.ParseInt(body.Timestamp, 10, 64)
		mac := hmac.New(sha256.New, []byte(body.Timestamp+"\n"+s.Secret))
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		switch {
		case strings.TrimPrefix(r.URL.Path, "/open-apis/bot/v2/hook/") != s.token:
			answer(w, map[string]any{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
			s.record("feishu", "", "token")
			return
		case err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Hour || !hmac.Equal([]byte(body.Sign), []byte(want)):
			answer(w, map[string]any{"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
			s.record("feishu", "", "signature")
			return
		case body.MsgType != "text" || body.Content == nil || body.Content.Text == "":
			why = "shape"
		case s.takeBusy("feishu"):
			answer(w, map[string]any{"code": 11232, "msg": "frequency limited"})
			return
		}
	}
	if why != "" {
		answer(w, map[string]any{"code": 9499, "msg": "Bad Request: " + why})
		s.record("feishu", "", why)
		return
	}
	s.record("feishu", body.Content.Text, "")
	answer(w, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
}

// slack is a Slack incoming webhook: {"text": ...}; it answers "ok", 429
// when too fast, 403 invalid_token for a wrong URL.
func (s *Service) slack(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	why := s.common(r, &body)
	switch {
	case why != "":
	case !strings.HasSuffix(r.URL.Path, "/"+s.token):
		http.Error(w, "invalid_token", http.StatusForbidden)
		s.record("slack", "", "token")
		return
	case body.Text == "":
		why = "no_text"
	case s.takeBusy("slack"):
		w.Header().Set("Retry-After", "1")
		http.Error(w, "rate_limited", http.StatusTooManyRequests)
		return
	}
	if why != "" {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		s.record("slack", "", why)
		return
	}
	s.record("slack", body.Text, "")
	_, _ = io.WriteString(w, "ok")
}
