package inbound

import (
	"regexp"
	"strings"
)

// Quote markers: the line a mail client writes above the message it
// quotes. Everything from the first one on is the earlier conversation.
var (
	// "-----Original Message-----", "-----原始邮件-----", QQ Mail's
	// "------------------ 原始邮件 ------------------", "转发的邮件".
	separatorLine = regexp.MustCompile(`^\s*-{2,}\s*(原始邮件|Original Message|Forwarded message|转发的邮件|回复的邮件)\s*-{2,}\s*$`)
	// "On Tue, 1 Dec 2026 at 10:00, Ann <ann@example.com> wrote:", which
	// some clients wrap over two lines; "在 2026年12月1日 10:00，张三 写道：".
	wroteLine   = regexp.MustCompile(`(?i)^\s*on\s.*\bwrote:\s*$`)
	wroteZhLine = regexp.MustCompile(`^\s*在.*写道[：:]\s*$`)
	onStart     = regexp.MustCompile(`(?i)^\s*on\s`)
	wroteEnd    = regexp.MustCompile(`(?i)\bwrote:\s*$`)
	// An Outlook or Foxmail header block: "From:"/"发件人：" followed
	// within a few lines by "Sent:"/"Date:"/"发送时间："/"日期：".
	fromLine = regexp.MustCompile(`(?i)^\s*(from|发件人)\s*[:：]`)
	dateLine = regexp.MustCompile(`(?i)^\s*(sent|date|发送时间|日期|时间)\s*[:：]`)
)

// TrimQuoted returns a reply's own text: what comes before the first
// quote marker ("On … wrote:", "在 … 写道：", "-----原始邮件-----", an
// Outlook header block), without lines quoted with ">". A text that is all
// quotation is returned whole (a forwarded complaint is still a
// complaint).
func TrimQuoted(text string) string {
	lines := strings.Split(text, "\n")
	var out []string
scan:
	for i, l := range lines {
		switch {
		case separatorLine.MatchString(l), wroteLine.MatchString(l), wroteZhLine.MatchString(l):
			break scan
		case onStart.MatchString(l) && i+1 < len(lines) && wroteEnd.MatchString(lines[i+1]):
			break scan
		case fromLine.MatchString(l) && headerBlockFollows(lines[i+1:]):
			break scan
		case strings.HasPrefix(strings.TrimLeft(l, " "), ">"):
			continue
		}
		out = append(out, l)
	}
	own := strings.TrimSpace(strings.Join(out, "\n"))
	if own == "" {
		return strings.TrimSpace(text)
	}
	return own
}

// headerBlockFollows reports whether a date line comes within the next
// three lines (the rest of a quoted message's header block).
func headerBlockFollows(lines []string) bool {
	for i := 0; i < len(lines) && i < 3; i++ {
		if dateLine.MatchString(lines[i]) {
			return true
		}
	}
	return false
}
