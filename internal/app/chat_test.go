package app_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/chat/chattest"
	"github.com/complaint-handling/complaints/internal/store"
)

type teamChannel struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Hint   string `json:"hint"`
	Active bool   `json:"active"`
}

type fieldErrors struct {
	Errors []struct {
		Field string `json:"field"`
		Code  string `json:"code"`
	} `json:"errors"`
}

func (f fieldErrors) codes() map[string]string {
	out := map[string]string{}
	for _, e := range f.Errors {
		out[e.Field] = e.Code
	}
	return out
}

// TestTeamChannelsAPI configures chat channels as an admin: bad input is
// refused naming every field with its code (a webhook into the private
// network among them: the worker would post to whatever URL a channel
// names); only admins change channels, the team's supervisors list them,
// no one reads a URL or secret back (not even the admin), the database
// holds them sealed, and each change is in the channels' audit trail.
func TestTeamChannelsAPI(t *testing.T) {
	svc := chattest.Start(t, "SEC-api-test-secret")
	s := startStack(t, "CHAT_WEBHOOK_HOSTS", "127.0.0.1")
	admin := s.token("admin-1", "admin", "")
	sup := s.token("sup-billing", "supervisor", "billing")
	otherSup := s.token("sup-service", "supervisor", "service")
	agent := s.token("ag-billing", "agent", "billing")
	path := "/v1/teams/billing/channels"

	for _, tc := range []struct {
		name string
		body map[string]any
		want map[string]string
	}{
		{"empty", map[string]any{}, map[string]string{"kind": "required", "name": "required", "url": "required"}},
		{"unknown kind", map[string]any{"kind": "telegram", "name": "x", "url": "https://api.telegram.org/bot1/sendMessage"},
			map[string]string{"kind": "one_of"}},
		{"metadata service", map[string]any{"kind": "slack", "name": "ops", "url": "https://169.254.169.254/latest/meta-data/"},
			map[string]string{"url": "webhook_not_allowed"}},
		{"clear text", map[string]any{"kind": "wecom", "name": "ops", "url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
			map[string]string{"url": "webhook_not_allowed"}},
		{"another service's host", map[string]any{"kind": "dingtalk", "name": "ops", "url": "https://qyapi.weixin.qq.com/robot/send?access_token=t"},
			map[string]string{"url": "webhook_not_allowed"}},
		{"secret for an unsigned kind, control character in the name", map[string]any{"kind": "wecom", "name": "ops\u0007",
			"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "secret": "s"},
			map[string]string{"name": "control_character", "secret": "secret_not_used"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p fieldErrors
			if code := s.call("POST", path, admin, tc.body, &p); code != 422 {
				t.Fatalf("%d, want 422", code)
			}
			got := p.codes()
			for f, c := range tc.want {
				if got[f] != c {
					t.Errorf("field %s: code %q, want %q (all: %v)", f, got[f], c, got)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
		})
	}

	good := map[string]any{"kind": "dingtalk", "name": "账务组告警", "url": svc.URL("dingtalk"), "secret": svc.Secret}
	s.must(403, "POST", path, agent, good, nil)
	s.must(403, "POST", path, sup, good, nil)
	var ch teamChannel
	s.must(201, "POST", path, admin, good, &ch)
	if ch.Kind != "dingtalk" || !ch.Active || !strings.Contains(ch.Hint, "signed") {
		t.Errorf("created %+v", ch)
	}
	one := path + "/" + strconv.FormatInt(ch.ID, 10)
	token := strings.TrimPrefix(svc.URL("dingtalk"), strings.Split(svc.URL("dingtalk"), "access_token=")[0]+"access_token=")

	for _, who := range []struct {
		name, tok string
		want      int
	}{{"admin", admin, 200}, {"the team's supervisor", sup, 200}, {"another team's supervisor", otherSup, 403}, {"an agent", agent, 403}} {
		t.Run("list as "+who.name, func(t *testing.T) {
			var raw json.RawMessage
			if code := s.call("GET", path, who.tok, nil, &raw); code != who.want {
				t.Fatalf("%d, want %d", code, who.want)
			}
			if strings.Contains(string(raw), token) || strings.Contains(string(raw), svc.Secret) {
				t.Errorf("the list shows the webhook's token or the secret: %s", raw)
			}
		})
	}
	var sealed []byte
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT sealed FROM team_channels WHERE id = $1`, ch.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), token) || strings.Contains(string(sealed), svc.Secret) {
		t.Error("the database holds the webhook or the secret in clear")
	}

	s.must(403, "PATCH", one, sup, map[string]any{"name": "x"}, nil)
	var p fieldErrors
	if code := s.call("PATCH", one, admin, map[string]any{"kind": "slack", "url": "https://10.0.0.1/hook"}, &p); code != 422 ||
		p.codes()["kind"] != "invalid" || p.codes()["url"] != "webhook_not_allowed" {
		t.Errorf("PATCH kind and url: %d %v", code, p.codes())
	}
	s.must(200, "PATCH", one, admin, map[string]any{"name": "账务组", "active": false}, &ch)
	if ch.Name != "账务组" || ch.Active {
		t.Errorf("patched %+v", ch)
	}
	s.must(404, "PATCH", "/v1/teams/service/channels/"+strconv.FormatInt(ch.ID, 10), admin, map[string]any{"name": "x"}, nil)
	s.must(404, "DELETE", "/v1/teams/service/channels/"+strconv.FormatInt(ch.ID, 10), admin, nil, nil)
	s.must(204, "DELETE", one, admin, nil, nil)
	s.must(404, "DELETE", one, admin, nil, nil)
	var list struct {
		Channels []teamChannel `json:"channels"`
		Changes  []struct {
			ChannelID int64    `json:"channel_id"`
			Action    string   `json:"action"`
			Actor     string   `json:"actor"`
			Fields    []string `json:"fields"`
		} `json:"changes"`
	}
	s.must(200, "GET", path, admin, nil, &list)
	if len(list.Channels) != 0 {
		t.Errorf("a deleted channel is listed: %+v", list.Channels)
	}
	var trail []string
	for _, c := range list.Changes {
		trail = append(trail, c.Action+":"+c.Actor+":"+strings.Join(c.Fields, "+"))
	}
	if got := strings.Join(trail, " "); got != "created:admin-1:kind+name+secret+active changed:admin-1:name+active deleted:admin-1:" {
		t.Errorf("audit trail %q", got)
	}
	s.must(404, "GET", "/v1/teams/nosuchteam/channels", admin, nil, nil)
}

// TestChatAlertThroughTheStack configures a WeCom, a DingTalk, a Feishu
// and a Slack channel for a case's team through the API, then assigns the
// case: the assignment reaches each receiver, which checks its protocol
// and signature, with the case number and the console's link; the case
// view shows the chat deliveries sent.
func TestChatAlertThroughTheStack(t *testing.T) {
	svc := chattest.Start(t, "SEC-stack-secret")
	s := startStackOpts(t, shortClocks(), app.Options{ChatClient: svc.Client()},
		"CHAT_WEBHOOK_HOSTS", "127.0.0.1", "CHAT_POLL", "100ms", "PUBLIC_BASE_URL", "https://complaints.example.com")
	id := s.file("cust-chat", "ORD-CHAT-1", nil)
	var view struct {
		CaseNumber string  `json:"case_number"`
		Team       *string `json:"team"`
	}
	admin := s.token("admin-1", "admin", "")
	s.must(200, "GET", "/v1/complaints/"+id, admin, nil, &view)
	if view.Team == nil {
		t.Fatal("the case has no team")
	}
	team := *view.Team
	kinds := []string{"wecom", "dingtalk", "feishu", "slack"}
	for _, k := range kinds {
		body := map[string]any{"kind": k, "name": k, "url": svc.URL(k)}
		if k == "dingtalk" || k == "feishu" {
			body["secret"] = svc.Secret
		}
		s.must(201, "POST", "/v1/teams/"+team+"/channels", admin, body, nil)
	}
	s.must(200, "GET", "/v1/me", s.token("ag-chat", "agent", team), nil, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/assign", s.token("sup-chat", "supervisor", team), map[string]any{"assignee": "ag-chat"}, nil)
	for _, k := range kinds {
		eventually(t, k+" post", func() bool { return len(svc.Posts(k)) > 0 })
		post := svc.Posts(k)[0]
		for _, want := range []string{view.CaseNumber, "https://complaints.example.com/console/cases/" + id} {
			if !strings.Contains(post, want) {
				t.Errorf("%s post lacks %q: %s", k, want, post)
			}
		}
		if r := svc.Refusals(k); len(r) != 0 {
			t.Errorf("%s refused %v", k, r)
		}
	}
	eventually(t, "chat deliveries sent", func() bool {
		var cv struct {
			Messages []caseMessage `json:"messages"`
		}
		s.must(200, "GET", "/v1/complaints/"+id, admin, nil, &cv)
		sent := 0
		for _, m := range cv.Messages {
			for _, d := range m.Deliveries {
				if d.Channel == "chat" && d.Status == "sent" {
					sent++
				}
			}
		}
		return sent >= len(kinds)
	})
}

type myNotifications struct {
	Unread        int    `json:"unread"`
	NextBefore    string `json:"next_before"`
	Notifications []struct {
		ID     int64  `json:"id"`
		CaseID string `json:"case_id"`
		Kind   string `json:"kind"`
		Link   string `json:"link"`
		Read   bool   `json:"read"`
	} `json:"notifications"`
}

// TestMyNotificationsAreOwn lists a staff member's notifications (newest
// first, the unread count, the case's link, pages) and marks them read;
// another member neither sees them nor marks them (404, as for one that
// does not exist), and the owner's unread count is unchanged by the try.
func TestMyNotificationsAreOwn(t *testing.T) {
	s := startStack(t)
	a, b := s.token("ag-ann", "agent", "billing"), s.token("ag-bob", "agent", "billing")
	sup := s.token("sup-1", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", a, nil, nil)
	s.must(200, "GET", "/v1/me", b, nil, nil)
	first := s.file("cust-me-1", "ORD-ME-1", nil)
	second := s.file("cust-me-2", "ORD-ME-2", nil)
	for _, id := range []string{first, second} {
		s.must(200, "POST", "/v1/complaints/"+id+"/assign", sup, map[string]any{"assignee": "ag-ann"}, nil)
	}
	var mine myNotifications
	eventually(t, "ann's assignments", func() bool {
		s.must(200, "GET", "/v1/me/notifications", a, nil, &mine)
		n := 0
		for _, x := range mine.Notifications {
			if x.Kind == "assigned" && (x.CaseID == first || x.CaseID == second) {
				n++
			}
		}
		return n >= 2
	})
	for i := 1; i < len(mine.Notifications); i++ {
		if mine.Notifications[i].ID > mine.Notifications[i-1].ID {
			t.Fatal("not newest first")
		}
	}
	target := mine.Notifications[0]
	if target.Link != "/console/cases/"+target.CaseID || target.Read {
		t.Errorf("newest %+v", target)
	}
	unread := mine.Unread
	if unread < 2 {
		t.Fatalf("unread %d", unread)
	}

	var bobs myNotifications
	s.must(200, "GET", "/v1/me/notifications?limit=100", b, nil, &bobs)
	for _, x := range bobs.Notifications {
		if x.ID == target.ID {
			t.Fatal("bob's list shows ann's notification")
		}
	}
	read := "/v1/me/notifications/" + strconv.FormatInt(target.ID, 10) + "/read"
	s.must(404, "POST", read, b, nil, nil)
	s.must(404, "POST", "/v1/me/notifications/99999999/read", a, nil, nil)
	s.must(200, "GET", "/v1/me/notifications", a, nil, &mine)
	if mine.Unread != unread || mine.Notifications[0].Read {
		t.Fatalf("bob's try changed ann's state: unread %d (was %d)", mine.Unread, unread)
	}

	s.must(204, "POST", read, a, nil, nil)
	s.must(204, "POST", read, a, nil, nil)
	s.must(200, "GET", "/v1/me/notifications", a, nil, &mine)
	if mine.Unread != unread-1 || !mine.Notifications[0].Read {
		t.Errorf("after reading one: unread %d (was %d), newest read %v", mine.Unread, unread, mine.Notifications[0].Read)
	}

	var page myNotifications
	s.must(200, "GET", "/v1/me/notifications?limit=1", a, nil, &page)
	if len(page.Notifications) != 1 || page.NextBefore == "" {
		t.Fatalf("first page %+v", page)
	}
	var next myNotifications
	s.must(200, "GET", "/v1/me/notifications?limit=1&before="+page.NextBefore, a, nil, &next)
	if len(next.Notifications) != 1 || next.Notifications[0].ID >= page.Notifications[0].ID {
		t.Errorf("second page %+v after %+v", next, page)
	}
	var p fieldErrors
	if code := s.call("GET", "/v1/me/notifications?limit=0&before=x", a, nil, &p); code != 422 ||
		p.codes()["limit"] != "out_of_range" || p.codes()["before"] != "invalid_cursor" {
		t.Errorf("bad page: %d %v", code, p.codes())
	}

	var marked struct{ Marked int }
	s.must(200, "POST", "/v1/me/notifications/read-all", a, nil, &marked)
	s.must(200, "GET", "/v1/me/notifications", a, nil, &mine)
	if marked.Marked != unread-1 || mine.Unread != 0 {
		t.Errorf("read-all marked %d (want %d), unread now %d", marked.Marked, unread-1, mine.Unread)
	}
	s.must(200, "GET", "/v1/me/notifications", b, nil, &bobs)
	if bobs.Unread == 0 && len(bobs.Notifications) > 0 {
		t.Error("ann's read-all marked bob's")
	}
}

// TestRoleNotificationsPerMember: a message to a team's supervisors
// (role:supervisor@billing) is in the list of each of them, not in an
// agent's of that team nor in another team's supervisor's; one
// supervisor reading it leaves it unread for the other.
func TestRoleNotificationsPerMember(t *testing.T) {
	s := startStack(t)
	sup1, sup2 := s.token("sup-one", "supervisor", "billing"), s.token("sup-two", "supervisor", "billing")
	agent, other := s.token("ag-role", "agent", "billing"), s.token("sup-other", "supervisor", "service")
	for _, tok := range []string{sup1, sup2, agent, other} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	id := s.file("cust-role", "ORD-ROLE-1", nil)
	key := id + ":approval-needed-test"
	if err := s.app.Store.QueueNotifications(context.Background(), []store.Notification{{CaseID: id, Key: key, Audience: "staff",
		Recipient: "role:supervisor@billing", Kind: "approval_requested", Language: "zh,en", Subject: "待审批 / Approval needed", Body: "…"}}); err != nil {
		t.Fatal(err)
	}
	find := func(tok string) (myNotifications, int64) {
		var l myNotifications
		s.must(200, "GET", "/v1/me/notifications?limit=100", tok, nil, &l)
		for _, n := range l.Notifications {
			if n.Kind == "approval_requested" && n.CaseID == id {
				return l, n.ID
			}
		}
		return l, 0
	}
	_, n1 := find(sup1)
	l2, n2 := find(sup2)
	if n1 == 0 || n1 != n2 {
		t.Fatalf("the team's supervisors see %d and %d", n1, n2)
	}
	for name, tok := range map[string]string{"the team's agent": agent, "another team's supervisor": other} {
		if _, n := find(tok); n != 0 {
			t.Errorf("%s sees the supervisors' message", name)
		}
		s.must(404, "POST", "/v1/me/notifications/"+strconv.FormatInt(n1, 10)+"/read", tok, nil, nil)
	}
	s.must(204, "POST", "/v1/me/notifications/"+strconv.FormatInt(n1, 10)+"/read", sup1, nil, nil)
	after, _ := find(sup2)
	if after.Unread != l2.Unread {
		t.Errorf("one supervisor's read changed the other's unread count: %d, was %d", after.Unread, l2.Unread)
	}
}
