package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/workflows"
)

// Notifier delivers a notification already written to the outbox. Send
// must tolerate being called twice for the same notification (its Key is
// stable): a retried activity calls it again.
type Notifier interface {
	Send(ctx context.Context, n store.Notification) error
}

// OutboxNotifier is the default: the outbox row is the delivery (the
// tracking page shows customer messages from it); it marks the row sent
// and logs the event without any personal data.
type OutboxNotifier struct {
	Store  *store.Store
	Logger *slog.Logger
}

// Send marks the notification sent and logs it.
func (o OutboxNotifier) Send(ctx context.Context, n store.Notification) error {
	if err := o.Store.MarkNotification(ctx, n.Key, "sent"); err != nil {
		return err
	}
	if o.Logger != nil {
		o.Logger.Info("notification", "case_id", n.CaseID, "kind", n.Kind, "audience", n.Audience, "language", n.Language)
	}
	return nil
}

// WebhookNotifier posts each notification as JSON to a URL, with the
// notification key as Idempotency-Key so the receiver can drop repeats,
// then marks it sent through Next.
type WebhookNotifier struct {
	URL    string
	Client *http.Client
	Next   OutboxNotifier
}

// Send posts the notification.
func (wh WebhookNotifier) Send(ctx context.Context, n store.Notification) error {
	body, err := json.Marshal(map[string]string{"case_id": n.CaseID, "key": n.Key, "audience": n.Audience,
		"recipient": n.Recipient, "kind": n.Kind, "language": n.Language, "subject": n.Subject, "body": n.Body})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.Key)
	client := wh.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		_ = wh.Next.Store.MarkNotification(ctx, n.Key, "failed")
		return fmt.Errorf("webhook: POST: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		_ = wh.Next.Store.MarkNotification(ctx, n.Key, "failed")
		return fmt.Errorf("webhook: POST: status %d", resp.StatusCode)
	}
	return wh.Next.Send(ctx, n)
}

// template is one message kind in Chinese and English; {name} marks a
// parameter.
type template struct{ subjectZh, bodyZh, subjectEn, bodyEn string }

var templates = map[string]template{
	"acknowledgement": {"您的投诉已受理（{case_number}）", "您好，您的投诉已受理，编号 {case_number}，由 {handler} 负责处理，预计在 {due} 前给您答复。您可以随时通过跟踪链接查看进度。",
		"We have received your complaint ({case_number})", "Thank you. Your complaint is registered as {case_number} and is handled by {handler}. We expect to resolve it by {due}. You can follow it at any time with your tracking link."},
	"info_request": {"需要您补充信息（{case_number}）", "为处理您的投诉，我们需要您补充以下信息：{question}",
		"We need some information ({case_number})", "To handle your complaint we need the following from you: {question}"},
	"info_reminder": {"提醒：请补充信息（{case_number}）", "我们仍在等待您补充信息：{question}",
		"Reminder: information needed ({case_number})", "We are still waiting for your answer: {question}"},
	"resolution": {"投诉处理方案（{case_number}）", "{message}\n补偿合计：{amount}。请在 {confirm_by} 前确认是否接受；逾期未答复视为接受。",
		"Our resolution ({case_number})", "{message}\nTotal compensation: {amount}. Please tell us by {confirm_by} whether you accept; if we do not hear from you, we will take it as accepted."},
	"summary_resolution": {"投诉处理方案（{case_number}）", "{message}\n补偿合计：{amount}。请在 {confirm_by} 前确认是否接受；逾期未答复视为接受。如您对处理结果不满意，可以在收到本通知之日起六个月内免费向 {regulator} 提出申诉。",
		"Our resolution ({case_number})", "{message}\nTotal compensation: {amount}. Please tell us by {confirm_by} whether you accept; if we do not hear from you, we will take it as accepted. If you are not satisfied, you may refer your complaint to {regulator}, free of charge, within six months of this message."},
	"refusal": {"投诉处理结果（{case_number}）", "{message}\n如您不同意，可以在 {confirm_by} 前提出申诉。",
		"Our decision ({case_number})", "{message}\nIf you disagree you may appeal by {confirm_by}."},
	"confirmation_notice": {"请确认处理方案（{case_number}）", "如在 {deemed_at} 前未收到您的答复，我们将视为您已接受处理方案。",
		"Please confirm our resolution ({case_number})", "If we do not hear from you by {deemed_at}, we will take the resolution as accepted."},
	"execution_failed": {"处理方案执行遇到问题（{case_number}）", "抱歉，处理方案执行未能完成，已撤回已执行的部分。处理人员将尽快为您提出新的方案。",
		"We could not complete the resolution ({case_number})", "We are sorry: we could not complete the resolution and have undone the steps already taken. Your handler will propose a new one shortly."},
	"execution_failed_pending": {"处理方案执行遇到问题（{case_number}）", "抱歉，处理方案执行未能完成。已执行的部分中有一项暂时无法自动撤回，我们已安排专人处理，您无需做任何事。处理人员将尽快为您提出新的方案。",
		"We could not complete the resolution ({case_number})", "We are sorry: we could not complete the resolution. One step already taken could not be undone automatically; a member of our staff is seeing to it, and you need do nothing. Your handler will propose a new resolution shortly."},
	"fulfilment_ordered": {"处理方案正在落实（{case_number}）", "{message}\n我们已为您安排更换或维修，完成后会请您确认处理结果。",
		"Your resolution is under way ({case_number})", "{message}\nWe have arranged the replacement or repair; once it is done we will ask you to confirm the resolution."},
	"fulfilment_failed": {"更换或维修未能完成（{case_number}）", "抱歉，为您安排的更换或维修未能完成。处理人员将尽快为您提出新的方案。",
		"The replacement or repair could not be completed ({case_number})", "We are sorry: the replacement or repair we arranged could not be completed. Your handler will propose a new resolution shortly."},
	"appeal_received": {"已收到您的申诉（{case_number}）", "您的申诉已受理，案件已提交上一级负责人重新调查。",
		"Your appeal is received ({case_number})", "Your appeal is registered; the case has gone to a more senior handler for a fresh review."},
	"final_response": {"最终答复（{case_number}）", "这是我们的最终答复。如您仍不满意，可以向 {regulator} 投诉。",
		"Our final response ({case_number})", "This is our final response. If you remain dissatisfied, you may refer your complaint to {regulator}."},
	"closed": {"投诉已办结（{case_number}）", "您的投诉已办结，感谢您的反馈。稍后我们会邀请您评价本次处理。",
		"Your complaint is closed ({case_number})", "Your complaint is closed. Thank you for telling us. We will shortly ask how we did."},
	"withdrawn": {"投诉已撤回（{case_number}）", "您的投诉已按您的要求撤回。",
		"Complaint withdrawn ({case_number})", "Your complaint has been withdrawn as you asked."},
	"survey": {"请评价我们的处理", "请用 1 到 5 分评价本次投诉处理：{survey_url}",
		"How did we do?", "Please rate how we handled your complaint, from 1 to 5: {survey_url}"},
	"survey_reminder": {"提醒：请评价我们的处理（{case_number}）", "您的评价对我们很重要。",
		"Reminder: how did we do? ({case_number})", "Your feedback matters to us."},
	"progress_update": {"处理进展（{case_number}）", "您的投诉仍在处理中：{status_text}。我们预计在 {due} 前给您答复，如有进展会及时告知。",
		"Progress on your complaint ({case_number})", "Your complaint is still being handled: {status_text}. We expect to give you our answer by {due} and will tell you as soon as anything changes."},
	"incident_update": {"关于您投诉所涉问题的最新说明（{case_number}）", "{message}",
		"An update on the issue behind your complaint ({case_number})", "{message}"},
	"holding_response": {"投诉处理进展说明（{case_number}）", "抱歉，我们尚未能在规定时限内给出最终答复，仍在处理您的投诉，并会尽快答复。您现在有权将投诉提交 {regulator}，无需等待我们的最终答复。",
		"An update on your complaint ({case_number})", "We are sorry that we have not yet been able to give you our final response within the time allowed. We are still working on your complaint and will reply as soon as we can. You now have the right to refer your complaint to {regulator} without waiting for our final response."},
	"deadline_extended": {"处理时限延长通知（{case_number}）", "因 {reason}，您的投诉处理时限延长至 {due}。如有疑问，可以联系我们或 {regulator}。",
		"We need more time on your complaint ({case_number})", "Because {reason}, we need more time: we will now give you our answer by {due}. If you have concerns about this you may contact us or {regulator}."},
}

// statusWords says a case status in plain words, for customers.
var statusWords = map[string][2]string{
	workflows.StatusReceived:         {"已收到，正在登记", "received and being registered"},
	workflows.StatusAcknowledged:     {"已受理，等待处理人员调查", "registered and waiting for your handler to investigate"},
	workflows.StatusInvestigating:    {"正在调查", "under investigation"},
	workflows.StatusAwaitingInfo:     {"等待您补充信息", "waiting for information from you"},
	workflows.StatusAwaitingApproval: {"处理方案正在审批", "our proposed resolution is being approved"},
	workflows.StatusExecuting:        {"正在执行处理方案", "the resolution is being carried out"},
	workflows.StatusAwaitingCustomer: {"等待您确认处理方案", "waiting for you to accept or reject our resolution"},
	workflows.StatusClosed:           {"已办结", "closed"},
	workflows.StatusWithdrawn:        {"已撤回", "withdrawn"},
}

// StatusText is a status in plain words in a language (zh or en).
func StatusText(status, language string) string {
	w, ok := statusWords[status]
	if !ok {
		return status
	}
	if language == "zh" {
		return w[0]
	}
	return w[1]
}

// Render produces the notification text for a message in the case's
// language. Staff messages are in English and Chinese both.
func Render(m workflows.Message, language string) (store.Notification, error) {
	n := store.Notification{Audience: m.Audience, Kind: m.Kind, Language: language, Recipient: m.Recipient}
	if m.Recipient == "" && m.RecipientRole != "" {
		n.Recipient = "role:" + m.RecipientRole + "@" + m.Team
	}
	if m.Audience == "staff" {
		n.Language = "en"
		n.Subject = fmt.Sprintf("[%s] %s", param(m.Params, "case_number"), strings.ReplaceAll(m.Kind, "_", " "))
		n.Body = staffBody(m)
		return n, nil
	}
	t, ok := templates[m.Kind]
	if !ok {
		return n, fmt.Errorf("no template for message kind %q", m.Kind)
	}
	if s, ok := m.Params["status"]; ok {
		params := make(map[string]string, len(m.Params)+1)
		for k, v := range m.Params {
			params[k] = v
		}
		params["status_text"] = StatusText(s, language)
		m.Params = params
	}
	if language == "zh" {
		n.Subject, n.Body = fill(t.subjectZh, m.Params), fill(t.bodyZh, m.Params)
	} else {
		n.Language = "en"
		n.Subject, n.Body = fill(t.subjectEn, m.Params), fill(t.bodyEn, m.Params)
	}
	return n, nil
}

func staffBody(m workflows.Message) string {
	keys := make([]string, 0, len(m.Params))
	for k := range m.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "Case %s: %s.", param(m.Params, "case_number"), strings.ReplaceAll(m.Kind, "_", " "))
	for _, k := range keys {
		if k != "case_number" {
			fmt.Fprintf(&b, " %s: %s.", k, m.Params[k])
		}
	}
	return b.String()
}

func param(p map[string]string, k string) string { return p[k] }

func fill(s string, params map[string]string) string {
	for k, v := range params {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
