// Package inbound receives email from the organisation's MTA: a listener
// that speaks SMTP or LMTP (go-smtp) and accepts a mail only once its raw
// copy is in PostgreSQL, a parser (enmime, with GB2312/GBK/GB18030 and Big5
// bodies and RFC 2047 words), and a processor that routes each recorded
// mail: a new complaint opens a case through the API's intake, a reply from
// the case's customer lands on its case (answering an information request,
// or as a repeat contact), auto-replies are ignored and delivery status
// notifications mark our delivery bounced.
package inbound

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// Message is a parsed email.
type Message struct {
	// MessageID, InReplyTo and References are Message-IDs without angle
	// brackets.
	MessageID  string
	InReplyTo  []string
	References []string
	// From is the author's address (lower-cased domain), FromName the
	// display name, decoded.
	From, FromName string
	// Subject is decoded (RFC 2047, any charset).
	Subject string
	// Text is the whole body as text (HTML-only mail converted, line breaks
	// kept); NewText is Text without the quoted earlier messages a reply
	// carries.
	Text, NewText string
	// HTMLOnly: the mail had no text part; Text comes from its HTML.
	HTMLOnly bool
	// Auto names why the mail is machine-generated ("" for a person's):
	// an auto-reply, a list, a bounce.
	Auto string
	// Bounced are the Message-IDs a delivery status notification reports
	// as undeliverable (the original message's, from its returned
	// headers).
	Bounced []string
	// Attachments are the files the mail carries.
	Attachments []Attachment
}

// Attachment is a file a mail carries.
type Attachment struct {
	Filename, ContentType string
	Content               []byte
}

// Parse reads a raw email.
func Parse(raw []byte) (Message, error) {
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("inbound.Parse: %w", err)
	}
	m := Message{
		MessageID:  firstID(env.GetHeader("Message-ID")),
		InReplyTo:  messageIDs(env.GetHeader("In-Reply-To")),
		References: messageIDs(env.GetHeader("References")),
		Subject:    strings.TrimSpace(env.GetHeader("Subject")),
		Text:       normaliseText(env.Text),
	}
	if from, err := env.AddressList("From"); err == nil && len(from) > 0 {
		m.From, m.FromName = canonicalAddress(from[0].Address), strings.TrimSpace(from[0].Name)
	}
	m.HTMLOnly = strings.TrimSpace(env.HTML) != "" && !hasTextPart(env.Root)
	m.NewText = TrimQuoted(m.Text)
	for _, p := range append(append([]*enmime.Part{}, env.Attachments...), env.Inlines...) {
		if p.FileName == "" && strings.HasPrefix(p.ContentType, "text/") {
			continue
		}
		m.Attachments = append(m.Attachments, Attachment{Filename: p.FileName, ContentType: p.ContentType, Content: p.Content})
	}
	m.Auto, m.Bounced = automatic(env)
	return m, nil
}

// hasTextPart reports whether a mail has a text/plain part that is not an
// attachment (a body written as text).
func hasTextPart(root *enmime.Part) bool {
	if root == nil {
		return false
	}
	if root.FirstChild == nil {
		return root.ContentType == "text/plain" || root.ContentType == ""
	}
	return root.DepthMatchFirst(func(p *enmime.Part) bool {
		return p.ContentType == "text/plain" && p.Disposition != "attachment"
	}) != nil
}

// automatic says why a mail is machine-generated, by the headers RFC 3834
// and the common autoresponders set and by its being a delivery report,
// and returns the Message-IDs a delivery status notification reports.
func automatic(env *enmime.Envelope) (string, []string) {
	if env.Root != nil && env.Root.ContentType == "multipart/report" {
		_, params, _ := mime.ParseMediaType(env.Root.Header.Get("Content-Type"))
		rt := strings.ToLower(params["report-type"])
		if rt == "delivery-status" || rt == "global-delivery-status" {
			return "delivery status notification", returnedIDs(env.Root)
		}
		return "report " + rt, nil
	}
	if v := strings.ToLower(strings.TrimSpace(env.GetHeader("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v, nil
	}
	switch strings.ToLower(strings.TrimSpace(env.GetHeader("Precedence"))) {
	case "bulk", "junk", "list":
		return "Precedence: " + env.GetHeader("Precedence"), nil
	}
	for _, h := range []string{"X-Autoreply", "X-Autorespond"} {
		if v := strings.TrimSpace(env.GetHeader(h)); v != "" {
			return h, nil
		}
	}
	if env.GetHeader("List-Id") != "" || env.GetHeader("List-Unsubscribe") != "" {
		return "mailing list", nil
	}
	if from, err := env.AddressList("From"); err == nil && len(from) > 0 {
		local, _, _ := strings.Cut(strings.ToLower(from[0].Address), "@")
		if local == "mailer-daemon" || local == "postmaster" {
			return "From: " + local, nil
		}
	}
	return "", nil
}

// returnedIDs are the Message-IDs of the original messages a delivery
// report returns (as message/rfc822 or text/rfc822-headers).
func returnedIDs(root *enmime.Part) []string {
	var ids []string
	for _, p := range root.DepthMatchAll(func(p *enmime.Part) bool {
		return p.ContentType == "message/rfc822" || p.ContentType == "text/rfc822-headers" ||
			p.ContentType == "message/global" || p.ContentType == "message/global-headers"
	}) {
		h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(p.Content, "\r\n\r\n"...)))).ReadMIMEHeader()
		if err != nil && len(h) == 0 {
			continue
		}
		if id := firstID(h.Get("Message-Id")); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

var idPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// messageIDs are the Message-IDs in a header value (In-Reply-To,
// References), without angle brackets, in order.
func messageIDs(v string) []string {
	var out []string
	for _, m := range idPattern.FindAllStringSubmatch(v, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		// Some clients send a bare id.
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") {
			out = append(out, f[0])
		}
	}
	return out
}

// firstID is the first Message-ID of a header value, or "".
func firstID(v string) string {
	if ids := messageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// canonicalAddress is an address with its domain lower-cased (the local
// part is the receiving provider's to interpret, and is kept).
func canonicalAddress(a string) string {
	a = strings.TrimSpace(a)
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		return a[:at] + "@" + strings.ToLower(a[at+1:])
	}
	return a
}

// SameAddress reports whether two addresses name the same mailbox: equal
// ignoring case (providers treat local parts case-insensitively, as the
// customer ids derived from addresses do).
func SameAddress(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if p, err := mail.ParseAddress(a); err == nil {
		a = p.Address
	}
	if p, err := mail.ParseAddress(b); err == nil {
		b = p.Address
	}
	return a != "" && strings.EqualFold(a, b)
}

// normaliseText makes a body's line ends \n, drops other control
// characters and the trailing blank lines.
func normaliseText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r >= 0x20 && r != 0x7f && r != '\uFEFF' {
			return r
		}
		return -1
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\u00a0")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
