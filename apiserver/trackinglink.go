package apiserver

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// answerExisting answers an anonymous filing that reached an existing
// case (a repeat contact, or a repeated Idempotency-Key) with what is safe
// to tell anyone who knows the customer's id and order reference: the
// case number, its status and what happened. The tracking link goes to
// the contact details on file instead, as a tracking_link message in the
// outbox (one an hour at most per case, so a stranger cannot flood the
// customer with them).
func (s *Server) answerExisting(c *gin.Context, caseID, number, status string, repeat bool) {
	cs, err := s.store.GetCase(c, caseID)
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	if err := s.sendTrackingLink(c, cs); err != nil {
		s.fail(c, "tracking link", err)
		return
	}
	c.JSON(http.StatusOK, CreatedComplaint{CaseNumber: number, Status: status, RepeatContact: repeat,
		Message: existingCaseMessage(cs.Language, number, status, repeat)})
}

// sendTrackingLink queues the case's tracking link for its customer; the
// recipient is empty, which the outbox reads as the contact on file.
func (s *Server) sendTrackingLink(c *gin.Context, cs store.Case) error {
	tok := complaint.TrackingToken(s.cfg.TokenSecret, cs.ID)
	n, err := activities.Render(complaint.Message{Audience: "customer", Kind: "tracking_link",
		Params: map[string]string{"case_number": cs.CaseNumber, "tracking_url": s.cfg.PublicBaseURL + "/track/" + tok}}, cs.Language)
	if err != nil {
		return err
	}
	n.CaseID = cs.ID
	n.Key = cs.ID + ":tracking-link-" + time.Now().UTC().Format("2006010215")
	if err := s.store.QueueNotifications(c, []store.Notification{n}); err != nil || s.cfg.Notifier == nil {
		return err
	}
	return s.cfg.Notifier.Send(c, n)
}

// existingCaseMessage tells an anonymous caller what became of its filing,
// in the case's language.
func existingCaseMessage(lang, number, status string, repeat bool) string {
	zh := lang == "zh"
	switch {
	case status == complaint.StatusClosed && repeat:
		if zh {
			return fmt.Sprintf("投诉 %s 已办结。我们已记录您的反馈并告知处理人员，案件未重新打开。跟踪链接已发送至该投诉登记的联系方式；如对处理结果不满意，请致电或到网点联系我们，我们将为您重新处理。", number)
		}
		return fmt.Sprintf("Case %s is closed. We have recorded your message and told the team that handled it; the case was not reopened. "+
			"The tracking link has been sent to the contact details on file. If you are not satisfied with the outcome, call us or visit a branch and we will reopen it.", number)
	case repeat:
		if zh {
			return fmt.Sprintf("您的反馈已添加到正在处理的投诉 %s。跟踪链接已发送至该投诉登记的联系方式。", number)
		}
		return fmt.Sprintf("Your message has been added to your open case %s. The tracking link has been sent to the contact details on file.", number)
	default:
		if zh {
			return fmt.Sprintf("您的投诉已登记为 %s。跟踪链接已发送至该投诉登记的联系方式。", number)
		}
		return fmt.Sprintf("Your complaint is registered as case %s. The tracking link has been sent to the contact details on file.", number)
	}
}
