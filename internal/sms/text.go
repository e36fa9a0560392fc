// Package sms sends customers' messages as short texts over SMPP 3.4
// (github.com/linxGnu/gosmpp): the texts, their segmentation, the SMPP
// channel the mail.Dispatcher delivers through, the delivery receipts
// that set a delivery's final status, and the notifier that queues SMS
// deliveries. smsctest is a real SMPP peer (an SMS centre) for tests.
package sms

import (
	"regexp"
	"strings"
	"unicode/utf16"
)

// texts are the short texts, by kind and language: {n} is the case
// number, {url} the tracking link (the survey link for a survey). They are
// written to fit one segment or two with the link (GSM-7 in English, UCS-2
// in Chinese); the link is what makes them longer.
var texts = map[string][2]string{
	"acknowledgement": {"您的投诉已受理，编号 {n}。查看进度：{url}", "Your complaint {n} is registered. Follow it: {url}"},
	"resolution":      {"投诉 {n} 的处理方案已出，请查看并答复：{url}", "Complaint {n}: our proposal is ready. Please review and answer: {url}"},
	"info_request":    {"投诉 {n} 需要您补充信息，请在此答复：{url}", "Complaint {n}: we need more information from you. Answer here: {url}"},
	"closed":          {"投诉 {n} 已结案，感谢您的耐心。详情：{url}", "Complaint {n} is closed. Thank you for your patience. Details: {url}"},
	"survey":          {"投诉 {n} 已结案，请花一分钟评价我们的处理：{url}", "Complaint {n}: please take a minute to rate how we handled it: {url}"},
	"survey_reminder": {"提醒：请评价投诉 {n} 的处理：{url}", "Reminder: please rate how we handled complaint {n}: {url}"},
	"tracking_link":   {"您的投诉 {n} 进度链接：{url}", "The link to follow your complaint {n}: {url}"},
}

// other is the text of any other customer message (one that reaches SMS
// only as the fallback of a failed email): a pointer to the tracking page.
var other = [2]string{"投诉 {n} 有新消息，请查看：{url}", "Complaint {n}: there is a new message for you: {url}"}

// Kinds reports whether a customer message of kind is sent by SMS when the
// customer chose SMS: the messages that matter; the others stay on the
// tracking page (and go by SMS only as a failed email's fallback).
func Kinds(kind string) bool {
	_, ok := texts[kind]
	// The tracking link sent again goes where the customer asked for it
	// (email, today); its text serves a failed email's fallback.
	return ok && kind != "tracking_link"
}

// Text is the short text of a customer message in language (zh, or en
// for anything else).
func Text(kind, language, caseNumber, url string) string {
	t, ok := texts[kind]
	if !ok {
		t = other
	}
	s := t[1]
	if language == "zh" {
		s = t[0]
	}
	return strings.NewReplacer("{n}", caseNumber, "{url}", url).Replace(s)
}

var surveyURL = regexp.MustCompile(`https?://[^\s]+/survey/[^\s]+`)

// SurveyURL finds the survey link in a survey message's body, "" when it
// has none.
func SurveyURL(body string) string { return surveyURL.FindString(body) }

// Segment limits (3GPP TS 23.038/23.040): a single GSM-7 message holds 160
// septets, a part of a concatenated one 153 (the 6-octet UDH takes 7
// septets); UCS-2 holds 70 UTF-16 units, 67 a part.
const (
	GSMSingle, GSMPart   = 160, 153
	UCS2Single, UCS2Part = 70, 67
)

// gsmBasic is the GSM 03.38 default alphabet; gsmExtension the characters
// of its extension table, each sent as an escape and a septet (two).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// septets is how many GSM-7 septets r takes: 1, 2 (extension), or 0 when
// it is not in the GSM-7 alphabet.
func septets(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

// GSM7 reports whether text can be sent in the GSM-7 alphabet.
func GSM7(text string) bool {
	for _, r := range text {
		if septets(r) == 0 {
			return false
		}
	}
	return true
}

// Split cuts text into the parts it is sent as: one when it fits a single
// message, otherwise parts of at most 153 septets (GSM-7) or 67 UTF-16
// units (UCS-2), never cutting an escape pair or a surrogate pair. ucs2
// tells which alphabet it needs.
func Split(text string) (parts []string, ucs2 bool) {
	ucs2 = !GSM7(text)
	size := func(r rune) int { return septets(r) }
	single, part := GSMSingle, GSMPart
	if ucs2 {
		size = func(r rune) int { return len(utf16.Encode([]rune{r})) }
		single, part = UCS2Single, UCS2Part
	}
	total := 0
	for _, r := range text {
		total += size(r)
	}
	if total <= single {
		return []string{text}, ucs2
	}
	var b strings.Builder
	n := 0
	for _, r := range text {
		if n+size(r) > part {
			parts = append(parts, b.String())
			b.Reset()
			n = 0
		}
		b.WriteRune(r)
		n += size(r)
	}
	return append(parts, b.String()), ucs2
}

// Segments is how many messages text is sent as.
func Segments(text string) int {
	p, _ := Split(text)
	return len(p)
}
