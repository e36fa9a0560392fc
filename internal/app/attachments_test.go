package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/complaint-handling/complaints/complaint"
)

// filePart is one part of a multipart upload: a file (filename set) or a
// form field.
type filePart struct {
	field, filename string
	content         []byte
}

// upload sends a multipart/form-data request and decodes the JSON answer
// into out; it returns the status code.
func (s *stack) upload(path, token string, parts []filePart, out any, headers ...string) int {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.filename+`"`)
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"`)
		}
		w, _ := mw.CreatePart(h)
		w.Write(p.content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	s.checkAgainstSpec(req, resp, raw)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("POST %s: decode %s: %v", path, raw, err)
		}
	}
	return resp.StatusCode
}

// download GETs a file; the response's status and headers are checked
// against the OpenAPI document (its body is a file, not JSON).
func (s *stack) download(path, token string) (*http.Response, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.checkAgainstSpec(req, resp, raw)
		return resp, raw
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		s.t.Fatalf("GET %s: not in the OpenAPI document: %v", path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		s.t.Errorf("GET %s -> %d does not match the OpenAPI document: %v", path, resp.StatusCode, err)
	}
	return resp, raw
}

// gpsLatitudeBytes are the rationals of 31°14'30"N the test photo's GPS
// IFD holds: they must not survive the upload.
var gpsLatitudeBytes = []byte{0, 0, 0, 31, 0, 0, 0, 1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8, 0, 0, 0, 100}

// photoWithGPS is a JPEG with an Exif segment holding an orientation and
// a GPS position, as a phone's camera writes it.
func photoWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 120, 255})
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, nil); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2A\x00\x00\x00\x08")
	tiff.Write([]byte{0, 2, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38, 0, 0, 0, 0})
	tiff.Write([]byte{0, 2, 0, 1, 0, 2, 0, 0, 0, 2, 'N', 0, 0, 0, 0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68, 0, 0, 0, 0})
	tiff.Write(gpsLatitudeBytes)
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	raw := enc.Bytes()
	return append(append(append([]byte{}, raw[:2]...), append(app1, seg...)...), raw[2:]...)
}

var testPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

type attachmentList struct {
	Attachments []struct {
		ID          string `json:"id"`
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		SHA256      string `json:"sha256"`
		UploadedBy  string `json:"uploaded_by"`
	} `json:"attachments"`
}

type problemDoc struct {
	Errors []struct {
		Field string `json:"field"`
		Code  string `json:"code"`
	} `json:"errors"`
}

func (p problemDoc) fields() string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+":"+e.Code)
	}
	return strings.Join(out, ",")
}

// fileTracked files a complaint as the customer and returns its id and
// tracking token once it is acknowledged.
func (s *stack) fileTracked(customer, order string, changes map[string]any) (string, string) {
	s.t.Helper()
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["customer"] = map[string]any{"id": customer, "name": "Zhang Wei", "phone": "+86 139 1234 5678", "email": customer + "@example.com"}
	body["order_ref"] = order
	for k, v := range changes {
		body[k] = v
	}
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created)
	eventually(s.t, "acknowledged", func() bool {
		var tr struct{ Status string }
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		return tr.Status == complaint.StatusAcknowledged
	})
	return created.ID, created.TrackingToken
}

// TestAttachmentsThroughTheStack: files are stored, listed and downloadable
// by the right people, refused to others (the attacks: another case's
// tracking link, a guessed id, a case's file through another case's route,
// another team's agent, an engineer), checked by content, stripped of GPS,
// limited, and recorded in the audit trail as ids and digests.
func TestAttachmentsThroughTheStack(t *testing.T) {
	s := startStack(t, "TEAM_ISOLATION", "on", "ATTACHMENT_MAX_BYTES", "64KiB", "ATTACHMENT_CASE_MAX_BYTES", "100KiB", "ATTACHMENT_MAX_FILES", "5")
	agent := s.token("agent-files", "agent", "billing")
	otherAgent := s.token("agent-elsewhere", "agent", "delivery")
	engineer := s.token("eng-files", "engineer", "billing")
	manager := s.token("mgr-files", "manager", "billing")
	for _, tok := range []string{agent, otherAgent, engineer, manager} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	caseA, tokA := s.fileTracked("cust-files-a", "ORD-F-1", nil)
	caseB, tokB := s.fileTracked("cust-files-b", "ORD-F-2", nil)

	// The customer attaches a photo taken with GPS on.
	photo := photoWithGPS(t)
	var up attachmentList
	if got := s.upload("/v1/track/"+tokA+"/attachments", "", []filePart{{"file", "../../IMG_0001.JPG", photo}}, &up); got != 201 || len(up.Attachments) != 1 {
		t.Fatalf("upload = %d %+v", got, up)
	}
	photoID := up.Attachments[0].ID
	if a := up.Attachments[0]; a.Filename != "IMG_0001.JPG" || a.ContentType != "image/jpeg" {
		t.Errorf("stored as %+v", a)
	}

	t.Run("the customer downloads it without its GPS", func(t *testing.T) {
		resp, got := s.download("/v1/track/"+tokA+"/attachments/"+photoID, "")
		if resp.StatusCode != 200 {
			t.Fatalf("download = %d", resp.StatusCode)
		}
		if bytes.Contains(got, gpsLatitudeBytes) || bytes.Contains(got, []byte{0x88, 0x25}) {
			t.Error("the downloaded photo still holds its GPS position")
		}
		if _, err := jpeg.Decode(bytes.NewReader(got)); err != nil {
			t.Errorf("the downloaded photo does not decode: %v", err)
		}
		sum := sha256.Sum256(got)
		if hex.EncodeToString(sum[:]) != up.Attachments[0].SHA256 {
			t.Error("the digest is not the stored content's")
		}
		for h, want := range map[string]string{"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
			"Content-Disposition":     `attachment; filename="IMG_0001.JPG"; filename*=UTF-8''IMG_0001.JPG`,
			"Content-Security-Policy": "sandbox; default-src 'none'"} {
			if resp.Header.Get(h) != want {
				t.Errorf("%s: %q, want %q", h, resp.Header.Get(h), want)
			}
		}
	})

	t.Run("refused files leave nothing", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			parts  []filePart
			status int
			fields string
		}{
			{"html named as a photo", []filePart{{"file", "photo.jpg", []byte("<html><script>alert(document.cookie)</script></html>")}}, 422, "files[0]:file_type_not_allowed"},
			{"svg", []filePart{{"file", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}}, 422, "files[0]:file_type_not_allowed"},
			{"a good file and an executable", []filePart{{"file", "receipt.pdf", testPDF}, {"file", "setup.pdf", append([]byte("MZ\x90\x00\x03"), make([]byte, 200)...)}}, 422, "files[1]:file_type_not_allowed"},
			{"too large", []filePart{{"file", "big.pdf", append(append([]byte{}, testPDF...), make([]byte, 400<<10)...)}}, 413, "files[0]:file_too_large"},
			{"empty", []filePart{{"file", "empty.pdf", nil}}, 422, "files[0]:file_empty"},
			{"no file", []filePart{{"note", "", []byte("hi")}}, 422, "note:unknown_field,file:required"},
		} {
			var p problemDoc
			if got := s.upload("/v1/track/"+tokA+"/attachments", "", c.parts, &p); got != c.status || p.fields() != c.fields {
				t.Errorf("%s: %d %s, want %d %s", c.name, got, p.fields(), c.status, c.fields)
			}
		}
		var l attachmentList
		s.must(200, "GET", "/v1/track/"+tokA+"/attachments", "", nil, &l)
		if len(l.Attachments) != 1 {
			t.Errorf("%d files listed after refusals, want 1", len(l.Attachments))
		}
	})

	t.Run("attacks on the customer's routes", func(t *testing.T) {
		guess := "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"
		for name, path := range map[string]string{
			"another case's tracking link": "/v1/track/" + tokB + "/attachments/" + photoID,
			"a guessed id":                 "/v1/track/" + tokA + "/attachments/" + guess,
			"a path for an id":             "/v1/track/" + tokA + "/attachments/..%2f..%2fetc%2fpasswd",
			"a made-up token":              "/v1/track/not-a-token/attachments/" + photoID,
		} {
			if resp, body := s.download(path, ""); resp.StatusCode != 404 || bytes.Contains(body, []byte("JFIF")) {
				t.Errorf("%s: %d", name, resp.StatusCode)
			}
		}
		var l attachmentList
		s.must(200, "GET", "/v1/track/"+tokB+"/attachments", "", nil, &l)
		if len(l.Attachments) != 0 {
			t.Errorf("case B's tracking link lists %d files of case A", len(l.Attachments))
		}
	})

	// Staff of the case's team see it, attach their own evidence, and
	// the customer does not see staff's files.
	var staffUp attachmentList
	if got := s.upload("/v1/complaints/"+caseA+"/attachments", agent, []filePart{{"file", "call-notes.pdf", testPDF}}, &staffUp); got != 201 {
		t.Fatalf("staff upload = %d", got)
	}
	staffFile := staffUp.Attachments[0].ID

	t.Run("staff who may see the case", func(t *testing.T) {
		for _, tok := range []string{agent, manager} {
			if resp, _ := s.download("/v1/complaints/"+caseA+"/attachments/"+photoID, tok); resp.StatusCode != 200 {
				t.Errorf("download = %d", resp.StatusCode)
			}
		}
		var v struct {
			Attachments []struct{ ID, Filename string } `json:"attachments"`
		}
		s.must(200, "GET", "/v1/complaints/"+caseA, agent, nil, &v)
		if len(v.Attachments) != 2 || v.Attachments[0].Filename != "IMG_0001.JPG" {
			t.Errorf("the case view lists %+v", v.Attachments)
		}
		if resp, _ := s.download("/v1/track/"+tokA+"/attachments/"+staffFile, ""); resp.StatusCode != 404 {
			t.Errorf("the customer downloads staff's evidence: %d", resp.StatusCode)
		}
	})

	t.Run("attacks on the staff routes", func(t *testing.T) {
		for _, c := range []struct {
			name, token, path string
			want              int
		}{
			{"another team's agent downloads", otherAgent, "/v1/complaints/" + caseA + "/attachments/" + photoID, 404},
			{"another team's agent lists", otherAgent, "/v1/complaints/" + caseA + "/attachments", 404},
			{"case A's file through case B's route", manager, "/v1/complaints/" + caseB + "/attachments/" + photoID, 404},
			{"an engineer downloads", engineer, "/v1/complaints/" + caseA + "/attachments/" + photoID, 403},
			{"no token", "", "/v1/complaints/" + caseA + "/attachments/" + photoID, 401},
		} {
			if resp, body := s.download(c.path, c.token); resp.StatusCode != c.want || bytes.Contains(body, []byte("JFIF")) {
				t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
			}
		}
		if got := s.upload("/v1/complaints/"+caseA+"/attachments", otherAgent, []filePart{{"file", "x.pdf", testPDF}}, new(map[string]any)); got != 404 {
			t.Errorf("another team's agent uploads: %d", got)
		}
		if got := s.upload("/v1/complaints/"+caseA+"/attachments", engineer, []filePart{{"file", "x.pdf", testPDF}}, new(map[string]any)); got != 403 {
			t.Errorf("an engineer uploads: %d", got)
		}
		var l attachmentList
		s.must(200, "GET", "/v1/complaints/"+caseA+"/attachments", engineer, nil, &l)
		if len(l.Attachments) != 2 || l.Attachments[0].Filename != "attachment.JPG" {
			t.Errorf("the engineer's masked list: %+v", l.Attachments)
		}
	})

	t.Run("a retried upload stores nothing twice", func(t *testing.T) {
		var first, again attachmentList
		parts := []filePart{{"file", "statement.pdf", testPDF}}
		if got := s.upload("/v1/complaints/"+caseA+"/attachments", agent, parts, &first, "Idempotency-Key", "retry-1"); got != 201 {
			t.Fatalf("first = %d", got)
		}
		if got := s.upload("/v1/complaints/"+caseA+"/attachments", agent, parts, &again, "Idempotency-Key", "retry-1"); got != 201 {
			t.Fatalf("retry = %d", got)
		}
		if first.Attachments[0].ID != again.Attachments[0].ID {
			t.Errorf("the retry stored %s, the first %s", again.Attachments[0].ID, first.Attachments[0].ID)
		}
		var l attachmentList
		s.must(200, "GET", "/v1/complaints/"+caseA+"/attachments", agent, nil, &l)
		if len(l.Attachments) != 3 {
			t.Errorf("%d files after a retried upload, want 3", len(l.Attachments))
		}
	})

	t.Run("the case's limits", func(t *testing.T) {
		// 100 KiB a case: the photo and the PDF leave room for one 60 KiB
		// file, not two.
		big := append(append([]byte{}, testPDF...), make([]byte, 60<<10)...)
		if got := s.upload("/v1/track/"+tokA+"/attachments", "", []filePart{{"file", "a.pdf", big}}, new(map[string]any)); got != 201 {
			t.Fatalf("first large file = %d", got)
		}
		var p problemDoc
		if got := s.upload("/v1/track/"+tokA+"/attachments", "", []filePart{{"file", "b.pdf", big}}, &p); got != 413 || p.fields() != "files[0]:case_files_too_large" {
			t.Errorf("over the case's bytes: %d %s", got, p.fields())
		}
		s.must(200, "POST", "/v1/track/"+tokA+"/withdraw", "", nil, nil)
		if got := s.upload("/v1/track/"+tokA+"/attachments", "", []filePart{{"file", "late.pdf", testPDF}}, new(map[string]any)); got != 409 {
			t.Errorf("upload to a withdrawn case: %d", got)
		}
	})

	// The answer to a question carries its files to the workflow as ids
	// and digests only.
	t.Run("an answer with files", func(t *testing.T) {
		s.must(200, "POST", "/v1/complaints/"+caseB+"/request-info", manager, map[string]any{"question": "Please send the receipt."}, nil)
		eventually(t, "awaiting info", func() bool {
			var tr struct{ Status string }
			s.must(200, "GET", "/v1/track/"+tokB, "", nil, &tr)
			return tr.Status == complaint.StatusAwaitingInfo
		})
		var ans struct {
			Status      string
			Attachments []struct{ ID, SHA256 string }
		}
		if got := s.upload("/v1/track/"+tokB+"/info", "", []filePart{{"answer", "", []byte("Here is the receipt.")}, {"file", "receipt.pdf", testPDF}}, &ans); got != 200 || len(ans.Attachments) != 1 {
			t.Fatalf("answer = %d %+v", got, ans)
		}
		evs, err := s.app.Store.Events(context.Background(), caseB)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			if e.Type != "info_received" {
				continue
			}
			b, _ := json.Marshal(e.Payload)
			want := `"attachments":[{"id":"` + ans.Attachments[0].ID + `","sha256":"` + ans.Attachments[0].SHA256 + `"}]`
			found = strings.Contains(string(b), want) && !strings.Contains(string(b), "receipt.pdf")
			if !found {
				t.Errorf("info_received payload %s, want %s and no file name", b, want)
			}
		}
		if !found {
			t.Error("no info_received event")
		}
	})

	// The audit trail holds each later addition, by whom, as ids and digests.
	evs, err := s.app.Store.Events(context.Background(), caseA)
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, e := range evs {
		if e.Type == "attachments_added" {
			b, _ := json.Marshal(e.Payload)
			added = append(added, e.Actor+" "+string(b))
		}
	}
	if len(added) != 4 || !strings.HasPrefix(added[0], "customer ") || !strings.Contains(added[0], photoID) ||
		!strings.HasPrefix(added[1], "agent-files ") || strings.Contains(strings.Join(added, ""), "IMG_0001") {
		t.Errorf("attachments_added events:\n%s", strings.Join(added, "\n"))
	}
}
