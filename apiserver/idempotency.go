package apiserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/internal/store"
)

// ctxReplay marks a request whose Idempotency-Key was used before with
// the same request.
const ctxReplay = "idempotent-replay"

// idempotency gives every route the same Idempotency-Key semantics (the
// IETF draft's, as Stripe's): a key is scoped to its caller and route; the
// first request's fingerprint (SHA-256 of method, path and the canonical
// JSON body) is kept in PostgreSQL; the same key with the same request
// goes on to its handler, which returns the earlier result (the intake
// finds the case filed under the key, a decision reuses the Temporal
// update id derived from it), and with a different request is refused
// with 422. A first request refused with a 4xx changed nothing, so its key
// is freed for a corrected request. It runs after authentication.
func (s *Server) idempotency() gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		if key == "" || c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
			c.Next()
			return
		}
		if len(key) > 200 || !utf8.ValidString(key) {
			invalidFields(c, complaint.TooLong(200).At("Idempotency-Key"))
			return
		}
		var body []byte
		if c.Request.Body != nil {
			b, err := io.ReadAll(c.Request.Body)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					problem(c, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the limit is %d bytes", mbe.Limit))
					return
				}
				problem(c, http.StatusBadRequest, "unreadable body", "")
				return
			}
			body = b
			c.Request.Body = io.NopCloser(bytes.NewReader(body))
		}
		canon := canonicalJSON(body)
		if isMultipart(c) {
			canon = canonicalMultipart(c, body)
		}
		route := c.Request.Method + " " + c.Request.URL.Path
		scope := sha256.Sum256([]byte(idempotencyCaller(c, canon) + "\x00" + route + "\x00" + key))
		fp := sha256.Sum256([]byte(route + "\x00" + string(canon)))
		first, err := s.store.ClaimIdempotencyKey(c, scope[:], fp[:])
		if errors.Is(err, store.ErrKeyReused) {
			problem(c, http.StatusUnprocessableEntity, "idempotency key reused with a different request",
				"this Idempotency-Key was used with a different request; send a new key for a new request")
			return
		}
		if err != nil {
			s.fail(c, "idempotency key", err)
			return
		}
		c.Set(ctxReplay, !first)
		c.Next()
		if st := c.Writer.Status(); first && st >= 400 && st < 500 {
			if err := s.store.ReleaseIdempotencyKey(context.WithoutCancel(c), scope[:], fp[:]); err != nil {
				s.logger.Warn("release idempotency key", "route", c.FullPath(), "err", err)
			}
		}
	}
}

// idempotentReplay reports whether the request repeats an earlier one's
// Idempotency-Key and body.
func idempotentReplay(c *gin.Context) bool { return c.GetBool(ctxReplay) }

// idempotencyCaller is who a key belongs to: the staff member, or for an
// anonymous filing the customer id derived from its contact details (a customer's keys cannot
// collide with another customer's), or anonymous (whose routes carry
// their tracking or survey token in the path).
func idempotencyCaller(c *gin.Context, canon []byte) string {
	if st := staffOf(c); st != nil {
		return "staff:" + st.ID
	}
	var b complaintBody
	if c.FullPath() == "/v1/complaints" && json.Unmarshal(canon, &b) == nil {
		if id := anonymousCustomerID(b.Customer); id != "" {
			return "customer:" + id
		}
		return "customer:" + b.Customer.ID
	}
	return "anonymous"
}

// canonicalJSON is body with its keys sorted and its spacing removed, so
// the same request written differently has the same fingerprint; a body
// that is not JSON is taken as it is.
func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// callerScope is the part of a Temporal update id that names the caller:
// two staff members using the same key on the same case are two requests.
func callerScope(c *gin.Context) string {
	if st := staffOf(c); st != nil {
		return "\x00staff:" + st.ID
	}
	return ""
}
