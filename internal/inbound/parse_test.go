package inbound

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestParseFixtures parses the mails in testdata: Chinese bodies in GBK,
// GB18030 and Big5 with RFC 2047 subjects and names in their charsets,
// HTML-only mail as text with its line breaks and without its script,
// quoted replies trimmed (Chinese and Outlook markers, ">" lines), the
// auto-reply and the bounce recognised, the bounced Message-ID read from
// the returned headers, and an attachment kept with its name, type and
// bytes.
func TestParseFixtures(t *testing.T) {
	for _, tc := range []struct {
		file                      string
		from, name, subject, id   string
		contains, newIs, excludes []string
		htmlOnly                  bool
		auto                      bool
		bounced, refs             []string
		attachments               int
	}{
		{file: "plain_en.eml", from: "ann@example.com", name: "Ann Smith", subject: "Charged twice for order 4471", id: "new-1@mail.example.com",
			contains: []string{"charged twice for my order 4471", "\nPlease refund"}},
		{file: "gbk_reply.eml", from: "zhang.wei@example.cn", name: "张伟", subject: "回复：[CMP-20261201-000042] 我们已收到您的投诉",
			id: "gbk-1@mail.example.cn", contains: []string{"我的退款到现在还没有到账", "在 2026年12月1日 10:00，客服中心 写道："},
			newIs: []string{"您好，\n\n我的退款到现在还没有到账，已经等了两个星期了。\n请尽快处理。\n\n张伟"}},
		{file: "gb18030.eml", from: "wang@example.cn", subject: "质量问题", contains: []string{"这是GB18030编码的投诉：产品质量问题。"}},
		{file: "big5.eml", from: "chen@example.tw", subject: "包裹延誤", contains: []string{"我的包裹延誤了十天，請儘快處理。"}},
		{file: "html_only.eml", from: "li.na@example.com", name: "Li Na", subject: "Broken kettle – order 88", htmlOnly: true,
			contains: []string{"stopped working", "First line\nSecond line", "replacement & an apology"},
			excludes: []string{"<", "alert(1)", "color: red"}},
		{file: "auto_reply.eml", from: "ann@example.com", auto: true},
		{file: "dsn.eml", auto: true, bounced: []string{"cmp.0123456789abcdef@complaints.example"}},
		{file: "attachment.eml", from: "ann@example.com", attachments: 1, newIs: []string{"Here is the photo."},
			refs: []string{"cmp.0123456789abcdef@complaints.example", "cmp.first@complaints.example", "cmp.0123456789abcdef@complaints.example"}},
		{file: "outlook_zh.eml", from: "liu@example.cn", name: "刘洋", subject: "答复: 维修进度", newIs: []string{"师傅今天上门修好了，谢谢。"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Parse(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tc.from != "" && m.From != tc.from {
				t.Errorf("From = %q, want %q", m.From, tc.from)
			}
			if tc.name != "" && m.FromName != tc.name {
				t.Errorf("FromName = %q, want %q", m.FromName, tc.name)
			}
			if tc.subject != "" && m.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tc.subject)
			}
			if tc.id != "" && m.MessageID != tc.id {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tc.id)
			}
			for _, s := range tc.contains {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tc.excludes {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text has %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tc.newIs {
				if m.NewText != s {
					t.Errorf("NewText = %q, want %q", m.NewText, s)
				}
			}
			if m.HTMLOnly != tc.htmlOnly {
				t.Errorf("HTMLOnly = %v, want %v", m.HTMLOnly, tc.htmlOnly)
			}
			if (m.Auto != "") != tc.auto {
				t.Errorf("Auto = %q, want automatic %v", m.Auto, tc.auto)
			}
			if !slices.Equal(m.Bounced, tc.bounced) {
				t.Errorf("Bounced = %q, want %q", m.Bounced, tc.bounced)
			}
			if tc.refs != nil && !slices.Equal(append(m.InReplyTo, m.References...), tc.refs) {
				t.Errorf("InReplyTo+References = %q, want %q", append(m.InReplyTo, m.References...), tc.refs)
			}
			if len(m.Attachments) != tc.attachments {
				t.Fatalf("%d attachments, want %d", len(m.Attachments), tc.attachments)
			}
			if tc.attachments > 0 {
				a := m.Attachments[0]
				if a.Filename != "damage.png" || a.ContentType != "image/png" || !strings.HasPrefix(string(a.Content), "\x89PNG") {
					t.Errorf("attachment = %q %q %q", a.Filename, a.ContentType, a.Content[:min(8, len(a.Content))])
				}
			}
		})
	}
}

// TestTrimQuoted trims the quoted earlier messages of replies written by
// common clients, and keeps a text that is all quotation.
func TestTrimQuoted(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"gmail", "Thanks, still broken.\n\nOn Tue, 1 Dec 2026 at 10:00, Complaints <help@x.example> wrote:\n> We are sorry.", "Thanks, still broken."},
		{"gmail wrapped", "Still broken.\nOn Tue, 1 Dec 2026 at 10:00, Complaints\n<help@x.example> wrote:\n> We are sorry.", "Still broken."},
		{"chinese", "还没修好。\n在 2026年12月1日 10:00，客服 写道：\n> 已安排", "还没修好。"},
		{"chinese colon", "还没修好。\n在2026-12-01 10:00, 客服<help@x.example>写道:\n已安排", "还没修好。"},
		{"qq", "好的\n------------------ 原始邮件 ------------------\n发件人: 客服", "好的"},
		{"netease", "收到\n-----原始邮件-----\n发件人:客服", "收到"},
		{"outlook", "OK\n-----Original Message-----\nFrom: x", "OK"},
		{"interleaved", "> earlier\nmy answer\n> more", "my answer"},
		{"all quoted", "> only a quote", "> only a quote"},
		{"no quote", "line one\nline two", "line one\nline two"},
		{"from line in text", "From: my own note\nthe rest", "From: my own note\nthe rest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := TrimQuoted(tc.in); got != tc.want {
				t.Errorf("TrimQuoted(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestDedupeKey keys a mail by its Message-ID, or by its bytes' digest
// when it has none.
func TestDedupeKey(t *testing.T) {
	id, key := DedupeKey(readFixture(t, "plain_en.eml"))
	if id != "new-1@mail.example.com" || key != "mid:new-1@mail.example.com" {
		t.Errorf("DedupeKey = %q, %q", id, key)
	}
	raw := []byte("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n")
	id, key = DedupeKey(raw)
	if _, k2 := DedupeKey(raw); id != "" || !strings.HasPrefix(key, "sha256:") || k2 != key {
		t.Errorf("DedupeKey without Message-ID = %q, %q", id, key)
	}
	if _, k3 := DedupeKey(append(raw, 'x')); k3 == key {
		t.Error("two different mails without Message-ID share a key")
	}
}
