// Package chat posts staff notifications to the chat bots operations
// teams work in: WeCom (企业微信) group robots, DingTalk (钉钉) custom
// robots with their signing secret, Feishu/Lark (飞书) custom bots with
// their signature, and Slack incoming webhooks. An admin configures a
// team's channels; each one's webhook URL and secret are sealed before they
// are stored. The Dispatcher posts the queued chat deliveries with the
// email dispatcher's lease rules: an attempt is recorded before it is
// posted, so a retried activity or a dead worker never posts twice within
// them.
package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/store"
)

// Secret is what a channel's bot is reached with: its webhook URL (which
// holds the robot's key or token) and, for DingTalk and Feishu, the signing
// secret.
type Secret struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// Sealer encrypts channel secrets for the database with the payload codec
// (AES-256-GCM under PAYLOAD_KEYS, the key id kept with the ciphertext),
// so rotating the payload keys rotates these too and the database alone
// reveals no webhook. internal/envelope signs decisions only; it has no
// encryption to reuse.
type Sealer struct{ Codec *codec.Codec }

// Seal encrypts s.
func (sl Sealer) Seal(s Secret) ([]byte, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("chat.Seal: %w", err)
	}
	ps, err := sl.Codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{codec.MetadataEncoding: []byte("json/plain")}, Data: plain}})
	if err != nil {
		return nil, fmt.Errorf("chat.Seal: %w", err)
	}
	b, err := proto.Marshal(ps[0])
	if err != nil {
		return nil, fmt.Errorf("chat.Seal: %w", err)
	}
	return b, nil
}

// Open decrypts what Seal produced.
func (sl Sealer) Open(b []byte) (Secret, error) {
	var p commonpb.Payload
	if err := proto.Unmarshal(b, &p); err != nil {
		return Secret{}, fmt.Errorf("chat.Open: %w", err)
	}
	ps, err := sl.Codec.Decode([]*commonpb.Payload{&p})
	if err != nil {
		return Secret{}, fmt.Errorf("chat.Open: %w", err)
	}
	var s Secret
	if err := json.Unmarshal(ps[0].Data, &s); err != nil {
		return Secret{}, fmt.Errorf("chat.Open: %w", err)
	}
	return s, nil
}

// Hint is the masked form of a channel's URL staff may see: the host and
// the last four characters, enough to tell two channels apart, never
// enough to post to one.
func Hint(s Secret) string {
	u, err := url.Parse(s.URL)
	host := "?"
	if err == nil {
		host = u.Host
	}
	tail := s.URL
	if len(tail) > 4 {
		tail = tail[len(tail)-4:]
	}
	h := host + "/…" + tail
	if s.Secret != "" {
		h += " (signed)"
	}
	return h
}

// Hosts are the webhook hosts each kind's service posts from. A channel's
// URL must be https on one of its kind's hosts (or one of the extra hosts
// CHAT_WEBHOOK_HOSTS allows), so that a channel cannot make the worker
// post into the private network (a metadata service, the database).
var Hosts = map[string][]string{
	store.ChatWeCom:    {"qyapi.weixin.qq.com"},
	store.ChatDingTalk: {"oapi.dingtalk.com"},
	store.ChatFeishu:   {"open.feishu.cn", "open.larksuite.com"},
	store.ChatSlack:    {"hooks.slack.com"},
}

// ErrURL is wrapped by CheckURL's errors.
var ErrURL = errors.New("chat: webhook URL refused")

// CheckURL reports whether raw is a webhook URL a channel of kind may
// post to: https, no user info, and a host of the kind's service or of
// extra.
func CheckURL(kind, raw string, extra []string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Host == "" || len(raw) > 2000 {
		return fmt.Errorf("%w: must be an https URL", ErrURL)
	}
	host := strings.ToLower(u.Hostname())
	if slices.Contains(Hosts[kind], host) {
		return nil
	}
	for _, h := range extra {
		if h == host || h == net.JoinHostPort(host, u.Port()) {
			return nil
		}
	}
	return fmt.Errorf("%w: the host must be one of %s", ErrURL, strings.Join(Hosts[kind], ", "))
}
