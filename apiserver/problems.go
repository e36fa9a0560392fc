package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// FieldProblem names one bad field.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

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
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(c, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the limit is %d bytes", mbe.Limit))
			return false
		}
		problem(c, http.StatusBadRequest, "unreadable body", "")
		return false
	}
	if !utf8.Valid(body) {
		problem(c, http.StatusBadRequest, "malformed JSON", "the body is not valid UTF-8")
		return false
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
			problem(c, http.StatusBadRequest, "wrong type", "", FieldProblem{Field: field, Message: "must be a " + jsonKind(typeErr.Type.Kind().String())})
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			problem(c, http.StatusBadRequest, "malformed JSON", "the body is not a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			problem(c, http.StatusBadRequest, "unknown field", "", FieldProblem{Field: f, Message: "is not a known field"})
		default:
			problem(c, http.StatusBadRequest, "malformed JSON", "")
		}
		return false
	}
	if dec.More() {
		problem(c, http.StatusBadRequest, "malformed JSON", "trailing data after the JSON object")
		return false
	}
	return true
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
	switch {
	case isWorkflowGone(err):
		problem(c, http.StatusConflict, "case closed", "the case is no longer open for this action")
	case errors.Is(err, store.ErrNotFound), errors.As(err, &nf):
		problem(c, http.StatusNotFound, "not found", "")
	case errors.As(err, &app):
		s.updateProblem(c, app.Message())
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &unavailable), errors.As(err, &deadline):
		s.logger.Warn("temporal unavailable", "op", op, "err", err)
		c.Header("Retry-After", "5")
		problem(c, http.StatusServiceUnavailable, "temporarily unavailable", "please retry shortly")
	default:
		s.logger.Error("request failed", "op", op, "err", err)
		problem(c, http.StatusInternalServerError, "internal error", "")
	}
}

// isWrongState says the workflow refused an update as not allowed in the
// case's current state.
func isWrongState(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && strings.HasPrefix(app.Message(), wf.ErrWrongState.Error()+": ")
}

func isWorkflowGone(err error) bool {
	return err != nil && strings.Contains(err.Error(), "workflow execution already completed")
}

// updateProblem maps a rejected update's reason (the validator's error
// text, see workflows' error kinds) to 422, 409 or 403.
func (s *Server) updateProblem(c *gin.Context, msg string) {
	switch {
	case strings.HasPrefix(msg, wf.ErrInvalid.Error()+": "):
		rest := strings.TrimPrefix(msg, wf.ErrInvalid.Error()+": ")
		field, text, ok := strings.Cut(rest, ": ")
		if !ok {
			field, text = "(body)", rest
		}
		invalidFields(c, FieldProblem{Field: field, Message: text})
	case strings.HasPrefix(msg, wf.ErrWrongState.Error()+": "):
		problem(c, http.StatusConflict, "not allowed in the case's current state", strings.TrimPrefix(msg, wf.ErrWrongState.Error()+": "))
	case strings.HasPrefix(msg, wf.ErrAuthority.Error()), strings.HasPrefix(msg, wf.ErrSelfApproval.Error()):
		problem(c, http.StatusForbidden, "forbidden", msg)
	default:
		s.logger.Error("update failed", "err", msg)
		problem(c, http.StatusInternalServerError, "internal error", "")
	}
}
