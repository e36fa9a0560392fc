package apiserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/attachments"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// Attachments (evidence): uploads as multipart/form-data, one or more
// parts named "file" (and, answering a question, a part named "answer");
// the files are checked and stored (internal/attachments), then the case's
// workflow is told their ids and digests. A request is all or nothing:
// when one file is refused, none is kept, and the answer names every
// refused file as files[i].

// AttachmentView is one attachment as the API lists it.
type AttachmentView struct {
	ID          string    `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ScanStatus  string    `json:"scan_status"`
	UploadedBy  string    `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// uploadBodyLimit is the largest body an upload route reads: at most
// MaxAttachmentsPerRequest files, and no more than a case may hold, plus
// room for the form's framing.
func (s *Server) uploadBodyLimit() int64 {
	l := s.attachments.Limits()
	return min(l.CaseMaxBytes, int64(complaint.MaxAttachmentsPerRequest)*s.attachments.ReadLimit()) + 1<<20
}

// isUploadRoute says whether route takes files (and so a larger body).
func isUploadRoute(method, route string) bool {
	return method == http.MethodPost && (strings.HasSuffix(route, "/attachments") || route == "/v1/track/:token/info")
}

// isMultipart says whether the request is multipart/form-data.
func isMultipart(c *gin.Context) bool {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// canonicalMultipart is a multipart body without its boundary, which a
// client draws afresh for each request: every part's name, file name and
// a digest of its content, in order, so a retried upload with the same
// Idempotency-Key has the fingerprint of the first (a body that does not
// parse is itself).
func canonicalMultipart(c *gin.Context, body []byte) []byte {
	_, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return body
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out bytes.Buffer
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out.Bytes()
		}
		if err != nil {
			return body
		}
		h := sha256.New()
		if _, err := io.Copy(h, part); err != nil {
			return body
		}
		fmt.Fprintf(&out, "%q %q %x\n", part.FormName(), part.FileName(), h.Sum(nil))
	}
}

// receivedForm is what an upload carried.
type receivedForm struct {
	files  []attachments.Attachment
	answer string
}

// receiveFiles reads a multipart upload and stores its files on cs.
// withAnswer says the form may carry an "answer" part. It writes the
// problem and returns false when the form is malformed or any file is
// refused (then nothing is kept).
func (s *Server) receiveFiles(c *gin.Context, cs store.Case, up attachments.Uploader, withAnswer bool) (receivedForm, bool) {
	var f receivedForm
	if !isMultipart(c) {
		problem(c, http.StatusUnsupportedMediaType, "unsupported media type", "send the files as multipart/form-data, each in a part named file")
		return f, false
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		problem(c, http.StatusBadRequest, "malformed form", "the body is not multipart/form-data")
		return f, false
	}
	var errs []FieldProblem
	status := http.StatusUnprocessableEntity
	n := 0
	fail := func(st int, title, detail string) (receivedForm, bool) {
		s.attachments.Forget(context.WithoutCancel(c), cs.ID, f.files)
		problem(c, st, title, detail)
		return receivedForm{}, false
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return fail(http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the limit is %d bytes", mbe.Limit))
			}
			return fail(http.StatusBadRequest, "malformed form", "the multipart body could not be read")
		}
		switch name := part.FormName(); {
		case name == "file":
			field := fmt.Sprintf("files[%d]", n)
			n++
			if n > complaint.MaxAttachmentsPerRequest {
				errs = append(errs, complaint.NewProblem(complaint.CodeTooMany, fmt.Sprintf("at most %d files at once", complaint.MaxAttachmentsPerRequest),
					"max", complaint.MaxAttachmentsPerRequest).At(field))
				continue
			}
			a, err := s.attachments.StoreAs(c, attachmentID(c, cs.ID, n), cs.ID, up, part.FileName(), part)
			var ref *attachments.Refused
			var mbe *http.MaxBytesError
			switch {
			case err == nil:
				f.files = append(f.files, a)
			case errors.As(err, &ref):
				if ref.Status == http.StatusRequestEntityTooLarge {
					status = ref.Status
				}
				errs = append(errs, ref.Problem.At(field))
			case errors.As(err, &mbe):
				return fail(http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the limit is %d bytes", mbe.Limit))
			case errors.Is(err, attachments.ErrScanUnavailable):
				c.Header("Retry-After", "30")
				return fail(http.StatusServiceUnavailable, "temporarily unavailable", "the files could not be checked; please retry shortly")
			default:
				s.logger.Error("storing an attachment failed", "case_id", cs.ID, "err", err)
				return fail(http.StatusInternalServerError, "internal error", "")
			}
		case name == "answer" && withAnswer:
			b, err := io.ReadAll(io.LimitReader(part, 4*complaint.MaxText+1))
			if err != nil {
				return fail(http.StatusBadRequest, "malformed form", "the answer could not be read")
			}
			f.answer = string(b)
		default:
			errs = append(errs, complaint.NewProblem(complaint.CodeUnknownField, "is not a known field").At(name))
		}
	}
	if n == 0 && !withAnswer {
		errs = append(errs, complaint.Required().At("file"))
	}
	if len(errs) > 0 {
		s.attachments.Forget(context.WithoutCancel(c), cs.ID, f.files)
		problem(c, status, "invalid request", "one or more files were refused; none was kept", errs...)
		return receivedForm{}, false
	}
	return f, true
}

// attachmentID is the id of the n-th file of an upload: derived from the
// request's Idempotency-Key (with its caller and case) when it has one, so
// a retry stores nothing twice and sends the case the same ids (its
// update id is derived from the same key); else a new one.
func attachmentID(c *gin.Context, caseID string, n int) string {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		return uuid.NewString()
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("attachment:%s:%s:%s:%d", caseID, c.FullPath(), key+callerScope(c), n))).String()
}

func refs(as []attachments.Attachment) []complaint.AttachmentRef {
	out := make([]complaint.AttachmentRef, len(as))
	for i, a := range as {
		out[i] = a.Ref()
	}
	return out
}

// recordAttachments tells the case's workflow of files added outside an
// answer; when it does not take them, the files are forgotten.
func (s *Server) recordAttachments(c *gin.Context, cs store.Case, as []attachments.Attachment, actor complaint.Actor) bool {
	_, err := s.update(c, cs, wf.UpdateAttachments, complaint.AttachmentsAdded{Actor: actor, Attachments: refs(as)}, nil)
	if err != nil {
		s.attachments.Forget(context.WithoutCancel(c), cs.ID, as)
		s.fail(c, "attachments", err)
		return false
	}
	return true
}

func views(as []attachments.Attachment, masked bool) []AttachmentView {
	out := make([]AttachmentView, 0, len(as))
	for _, a := range as {
		v := AttachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256,
			ScanStatus: a.ScanStatus, UploadedBy: a.Uploader.Kind, CreatedAt: a.CreatedAt}
		if a.Uploader.Kind == attachments.UploaderStaff {
			v.UploadedBy = a.Uploader.ID
		}
		if masked {
			// The name may hold personal data; the type is enough to
			// know what the file is.
			v.Filename = "attachment" + path.Ext(a.Filename)
		}
		out = append(out, v)
	}
	return out
}

// --- staff ---

// caseAttachments lists a case's files for staff who may see the case.
func (s *Server) caseAttachments(c *gin.Context) {
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	list, err := s.attachments.List(c, cs.ID)
	if err != nil {
		s.fail(c, "attachments", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"attachments": views(list, !seesPersonalData(staffOf(c).Role))})
}

// uploadCaseAttachments stores files staff attach to a case they may see.
func (s *Server) uploadCaseAttachments(c *gin.Context) {
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	if !complaint.IsOpen(cs.Status) {
		problem(c, http.StatusConflict, "case closed", "the case is no longer open for this action")
		return
	}
	me := staffOf(c)
	f, ok := s.receiveFiles(c, cs, attachments.Uploader{Kind: attachments.UploaderStaff, ID: me.ID}, false)
	if !ok {
		return
	}
	if !s.recordAttachments(c, cs, f.files, actorOf(c)) {
		return
	}
	c.JSON(http.StatusCreated, gin.H{"attachments": views(f.files, false)})
}

// downloadCaseAttachment serves a file to staff who may see the case and
// its personal data (handlers: the roles that see cases unmasked).
func (s *Server) downloadCaseAttachment(c *gin.Context) {
	if !seesPersonalData(staffOf(c).Role) {
		problem(c, http.StatusForbidden, "forbidden", "your role sees cases masked and may not download their files")
		return
	}
	cs, err := s.visibleCase(c, c.Param("id"))
	if err != nil {
		s.fail(c, "get case", err)
		return
	}
	s.serveAttachment(c, cs.ID, c.Param("attachment"), nil)
}

// --- customer (tracking link) ---

// customerSees says which files the customer sees: those they (or their
// emails) attached; staff's evidence stays internal.
func customerSees(a attachments.Attachment) bool {
	return a.Uploader.Kind == attachments.UploaderCustomer || a.Uploader.Kind == attachments.UploaderEmail
}

// customerAttachments is the case's files the customer sees.
func (s *Server) customerAttachments(c *gin.Context, caseID string) ([]AttachmentView, error) {
	list, err := s.attachments.List(c, caseID)
	if err != nil {
		return nil, err
	}
	mine := list[:0]
	for _, a := range list {
		if customerSees(a) {
			mine = append(mine, a)
		}
	}
	return views(mine, false), nil
}

func (s *Server) trackAttachments(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	list, err := s.customerAttachments(c, cs.ID)
	if err != nil {
		s.fail(c, "attachments", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"attachments": list})
}

// trackUpload stores files the customer adds to their open case.
func (s *Server) trackUpload(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	if !complaint.IsOpen(cs.Status) {
		problem(c, http.StatusConflict, "case closed", "the case is no longer open for this action")
		return
	}
	f, ok := s.receiveFiles(c, cs, attachments.Uploader{Kind: attachments.UploaderCustomer}, false)
	if !ok {
		return
	}
	if !s.recordAttachments(c, cs, f.files, complaint.Actor{}) {
		return
	}
	c.JSON(http.StatusCreated, gin.H{"attachments": views(f.files, false)})
}

// trackInfoWithFiles answers a question with files (multipart: the answer
// and the files); the workflow gets the answer and the files' refs.
func (s *Server) trackInfoWithFiles(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	if cs.Status != complaint.StatusAwaitingInfo {
		problem(c, http.StatusConflict, "not allowed in the case's current state", "no question is waiting for your answer")
		return
	}
	f, ok := s.receiveFiles(c, cs, attachments.Uploader{Kind: attachments.UploaderCustomer}, true)
	if !ok {
		return
	}
	st, err := s.update(c, cs, wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: f.answer, Attachments: refs(f.files)}, customerViewAllows(wf.UpdateCustomerInfo))
	if err != nil {
		s.attachments.Forget(context.WithoutCancel(c), cs.ID, f.files)
		s.fail(c, wf.UpdateCustomerInfo, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_number": st.CaseNumber, "status": st.Status, "survey_status": st.SurveyStatus,
		"attachments": views(f.files, false)})
}

func (s *Server) trackDownload(c *gin.Context) {
	cs, ok := s.caseByTracking(c)
	if !ok {
		return
	}
	s.serveAttachment(c, cs.ID, c.Param("attachment"), customerSees)
}

// serveAttachment streams one of caseID's files (visible, when set, says
// which the caller may have) as a download no browser renders in the
// API's origin: its detected type, nosniff, attachment disposition and a
// sandboxing CSP.
func (s *Server) serveAttachment(c *gin.Context, caseID, id string, visible func(attachments.Attachment) bool) {
	a, rc, err := s.attachments.Open(c, caseID, id)
	if err == nil && visible != nil && !visible(a) {
		rc.Close()
		err = attachments.ErrNotFound
	}
	if errors.Is(err, attachments.ErrNotFound) {
		problem(c, http.StatusNotFound, "not found", "")
		return
	}
	if err != nil {
		s.fail(c, "attachment", err)
		return
	}
	defer rc.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("Content-Disposition", attachments.ContentDisposition(a.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, no-store")
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		// The status is sent; the client sees a short body.
		s.logger.Warn("attachment download cut short", "case_id", caseID, "attachment_id", id, "err", err)
	}
}
