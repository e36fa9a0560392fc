// Package mail sends the outbox's messages by email over SMTP: it composes
// each message (text and HTML parts, the case number in the subject, a
// Message-ID derived from the notification key, threading headers, links
// to the tracking page or the console), and its Dispatcher delivers the
// queued deliveries from PostgreSQL, once each, with retries.
package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// MessageID is the Message-ID (without angle brackets) of the message
// under a notification key: the same on every attempt, so the message
// sent again after a crash is recognisably the same message.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return "cmp." + hex.EncodeToString(sum[:16]) + "@" + domain
}

// Domain is the domain of an address ("example.com" for
// "Complaints <help@example.com>").
func Domain(addr string) string {
	addr = strings.TrimRight(strings.TrimSpace(addr), ">")
	if i := strings.LastIndex(addr, "@"); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}

// Subject puts the case number first, in brackets, as mail clients and
// people sort by it: "[CMP-20261203-000001] We have received your
// complaint". The number already in a subject's brackets or parentheses
// is not repeated.
func Subject(caseNumber, subject string) string {
	if caseNumber == "" {
		return subject
	}
	tag := "[" + caseNumber + "]"
	for _, s := range []string{"（" + caseNumber + "）", " (" + caseNumber + ")", "(" + caseNumber + ")", tag + " "} {
		subject = strings.ReplaceAll(subject, s, "")
	}
	return tag + " " + strings.TrimSpace(subject)
}

// Link is a link the message ends with.
type Link struct{ Label, URL string }

// Message is one email to compose.
type Message struct {
	From, To  string
	MessageID string
	// ThreadID is the Message-ID of the case's first message to the same
	// audience; empty (or MessageID itself) for that first message.
	ThreadID   string
	CaseNumber string
	Subject    string
	// Body is the message's text, paragraphs separated by blank lines or
	// newlines; URLs in it become links in the HTML part.
	Body     string
	Language string
	Links    []Link
	Date     time.Time
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"'）)]+`)

// htmlPart is the HTML body: every value is escaped by html/template, and
// only http(s) URLs become links.
var htmlPart = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;line-height:1.5;max-width:40em">
{{range .Paragraphs}}<p>{{range .}}{{if .URL}}<a href="{{.URL}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}</p>
{{end}}{{range .Links}}<p><a href="{{.URL}}">{{.Label}}</a></p>
{{end}}</body></html>
`))

type segment struct {
	Text string
	URL  template.URL
}

func paragraphs(body string) [][]segment {
	var out [][]segment
	for _, line := range strings.Split(body, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var segs []segment
		rest := line
		for _, loc := range urlRe.FindAllStringIndex(line, -1) {
			off := len(line) - len(rest)
			segs = append(segs, segment{Text: rest[:loc[0]-off]})
			u := line[loc[0]:loc[1]]
			// Only http(s) URLs matched the pattern, so the URL is safe as
			// an href.
			segs = append(segs, segment{Text: u, URL: template.URL(u)})
			rest = line[loc[1]:]
		}
		out = append(out, append(segs, segment{Text: rest}))
	}
	return out
}

// Compose builds the email: a text part and an HTML alternative of the
// same words and links, UTF-8, quoted-printable.
func Compose(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("mail.Compose: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail.Compose: to: %w", err)
	}
	msg.Subject(Subject(m.CaseNumber, m.Subject))
	msg.SetMessageIDWithValue(m.MessageID)
	if m.ThreadID != "" && m.ThreadID != m.MessageID {
		msg.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, "<"+m.ThreadID+">")
		msg.SetGenHeaderPreformatted(gomail.HeaderReferences, "<"+m.ThreadID+">")
	}
	if !m.Date.IsZero() {
		msg.SetDateWithValue(m.Date)
	} else {
		msg.SetDate()
	}
	// Automatic messages: out-of-office replies should not answer them.
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.Language != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, m.Language)
	}
	text := strings.TrimSpace(m.Body)
	for _, l := range m.Links {
		text += "\n\n" + l.Label + ": " + l.URL
	}
	msg.SetBodyString(gomail.TypeTextPlain, text+"\n")
	lang := m.Language
	if lang == "" || strings.Contains(lang, ",") {
		lang = "zh"
	}
	var buf bytes.Buffer
	if err := htmlPart.Execute(&buf, map[string]any{"Lang": lang, "Subject": Subject(m.CaseNumber, m.Subject),
		"Paragraphs": paragraphs(m.Body), "Links": m.Links}); err != nil {
		return nil, fmt.Errorf("mail.Compose: html: %w", err)
	}
	msg.AddAlternativeString(gomail.TypeTextHTML, buf.String())
	return msg, nil
}
