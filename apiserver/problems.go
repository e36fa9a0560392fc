package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"io"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// FieldProblem names one bad field: its English message, and the
// problem's stable code and parameters, from which clients (the pages)
// word it in their reader's language (see workflows.Problem).
type FieldProblem = complaint.FieldError

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Errors []FieldProblem `json:"errors,omitempty"`
}

func problem(c *gin.Context, status int, title, detail string, fields ...FieldProblem) {
	c.Header("Content-Type", "application/problem+json")
	c.Writer.WriteHeader(status)
	_ = json.NewEncoder(c.Writer).Encode(Problem{Type: "about:blank", Title: title, Status: status, Detail: detail, Errors: fields})
	c.Abort()
}

func invalidFields(c *gin.Context, fields ...FieldProblem) {
	problem(c, http.StatusUnprocessableEntity, "invalid request", "one or more fields are invalid", fields...)
}

// decode reads a JSON body strictly: unknown fields, wrong types, trailing
// data and invalid UTF-8 are 400 with the field named; too large is 413.
// It writes the problem and returns false on failure.
func decode(c *gin.Context, dst any) bool {
	ok, bad := decodeKeepingText(c, dst)
	if ok && len(bad) > 0 {
		invalidFields(c, bad...)
		return false
	}
	return ok
}

// decodeKeepingText is decode for a handler that validates every field
// itself: a body that decodes is kept, and the strings no field may hold
// (see unstorableText) are returned for the handler to report with the
// other bad fields, all at once.
func decodeKeepingText(c *gin.Context, dst any) (bool, []FieldProblem) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(c, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the limit is %d bytes", mbe.Limit))
			return false, nil
		}
		problem(c, http.StatusBadRequest, "unreadable body", "")
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			field := typeErr.Field
			if field == "" {
				field = "(body)"
			}
			problem(c, http.StatusBadRequest, "wrong type", "", complaint.NewProblem(complaint.CodeWrongType, "must be a "+jsonKind(typeErr.Type.Kind().String()), "type", jsonKind(typeErr.Type.Kind().String())).At(field))
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			problem(c, http.StatusBadRequest, "malformed JSON", "the body is not a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			problem(c, http.StatusBadRequest, "unknown field", "", complaint.NewProblem(complaint.CodeUnknownField, "is not a known field").At(f))
		default:
			problem(c, http.StatusBadRequest, "malformed JSON", "")
		}
		return false, nil
	}
	if dec.More() {
		problem(c, http.StatusBadRequest, "malformed JSON", "trailing data after the JSON object")
		return false, nil
	}
	return true, unstorableText(body)
}

// unstorableText names every string in a JSON body (values and keys, by
// path) that no field may hold, whatever it is: NUL, which PostgreSQL
// refuses in text and jsonb, and U+FFFD, which Go's decoder puts in place
// of invalid UTF-8 and of lone surrogates (`"\ud800"`), so that after
// decoding it is the only trace of them (see complaint.CheckText). The
// other control characters depend on the field and are checked with it.
func unstorableText(body []byte) []FieldProblem {
	var v any
	if !utf8.Valid(body) || json.Unmarshal(body, &v) != nil {
		// The strict decode succeeded, so the only way here is invalid
		// UTF-8: find where by decoding what Go made of it.
		_ = json.Unmarshal(bytes.ToValidUTF8(body, []byte("\ufffd")), &v)
	}
	var out []FieldProblem
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch t := v.(type) {
		case string:
			if p, bad := storableText(t); bad {
				out = append(out, p.At(path))
			}
		case []any:
			for i, e := range t {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if prob, bad := storableText(k); bad {
					out = append(out, prob.Prefixed("the field's name ").At(p))
					continue
				}
				walk(p, t[k])
			}
		}
	}
	walk("", v)
	for i := range out {
		if out[i].Field == "" {
			out[i].Field = "(body)"
		}
	}
	return out
}

func storableText(s string) (complaint.Problem, bool) {
	switch {
	case strings.ContainsRune(s, 0):
		return complaint.NewProblem(complaint.CodeControlCharacter, "must not contain NUL (\\u0000)", "char", "U+0000"), true
	case strings.ContainsRune(s, utf8.RuneError):
		return complaint.NewProblem(complaint.CodeInvalidEncoding, "must be valid UTF-8 text (no invalid bytes, lone surrogates such as \\ud800, or U+FFFD)"), true
	}
	return complaint.Problem{}, false
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "float64", "uint":
		return "number"
	case "struct", "map":
		return "JSON object"
	case "slice":
		return "JSON array"
	case "bool":
		return "boolean"
	}
	return k
}

// fail maps an error from the store or Temporal to a response, in this one
// place. Internal errors are logged; the client sees only generic text.
func (s *Server) fail(c *gin.Context, op string, err error) {
	var app *temporal.ApplicationError
	var nf *serviceerror.NotFound
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var notReady *serviceerror.WorkflowNotReady
	switch {
	case errors.Is(err, errCaseClosed):
		problem(c, http.StatusConflict, "case closed", "the case is no longer open for this action")
	case errors.Is(err, store.ErrNotFound), errors.As(err, &nf):
		problem(c, http.StatusNotFound, "not found", "")
	case errors.As(err, &app):
		s.kindProblem(c, op, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &unavailable), errors.As(err, &deadline), errors.As(err, &notReady):
		s.logger.Warn("temporal unavailable", "op", op, "err", err)
		c.Header("Retry-After", "5")
		problem(c, http.StatusServiceUnavailable, "temporarily unavailable", "please retry shortly")
	default:
		s.logger.Error("request failed", "op", op, "err", err)
		problem(c, http.StatusInternalServerError, "internal error", "")
	}
}

// errCaseClosed is an update sent to a case whose workflow has completed:
// Temporal answers it with NotFound, and the case row exists (the caller
// read it), so the case is closed rather than missing.
var errCaseClosed = errors.New("case closed")

// notReady says Temporal refused an update because the workflow task that
// was to take it failed (a worker starved of CPU past the deadlock
// detector's second, or one that died): nothing was admitted, and the
// next workflow task will take the same update.
func notReady(err error) bool {
	var nr *serviceerror.WorkflowNotReady
	return errors.As(err, &nr)
}

// isWrongState says the workflow refused an update as not allowed in the
// case's current state.
func isWrongState(err error) bool { return wf.ErrorType(err) == wf.ErrTypeWrongState }

// kindProblem maps an error of one of the workflows' kinds (a rejected
// update's application error, or a validator's error called here) to
// 422 with every bad field, 409 or 403, by its type; anything else is a
// 500 with generic text.
func (s *Server) kindProblem(c *gin.Context, op string, err error) {
	err = wf.AppError(err)
	var app *temporal.ApplicationError
	errors.As(err, &app)
	switch wf.ErrorType(err) {
	case wf.ErrTypeInvalid:
		fields := wf.InvalidFields(err)
		if len(fields) == 0 {
			fields = []FieldProblem{complaint.NewProblem(complaint.CodeInvalid, "is invalid").At("(body)")}
		}
		invalidFields(c, fields...)
	case wf.ErrTypeWrongState:
		problem(c, http.StatusConflict, "not allowed in the case's current state", app.Message())
	case wf.ErrTypeForbidden:
		problem(c, http.StatusForbidden, "forbidden", app.Message())
	case wf.ErrTypeCaseBlocked:
		// Not the caller's doing: the case waits for an operator to repair
		// a change its records refused (the StoreRejectingChanges alert).
		c.Header("Retry-After", "300")
		problem(c, http.StatusServiceUnavailable, "the case is waiting for repair", app.Message())
	case wf.ErrTypeStoreRejected:
		s.logger.Error("the store refused a change", "op", op, "err", err)
		problem(c, http.StatusInternalServerError, "internal error", "the change was not recorded; nothing changed")
	default:
		s.logger.Error("request failed", "op", op, "err", err)
		problem(c, http.StatusInternalServerError, "internal error", "")
	}
}
