package workflows_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// TestAttachmentsReachTheTrailAsIDsAndDigests: files sent with an answer
// and files added later reach the case's audit trail as ids and digests,
// and a bad ref, a role that may not act or a closed case is refused.
func TestAttachmentsReachTheTrailAsIDsAndDigests(t *testing.T) {
	ref := complaint.AttachmentRef{ID: "0b7e7d4c-3f7e-4a57-9a3c-1d2e3f4a5b6c", SHA256: strings.Repeat("ab", 32)}
	ref2 := complaint.AttachmentRef{ID: "1c8f8e5d-4a8f-4b68-8b4d-2e3f4a5b6c7d", SHA256: strings.Repeat("cd", 32)}
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Please send the receipt."}, "")
	h.at(2*hr, wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: "Attached.", Attachments: []complaint.AttachmentRef{{ID: "../x", SHA256: "zz"}}}, "attachment id")
	h.at(3*hr, wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: "Attached.", Attachments: []complaint.AttachmentRef{ref}}, "")
	h.at(4*hr, wf.UpdateAttachments, complaint.AttachmentsAdded{Attachments: []complaint.AttachmentRef{ref2}}, "")
	h.at(5*hr, wf.UpdateAttachments, complaint.AttachmentsAdded{Actor: complaint.Actor{ID: "eng-eve", Role: complaint.RoleEngineer}, Attachments: []complaint.AttachmentRef{ref2}}, "may not act")
	h.at(6*hr, wf.UpdateAttachments, complaint.AttachmentsAdded{Actor: actor("agent-ann")}, "required")
	h.at(7*hr, wf.UpdateAttachments, complaint.AttachmentsAdded{Actor: actor("agent-ann"), Attachments: []complaint.AttachmentRef{ref}}, "")
	h.at(8*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	h.at(9*hr, wf.UpdateAttachments, complaint.AttachmentsAdded{Attachments: []complaint.AttachmentRef{ref2}}, "the case is")
	h.run()
	rows, err := h.st.Pool.Query(context.Background(), `SELECT type, actor, payload FROM case_events WHERE case_id = $1 AND type IN ('info_received', 'attachments_added') ORDER BY seq`, h.in.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var typ, who string
		var payload map[string]any
		if err := rows.Scan(&typ, &who, &payload); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(payload["attachments"])
		got = append(got, typ+" "+who+" "+string(b))
	}
	want := []string{
		`info_received customer [{"id":"` + ref.ID + `","sha256":"` + ref.SHA256 + `"}]`,
		`attachments_added customer [{"id":"` + ref2.ID + `","sha256":"` + ref2.SHA256 + `"}]`,
		`attachments_added agent-ann [{"id":"` + ref.ID + `","sha256":"` + ref.SHA256 + `"}]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
