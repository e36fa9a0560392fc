package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestAttachmentsThroughThePages: a customer on a phone attaches a photo
// (with GPS in its Exif) to the web form; it is on the tracking page, and
// the agent sees it on the console's case page, attaches a PDF of their
// own there, and fetches the photo with their token: stored without its
// GPS. Screenshots go where the other browser tests put theirs.
func TestAttachmentsThroughThePages(t *testing.T) {
	s := startStack(t)
	agentTok := s.token("agent-pics", "agent", "billing")
	s.must(200, "GET", "/v1/me", agentTok, nil, nil)
	dir := t.TempDir()
	photo := filepath.Join(dir, "IMG_0042.jpg")
	receipt := filepath.Join(dir, "refund-receipt.pdf")
	if err := os.WriteFile(photo, photoWithGPS(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(receipt, testPDF, 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.base)

	customer := b.tab("customer", 390, 844)
	b.run(customer, chromedp.Navigate(b.base+"/?lang=en"), visible(`#complaint-form`),
		keys(`[name="customer.name"]`, "Li Na"),
		keys(`[name="customer.email"]`, "li.na@example.com"),
		keys(`[name=subject]`, "Kettle arrived broken"),
		keys(`[name=description]`, "The kettle arrived with a cracked base; photo attached."),
		keys(`[name=order_ref]`, "ORD-PIC-1"),
		chromedp.SetUploadFiles(`#files`, []string{photo}, chromedp.ByQuery),
		click(`#complaint-form button[type=submit]`),
		visible(`#files-done`))
	number := b.text(customer, `#case-number`)
	if msg := b.text(customer, `#files-done`); !strings.Contains(msg, "1 file") {
		t.Errorf("the form says %q", msg)
	}
	b.shot(customer, "form-filed-with-photo")
	var trackURL string
	b.run(customer, chromedp.Evaluate(`document.querySelector('#tracking-link').href`, &trackURL))
	b.run(customer, chromedp.Navigate(trackURL), visible(`#files [data-file="IMG_0042.jpg"]`))
	b.noHorizontalScroll(customer, "the tracking page with files")
	b.shot(customer, "track-with-photo")

	var found struct {
		Complaints []struct{ ID string } `json:"complaints"`
	}
	s.must(200, "GET", "/v1/complaints?q="+number, s.token("mgr-pics", "manager", "billing"), nil, &found)
	if len(found.Complaints) != 1 {
		t.Fatalf("case %s: found %d", number, len(found.Complaints))
	}
	agent := b.tab("agent", 1280, 900)
	b.signIn(agent, agentTok)
	b.run(agent, chromedp.Navigate(b.base+"/console/cases/"+found.Complaints[0].ID+"?lang=en"),
		visible(`#files [data-file="IMG_0042.jpg"]`),
		visible(`#timeline li[data-type=attachments_added]`))
	b.shot(agent, "case-with-photo")
	b.run(agent, chromedp.SetUploadFiles(`#case-files`, []string{receipt}, chromedp.ByQuery),
		click(`#case-files-form button[type=submit]`),
		visible(`#files [data-file="refund-receipt.pdf"]`))
	b.shot(agent, "case-with-staff-evidence")

	// What the agent's download gets: the photo as a JPEG, without GPS.
	var got struct {
		Type string `json:"type"`
		GPS  bool   `json:"gps"`
		Size int    `json:"size"`
	}
	var list []struct {
		ID       string `json:"id"`
		Filename string `json:"filename"`
	}
	b.run(agent, chromedp.Evaluate(`(async () => {
	  const tok = sessionStorage.getItem('complaints.staffToken');
	  const c = await (await fetch('/v1/complaints/`+found.Complaints[0].ID+`', {headers: {Authorization: 'Bearer ' + tok}})).json();
	  return c.attachments;
	})()`, &list, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	photoID := ""
	for _, a := range list {
		if a.Filename == "IMG_0042.jpg" {
			photoID = a.ID
		}
	}
	if photoID == "" {
		t.Fatalf("the case view lists %+v", list)
	}
	b.run(agent, chromedp.Evaluate(`(async () => {
	  const tok = sessionStorage.getItem('complaints.staffToken');
	  const r = await fetch('/v1/complaints/`+found.Complaints[0].ID+`/attachments/`+photoID+`', {headers: {Authorization: 'Bearer ' + tok}});
	  const b = new Uint8Array(await r.arrayBuffer());
	  let gps = false;
	  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0x88 && b[i + 1] === 0x25) gps = true;
	  return {type: r.headers.get('Content-Type'), gps, size: b.length};
	})()`, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if got.Type != "image/jpeg" || got.GPS || got.Size == 0 {
		t.Errorf("the agent's download: %+v", got)
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}
