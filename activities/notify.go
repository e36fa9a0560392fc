package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
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
	"acknowledgement": {"您的投诉已受理（{case_number}）", "您好，您的投诉已受理，编号 {case_number}，由{handler}负责处理，预计在 {due} 前给您答复。您可以随时通过跟踪链接查看进度。",
		"We have received your complaint ({case_number})", "Thank you. Your complaint is registered as {case_number} and is handled by {handler}. We expect to resolve it by {due}. You can follow it at any time with your tracking link."},
	"info_request": {"需要您补充信息（{case_number}）", "为处理您的投诉，我们需要您补充以下信息：{question}",
		"We need some information ({case_number})", "To handle your complaint we need the following from you: {question}"},
	"info_reminder": {"提醒：请补充信息（{case_number}）", "我们仍在等待您补充信息：{question}",
		"Reminder: information needed ({case_number})", "We are still waiting for your answer: {question}"},
	"resolution": {"投诉处理方案（{case_number}）", "{message}\n{compensation}请在 {confirm_by} 前确认是否接受；逾期未答复视为接受。",
		"Our resolution ({case_number})", "{message}\n{compensation}Please tell us by {confirm_by} whether you accept; if we do not hear from you, we will take it as accepted."},
	"summary_resolution": {"投诉处理方案（{case_number}）", "{message}\n{compensation}请在 {confirm_by} 前确认是否接受；逾期未答复视为接受。如您对处理结果不满意，可以在收到本通知之日起六个月内免费向{regulator}提出申诉。",
		"Our resolution ({case_number})", "{message}\n{compensation}Please tell us by {confirm_by} whether you accept; if we do not hear from you, we will take it as accepted. If you are not satisfied, you may refer your complaint to {regulator}, free of charge, within six months of this message."},
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
	"final_response": {"最终答复（{case_number}）", "这是我们的最终答复。如您仍不满意，可以向{regulator}投诉。",
		"Our final response ({case_number})", "This is our final response. If you remain dissatisfied, you may refer your complaint to {regulator}."},
	"closed": {"投诉已办结（{case_number}）", "您的投诉已办结，感谢您的反馈。稍后我们会邀请您评价本次处理。",
		"Your complaint is closed ({case_number})", "Your complaint is closed. Thank you for telling us. We will shortly ask how we did."},
	"withdrawn": {"投诉已撤回（{case_number}）", "您的投诉已按您的要求撤回。",
		"Complaint withdrawn ({case_number})", "Your complaint has been withdrawn as you asked."},
	"merged": {"投诉已合并处理（{case_number}）", "您通过不同渠道反映的同一问题已合并处理：投诉 {case_number} 并入投诉 {continues_as} 继续处理，请以 {continues_as} 跟进进展。",
		"Your complaints are handled together ({case_number})", "You told us about the same matter more than once, so we handle it as one case: complaint {case_number} continues as complaint {continues_as}. Please follow {continues_as} from now on."},
	// tracking_link goes to the contact details on file when someone files
	// about an existing case without its token (the API never gives the
	// token to such a caller).
	"tracking_link": {"您的投诉跟踪链接（{case_number}）", "我们收到了关于投诉 {case_number} 的新联系，已记录在案。您可以通过以下链接查看进度：{tracking_url}\n如果这不是您本人所为，请忽略本消息，您的投诉不受影响。",
		"Your tracking link ({case_number})", "We received a new contact about your complaint {case_number} and have added it to the case. You can follow the case here: {tracking_url}\nIf this was not you, you can ignore this message; your complaint is not affected."},
	"survey": {"请评价我们的处理", "请用 1 到 5 分评价本次投诉处理：{survey_url}",
		"How did we do?", "Please rate how we handled your complaint, from 1 to 5: {survey_url}"},
	"survey_reminder": {"提醒：请评价我们的处理（{case_number}）", "您的评价对我们很重要。请用 1 到 5 分评价本次投诉处理：{survey_url}",
		"Reminder: how did we do? ({case_number})", "Your feedback matters to us. Please rate how we handled your complaint, from 1 to 5: {survey_url}"},
	"progress_update": {"处理进展（{case_number}）", "您的投诉仍在处理中：{status_text}。我们预计在 {due} 前给您答复，如有进展会及时告知。",
		"Progress on your complaint ({case_number})", "Your complaint is still being handled: {status_text}. We expect to give you our answer by {due} and will tell you as soon as anything changes."},
	"incident_update": {"关于您投诉所涉问题的最新说明（{case_number}）", "{message}",
		"An update on the issue behind your complaint ({case_number})", "{message}"},
	"holding_response": {"投诉处理进展说明（{case_number}）", "抱歉，我们尚未能在规定时限内给出最终答复，仍在处理您的投诉，并会尽快答复。您现在有权将投诉提交{regulator}，无需等待我们的最终答复。",
		"An update on your complaint ({case_number})", "We are sorry that we have not yet been able to give you our final response within the time allowed. We are still working on your complaint and will reply as soon as we can. You now have the right to refer your complaint to {regulator} without waiting for our final response."},
	"abuse_warning": {"关于您的投诉（{case_number}）", "{message}",
		"About your complaint ({case_number})", "{message}"},
	"unreasonable_closure": {"投诉处理终结通知（{case_number}）", "我们已对您的投诉作出答复，并多次向您说明了处理依据。经管理人员审核，本投诉现予终结，我们不再就同一事项作进一步答复。如您不满意，可以向{regulator}投诉；您也可以通过跟踪链接提出申诉，由上一级负责人重新审查。",
		"We have closed your complaint ({case_number})", "We have given you our answer and explained the reasons for it more than once. A manager has reviewed the case and it is now closed; we will not reply further on the same matter. If you are not satisfied, you may refer your complaint to {regulator}; you may also appeal through your tracking link, and a more senior person will review the case afresh."},
	"deadline_extended": {"处理时限延长通知（{case_number}）", "因 {reason}，您的投诉处理时限延长至 {due}。如有疑问，可以联系我们或{regulator}。",
		"We need more time on your complaint ({case_number})", "Because {reason}, we need more time: we will now give you our answer by {due}. If you have concerns about this you may contact us or {regulator}."},
}

// staffTemplates are the staff messages, in Chinese and English.
var staffTemplates = map[string]template{
	"merged_staff":           {"[{case_number}] 投诉已合并", "投诉 {case_number} 已并入投诉 {continues_as}。", "[{case_number}] Case merged", "Case {case_number} was merged into case {continues_as}."},
	"merged_from":            {"[{case_number}] 另一投诉已并入", "投诉 {from} 已并入投诉 {case_number}。", "[{case_number}] A case was merged into it", "Case {from} was merged into case {case_number}."},
	"callback_due":           {"[{case_number}] 约定回电时间到了", "请按约定给投诉 {case_number} 的客户回电（约定时间 {due}）。", "[{case_number}] Time to call the customer back", "Please call the customer of case {case_number} back, as agreed for {due}."},
	"contact_split":          {"[{case_number}] 再次联系已拆分为新投诉", "投诉 {case_number} 中误并的一次联系已拆分为新投诉，新投诉见案件记录。", "[{case_number}] A contact was split off", "A contact folded into case {case_number} by mistake is now a case of its own; its trail names it."},
	"assigned":               {"[{case_number}] 新分配给您的投诉", "投诉 {case_number} 已分配给您处理。", "[{case_number}] Case assigned to you", "Case {case_number} has been assigned to you."},
	"unassigned":             {"[{case_number}] 投诉待分配", "投诉 {case_number} 暂无合适的处理人员，请为其指定处理人。", "[{case_number}] Case needs a handler", "Nobody at the right level could take case {case_number}: please assign it."},
	"transferred":            {"[{case_number}] 投诉已转交", "投诉 {case_number} 已转交，原因：{reason}", "[{case_number}] Case transferred", "Case {case_number} was transferred. Reason: {reason}"},
	"repeat_contact":         {"[{case_number}] 客户再次联系", "投诉 {case_number} 的客户就同一事项再次联系了我们。", "[{case_number}] The customer contacted us again", "The customer of case {case_number} contacted us again about the same matter."},
	"info_received":          {"[{case_number}] 客户已补充信息", "投诉 {case_number} 的客户已补充所需信息。", "[{case_number}] The customer answered", "The customer of case {case_number} sent the information asked for."},
	"info_timeout":           {"[{case_number}] 补充信息逾期未收到", "投诉 {case_number} 的客户未在期限内补充信息，案件已退回调查。", "[{case_number}] No answer from the customer", "The customer of case {case_number} did not send the information in time; the case is back under investigation."},
	"withdrawn_staff":        {"[{case_number}] 客户已撤回投诉", "投诉 {case_number} 已由客户撤回。", "[{case_number}] Complaint withdrawn", "The customer withdrew case {case_number}."},
	"recovery_task":          {"[{case_number}] 满意度偏低，需要回访补救", "投诉 {case_number} 的满意度评分偏低，请安排回访补救。", "[{case_number}] Low survey score: recovery needed", "Case {case_number} received a low survey score; please arrange a recovery call."},
	"approval_needed":        {"[{case_number}] 处理方案待审批", "投诉 {case_number} 的处理方案待您审批，金额 {amount}。", "[{case_number}] Proposal awaiting approval", "A proposal on case {case_number} awaits your approval: {amount}."},
	"approval_reminder":      {"[{case_number}] 提醒：处理方案仍待审批", "投诉 {case_number} 的处理方案仍在等待审批。", "[{case_number}] Reminder: proposal awaiting approval", "The proposal on case {case_number} is still waiting for approval."},
	"approval_escalated":     {"[{case_number}] 审批已升级给您", "投诉 {case_number} 的处理方案审批逾期，已升级由您审批。", "[{case_number}] Approval escalated to you", "The approval of the proposal on case {case_number} ran late and is now yours."},
	"proposal_rejected":      {"[{case_number}] 处理方案未获批准", "投诉 {case_number} 的处理方案未获批准：{comment}", "[{case_number}] Proposal rejected", "The proposal on case {case_number} was rejected: {comment}"},
	"extension_requested":    {"[{case_number}] 申请延长时限", "投诉 {case_number} 申请延长{clock}，理由：{reason}", "[{case_number}] Extension requested", "An extension of the {clock} of case {case_number} is requested. Reason: {reason}"},
	"extension_refused":      {"[{case_number}] 延期申请未获批准", "投诉 {case_number} 的{clock}延期申请未获批准：{comment}", "[{case_number}] Extension refused", "The extension of the {clock} of case {case_number} was refused: {comment}"},
	"clock_warning":          {"[{case_number}] 时限预警", "投诉 {case_number} 的{clock}已用去 {elapsed}，将于 {due} 到期。", "[{case_number}] Clock warning", "Case {case_number} has used {elapsed} of its {clock}, due {due}."},
	"clock_breached":         {"[{case_number}] 已超出时限", "投诉 {case_number} 的{clock}已于 {due} 到期。", "[{case_number}] Clock breached", "The {clock} of case {case_number} ran out at {due}."},
	"execution_failed_staff": {"[{case_number}] 处理方案执行失败", "投诉 {case_number} 的处理方案执行失败，已执行的部分已撤回，请提出新的方案。", "[{case_number}] Resolution failed", "The resolution of case {case_number} failed and the steps taken were undone; please propose a new one."},
	"reversal_failed":        {"[{case_number}] 有补救措施需人工撤回", "投诉 {case_number} 的处理方案执行失败，且以下补救措施无法自动撤回：{remedies}。请人工撤回（如追回款项、取消订单），并在案件中记录处理情况。", "[{case_number}] Remedy to undo by hand", "The resolution of case {case_number} failed, and these remedies could not be undone automatically: {remedies}. Please undo them by hand (recover the payment, cancel the order) and note what was done on the case."},
	"fulfilment_ordered":     {"[{case_number}] 请安排更换或维修", "投诉 {case_number} 的处理方案已获批准，请安排更换或维修，并在案件页面更新进度（已发出、已完成或失败）。", "[{case_number}] Replacement or repair to deliver", "The resolution of case {case_number} is approved: please arrange the replacement or repair and record its progress (shipped, done or failed) on the case page."},
	"fulfilment_warning":     {"[{case_number}] 更换或维修即将逾期", "投诉 {case_number} 的更换或维修应于 {due} 前完成。", "[{case_number}] Replacement or repair due soon", "The replacement or repair of case {case_number} is due by {due}."},
	"fulfilment_breached":    {"[{case_number}] 更换或维修已逾期", "投诉 {case_number} 的更换或维修未能在 {due} 前完成。", "[{case_number}] Replacement or repair overdue", "The replacement or repair of case {case_number} was due by {due} and is not done."},
	"fulfilment_failed":      {"[{case_number}] 更换或维修失败", "投诉 {case_number} 的{remedy}未能完成：{note}。案件已退回，请提出新的方案。", "[{case_number}] Replacement or repair failed", "The {remedy} of case {case_number} failed: {note}. The case is back with you for a new plan."},
	"abuse_recorded":         {"[{case_number}] 已记录不当来电", "投诉 {case_number} 记录了一次客户的不当言行（{kind}），已向客户发送提醒。请关心接待的同事，并考虑是否设置联系限制。", "[{case_number}] Abusive contact recorded", "An abusive contact ({kind}) was recorded on case {case_number} and the customer was sent the warning. Please look after the colleague who took it, and consider a contact restriction."},
	"restriction_review":     {"[{case_number}] 联系限制到期复核", "您为投诉 {case_number} 的客户设置的联系限制已到复核日期（原因：{reason}），请决定继续或解除。", "[{case_number}] Contact restriction due for review", "The contact restriction you set on the customer of case {case_number} is due for review (reason: {reason}): keep it or lift it."},
	"incident_opened":        {"[{case_number}] 发现疑似系统性问题", "近期关于{dimension}“{value}”的投诉有 {recent} 宗，通常约为 {usual} 宗；已关联 {linked} 宗投诉。", "[{case_number}] Possible systemic issue", "{recent} recent complaints about {dimension} \"{value}\", against about {usual} usually; {linked} complaints linked."},
}

// staffFallback is the message of a staff kind with no template.
func staffFallback(kind string) template {
	return template{"[{case_number}] 案件动态", "投诉 {case_number} 有新的动态，请查看案件页面。",
		"[{case_number}] " + strings.ReplaceAll(kind, "_", " "), "Case {case_number}: " + strings.ReplaceAll(kind, "_", " ") + "."}
}

// statusWords says a case status in plain words, for customers.
var statusWords = map[string][2]string{
	complaint.StatusReceived:         {"已收到，正在登记", "received and being registered"},
	complaint.StatusAcknowledged:     {"已受理，等待处理人员调查", "registered and waiting for your handler to investigate"},
	complaint.StatusInvestigating:    {"正在调查", "under investigation"},
	complaint.StatusAwaitingInfo:     {"等待您补充信息", "waiting for information from you"},
	complaint.StatusAwaitingApproval: {"处理方案正在审批", "our proposed resolution is being approved"},
	complaint.StatusExecuting:        {"正在执行处理方案", "the resolution is being carried out"},
	complaint.StatusFulfilling:       {"正在为您安排更换或维修", "we are arranging the replacement or repair"},
	complaint.StatusAwaitingCustomer: {"等待您确认处理方案", "waiting for you to accept or reject our resolution"},
	complaint.StatusClosed:           {"已办结", "closed"},
	complaint.StatusWithdrawn:        {"已撤回", "withdrawn"},
	complaint.StatusMerged:           {"已并入其他投诉继续处理", "merged into another case, which continues"},
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
// language (zh or en; anything else is English). Staff messages carry
// both languages, Chinese first, as staff read either. Parameters that
// are codes (a currency, a clock, a regulator, a team) are said in the
// message's language; a staff member is named by their display name, or
// their team, never by their login id.
func Render(m complaint.Message, language string) (store.Notification, error) {
	n := store.Notification{Audience: m.Audience, Kind: m.Kind, Language: language, Recipient: m.Recipient}
	if m.Recipient == "" && m.RecipientRole != "" {
		n.Recipient = "role:" + m.RecipientRole + "@" + m.Team
	}
	if m.Audience == "staff" {
		t, ok := staffTemplates[m.Kind]
		if !ok {
			t = staffFallback(m.Kind)
		}
		zhS, zhB := fill(t.subjectZh, localParams(m.Params, "zh")), fill(t.bodyZh, localParams(m.Params, "zh"))
		enS, enB := fill(t.subjectEn, localParams(m.Params, "en")), fill(t.bodyEn, localParams(m.Params, "en"))
		n.Language = "zh,en"
		n.Subject = zhS + " / " + enS
		n.Body = zhB + "\n\n" + enB
		return n, nil
	}
	t, ok := templates[m.Kind]
	if !ok {
		return n, fmt.Errorf("no template for message kind %q", m.Kind)
	}
	if language != "zh" {
		language = "en"
	}
	n.Language = language
	params := localParams(m.Params, language)
	if language == "zh" {
		n.Subject, n.Body = fill(t.subjectZh, params), fill(t.bodyZh, params)
	} else {
		n.Subject, n.Body = fill(t.subjectEn, params), fill(t.bodyEn, params)
	}
	return n, nil
}

// Kinds lists the message kinds that have templates.
type Kinds struct{ Customer, Staff []string }

// MessageKinds returns the customer's and the staff's message kinds, sorted.
func MessageKinds() Kinds {
	var k Kinds
	for name := range templates {
		k.Customer = append(k.Customer, name)
	}
	for name := range staffTemplates {
		k.Staff = append(k.Staff, name)
	}
	slices.Sort(k.Customer)
	slices.Sort(k.Staff)
	return k
}

// RenderText is one language's subject and body of a message (for tests
// and previews).
func RenderText(m complaint.Message, language string) (subject, body string, err error) {
	if m.Audience == "staff" {
		t, ok := staffTemplates[m.Kind]
		if !ok {
			t = staffFallback(m.Kind)
		}
		p := localParams(m.Params, language)
		if language == "zh" {
			return fill(t.subjectZh, p), fill(t.bodyZh, p), nil
		}
		return fill(t.subjectEn, p), fill(t.bodyEn, p), nil
	}
	n, err := Render(m, language)
	return n.Subject, n.Body, err
}

// localParams returns the message's parameters with the derived ones its
// templates use, said in language.
func localParams(in map[string]string, language string) map[string]string {
	p := make(map[string]string, len(in)+4)
	for k, v := range in {
		p[k] = v
	}
	zh := language == "zh"
	if s, ok := in["status"]; ok {
		p["status_text"] = StatusText(s, language)
	}
	if a, ok := in["amount"]; ok {
		p["amount"] = localMoney(a, zh)
		// Nothing to pay (an apology, an explanation, a replacement):
		// no "total compensation: 0.00" line.
		p["compensation"] = ""
		if !zeroMoney(a) {
			if zh {
				p["compensation"] = "补偿合计：" + p["amount"] + "。"
			} else {
				p["compensation"] = "Total compensation: " + p["amount"] + ". "
			}
		}
	}
	if r, ok := in["regulator"]; ok {
		p["regulator"] = regulatorName(r, zh)
	}
	for _, k := range []string{"remedy", "remedies"} {
		if v, ok := in[k]; ok {
			var names []string
			for _, t := range strings.Split(v, ",") {
				names = append(names, pick(remedyNames, strings.TrimSpace(t), zh))
			}
			sep := ", "
			if zh {
				sep = "、"
			}
			p[k] = strings.Join(names, sep)
		}
	}
	if c, ok := in["clock"]; ok {
		p["clock"] = pick(clockNames, c, zh)
	}
	if d, ok := in["dimension"]; ok {
		p["dimension"] = pick(dimensionNames, d, zh)
	}
	if k, ok := in["kind"]; ok {
		p["kind"] = pick(abuseKindNames, k, zh)
	}
	if _, ok := in["handler"]; ok || in["team"] != "" {
		p["handler"] = handlerText(in["handler"], in["team"], zh)
	}
	return p
}

// handlerText names who handles a case to a customer: the staff member's
// display name, else their team's name.
func handlerText(name, team string, zh bool) string {
	if name != "" {
		return name
	}
	if t, ok := teamNames[team]; ok {
		if zh {
			return t[0]
		}
		return t[1]
	}
	if zh {
		return "我们的投诉处理团队"
	}
	return "our complaints team"
}

// teamNames are the built-in teams (migration 00001), in Chinese and
// English, as customers read them.
var teamNames = map[string][2]string{
	"quality":  {"产品质量组", "our product quality team"},
	"service":  {"客户服务组", "our customer service team"},
	"delivery": {"物流配送组", "our logistics and delivery team"},
	"billing":  {"账务组", "our billing and payments team"},
	"safety":   {"安全应急组", "our safety response team"},
	"general":  {"综合投诉组", "our complaints team"},
}

// regulators names the regulators of the built-in profiles in both
// languages; a name not listed is used as given.
// abuseKindNames are the kinds of abusive contact, in Chinese and English.
var abuseKindNames = map[string][2]string{
	complaint.AbuseInsults:       {"辱骂", "insults"},
	complaint.AbuseThreats:       {"威胁", "threats"},
	complaint.AbuseRepeatedCalls: {"反复来电骚扰", "harassment by repeated calls"},
}

var regulators = map[string][2]string{
	"the relevant regulator or ombudsman": {"相关监管部门或金融纠纷调解组织", "the relevant regulator or ombudsman"},
	"国家金融监督管理总局 (National Financial Regulatory Administration), 12378": {
		"国家金融监督管理总局（投诉热线 12378）", "the National Financial Regulatory Administration (hotline 12378)"},
	"市场监督管理部门 12315":                                       {"市场监督管理部门（投诉热线 12315）", "the market regulation authority (hotline 12315)"},
	"the Financial Ombudsman Service":                      {"英国金融申诉专员服务机构", "the Financial Ombudsman Service"},
	"the Consumer Financial Protection Bureau":             {"美国消费者金融保护局", "the Consumer Financial Protection Bureau"},
	"the Australian Financial Complaints Authority (AFCA)": {"澳大利亚金融投诉局", "the Australian Financial Complaints Authority (AFCA)"},
}

func regulatorName(r string, zh bool) string { return pick(regulators, r, zh) }

// RegulatorName is the regulator or ombudsman r said in language (zh or
// en): what a response script's {regulator} is filled with.
func RegulatorName(r, language string) string { return regulatorName(r, language == "zh") }

// remedyNames are the remedy kinds (complaint.RemedyKinds) in words.
var remedyNames = map[string][2]string{
	complaint.RemedyRefund:      {"退款", "refund"},
	complaint.RemedyReplacement: {"换货", "replacement"},
	complaint.RemedyRepair:      {"维修", "repair"},
	complaint.RemedyVoucher:     {"代金券", "voucher"},
	complaint.RemedyGoodwill:    {"补偿金", "goodwill payment"},
	complaint.RemedyApology:     {"道歉", "apology"},
	complaint.RemedyExplanation: {"解释说明", "explanation"},
}

var clockNames = map[string][2]string{
	"acknowledge":        {"受理时限", "acknowledgement clock"},
	"first_response":     {"首次答复时限", "first response clock"},
	"first_contact":      {"首次人工联系时限", "first human contact clock"},
	"resolve":            {"处理时限", "resolution clock"},
	"summary_resolution": {"简易处理时限", "summary resolution clock"},
	"fulfilment":         {"履行时限", "fulfilment clock"},
	"appeal":             {"申诉复核时限", "appeal clock"},
}

var dimensionNames = map[string][2]string{
	"category": {"投诉类别", "category"},
	"cause":    {"原因", "cause"},
	"product":  {"产品", "product"},
	"region":   {"地区", "region"},
}

func pick(m map[string][2]string, k string, zh bool) string {
	v, ok := m[k]
	if !ok {
		return k
	}
	if zh {
		return v[0]
	}
	return v[1]
}

// currencyZh says a currency the way Chinese prices are read ("120.00 元");
// other currencies keep their ISO code.
var currencyZh = map[string]string{"CNY": "元", "USD": "美元", "GBP": "英镑", "EUR": "欧元", "AUD": "澳元", "HKD": "港元", "JPY": "日元"}

// localMoney turns workflows.FormatMoney's "1,234.56 CNY" into
// "1,234.56 元" in Chinese.
func localMoney(a string, zh bool) string {
	num, cur, ok := strings.Cut(a, " ")
	if !zh || !ok {
		return a
	}
	if w, ok := currencyZh[cur]; ok {
		return num + " " + w
	}
	return a
}

func zeroMoney(a string) bool {
	num, _, _ := strings.Cut(a, " ")
	return strings.Trim(num, "0.,-") == ""
}

func fill(s string, params map[string]string) string {
	for k, v := range params {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
