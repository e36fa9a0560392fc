package apiserver

import (
	"encoding/json"
	"errors"
	"github.com/complaint-handling/complaints/complaint"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/complaint-handling/complaints/internal/store"
)

// The codec endpoint (docs/engineers.md) lets the Temporal Web UI and CLI
// show an engineer the workflows' payloads, which the payload codec keeps
// encrypted in Temporal: POST /codec/decode and POST /codec/encode take
// and return Payloads as protobuf JSON (Temporal's remote codec contract).
// Only the engineer role may call it; personal data is masked for every
// role that may not see it in the case view (engineers among them), and
// every call is recorded in the codec_access table.

// PayloadCodec is the payload codec the endpoint decodes and encodes
// with (internal/codec's, built without refusal metrics: a bad payload an
// engineer pastes is not an attack on the workers).
type PayloadCodec interface {
	Encode([]*commonpb.Payload) ([]*commonpb.Payload, error)
	Decode([]*commonpb.Payload) ([]*commonpb.Payload, error)
}

// codecCookieName carries an engineer's staff token to the codec endpoint from
// the Temporal Web UI, which can send cookies ("include credentials") but
// not a token of ours. It is HttpOnly, limited to /codec and SameSite=Strict.
const codecCookieName = "complaints_codec"

// codecRoles may call the codec endpoint.
var codecRoles = []string{complaint.RoleEngineer}

// codecMaxAge bounds the codec cookie's life (and the token's own expiry
// bounds it further).
const codecMaxAge = 12 * time.Hour

// Codec operations, the op label of the codec metrics and the access log.
const (
	codecDecode = "decode"
	codecEncode = "encode"
)

type codecMetrics struct {
	requests *prometheus.CounterVec
	payloads *prometheus.CounterVec
}

// newCodecMetrics registers complaints_codec_requests_total{op,outcome}
// and complaints_codec_payloads_total{op,masked}.
func newCodecMetrics(reg prometheus.Registerer) *codecMetrics {
	m := &codecMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaints_codec_requests_total",
			Help: "Calls to the codec endpoint by operation (decode, encode) and outcome (ok, unauthorized, forbidden, bad_request, refused, error).",
		}, []string{"op", "outcome"}),
		payloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaints_codec_payloads_total",
			Help: "Payloads decoded or encoded through the codec endpoint, by operation and whether personal data was masked.",
		}, []string{"op", "masked"}),
	}
	for _, op := range []string{codecDecode, codecEncode} {
		for _, o := range []string{"ok", "unauthorized", "forbidden", "bad_request", "refused", "error"} {
			m.requests.WithLabelValues(op, o)
		}
	}
	m.payloads.WithLabelValues(codecDecode, "true")
	reg.MustRegister(m.requests, m.payloads)
	return m
}

func (s *Server) codecRoutes(r *gin.Engine) {
	g := r.Group("/codec", noStore(), s.codecCORS(), s.countCodec())
	for _, op := range []string{codecDecode, codecEncode} {
		g.OPTIONS("/"+op, s.codecPreflight)
		g.POST("/"+op, s.codecCookieAuth(), s.requireStaff(), s.allow(codecRoles...), s.codecCall(op))
	}
	g.POST("/session", s.requireStaff(), s.allow(codecRoles...), s.codecSession)
	g.DELETE("/session", s.endCodecSession)
}

// codecCORS answers the Temporal UI's origin (CODEC_ALLOWED_ORIGINS) with
// the CORS headers that let it read the answer and send its credentials.
// A decode or encode from any other browser origin is refused (403).
// Tools send no Origin.
func (s *Server) codecCORS() gin.HandlerFunc {
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		c.Header("Vary", "Origin")
		if origin == "" {
			c.Next()
			return
		}
		if !slices.Contains(s.cfg.CodecOrigins, origin) {
			// A page of another origin is refused outright, not only
			// denied the answer. Setting the codec cookie is not: it
			// takes the bearer token itself, which no other page holds
			// (the console, of the API's own origin, calls it).
			if c.FullPath() != "/codec/session" {
				problem(c, http.StatusForbidden, "forbidden", "this origin may not call the codec endpoint")
				return
			}
			c.Next()
			return
		}
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Access-Control-Allow-Credentials", "true")
		c.Next()
	}
}

func (s *Server) codecPreflight(c *gin.Context) {
	c.Header("Access-Control-Allow-Methods", "POST, OPTIONS")
	c.Header("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization, Authorization-Extras, X-Workflow-Id")
	c.Header("Access-Control-Max-Age", "600")
	c.Status(http.StatusNoContent)
}

// countCodec counts each decode and encode call by its outcome.
func (s *Server) countCodec() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		op := codecDecode
		switch {
		case strings.HasSuffix(c.Request.URL.Path, "/"+codecEncode):
			op = codecEncode
		case !strings.HasSuffix(c.Request.URL.Path, "/"+codecDecode):
			return
		}
		if c.Request.Method != http.MethodPost {
			return
		}
		outcome := "error"
		switch st := c.Writer.Status(); {
		case st < 300:
			outcome = "ok"
		case st == http.StatusUnauthorized:
			outcome = "unauthorized"
		case st == http.StatusForbidden:
			outcome = "forbidden"
		case st == http.StatusUnprocessableEntity:
			outcome = "refused"
		case st < 500:
			outcome = "bad_request"
		}
		s.codecMetrics.requests.WithLabelValues(op, outcome).Inc()
	}
}

// codecCookieAuth lets the codec cookie stand for the Authorization
// header, which the Temporal UI cannot send without its own sign-in. A
// request with a header uses the header.
func (s *Server) codecCookieAuth() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") == "" {
			if tok, err := c.Cookie(codecCookieName); err == nil && tok != "" {
				c.Request.Header.Set("Authorization", "Bearer "+tok)
			}
		}
		c.Next()
	}
}

// codecSession sets the codec cookie to the engineer's token (the console
// calls it before opening the Temporal UI), for as long as the token is
// valid, at most codecMaxAge.
func (s *Server) codecSession(c *gin.Context) {
	tok := strings.TrimSpace(strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer "))
	claims, err := s.verifier.Verify(c, tok)
	if err != nil {
		problem(c, http.StatusUnauthorized, "unauthorized", "the token is invalid or expired")
		return
	}
	age := codecMaxAge
	if claims.ExpiresAt != nil {
		age = min(age, time.Until(claims.ExpiresAt.Time))
	}
	s.setCodecCookie(c, tok, int(age.Seconds()))
	c.JSON(http.StatusOK, gin.H{"expires_in": int(age.Seconds())})
}

func (s *Server) endCodecSession(c *gin.Context) {
	s.setCodecCookie(c, "", -1)
	c.Status(http.StatusNoContent)
}

func (s *Server) setCodecCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: codecCookieName, Value: value, Path: "/codec", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: strings.HasPrefix(s.cfg.PublicBaseURL, "https://")})
}

// codecCall decodes or encodes the posted payloads.
func (s *Server) codecCall(op string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.cfg.PayloadCodec == nil {
			problem(c, http.StatusNotFound, "not found", "no payload codec is configured")
			return
		}
		in, ok := s.readPayloads(c)
		if !ok {
			return
		}
		st := staffOf(c)
		var out []*commonpb.Payload
		var err error
		masked := false
		if op == codecEncode {
			out, err = s.cfg.PayloadCodec.Encode(in.Payloads)
		} else {
			out, err = s.decodeForCodec(in.Payloads)
		}
		if err != nil {
			problem(c, http.StatusUnprocessableEntity, "payload refused", "a payload could not be "+op+"d with this system's keys",
				FieldProblem{Field: "payloads", Message: "holds a payload that is not encrypted with a known key, or was altered"})
			return
		}
		caseID := casesIn(out)
		if op == codecDecode && !seesPersonalData(st.Role) {
			masked = true
			var known []string
			if caseID != "" {
				if cs, err := s.store.GetCase(c, caseID); err == nil {
					known = []string{cs.CustomerName, cs.CustomerPhone, cs.CustomerEmail}
				}
			}
			maskPayloads(out, known)
		}
		rec := store.CodecAccess{StaffID: st.ID, Role: st.Role, Op: op, Namespace: c.GetHeader("X-Namespace"),
			WorkflowID: workflowOfRequest(c), CaseID: caseID, Payloads: len(in.Payloads), Masked: masked}
		if err := s.store.RecordCodecAccess(c, rec); err != nil {
			// What is not recorded is not shown.
			s.fail(c, "record codec access", err)
			return
		}
		s.codecMetrics.payloads.WithLabelValues(op, strconv.FormatBool(masked)).Add(float64(len(out)))
		b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			s.fail(c, "marshal payloads", err)
			return
		}
		c.Data(http.StatusOK, "application/json", b)
	}
}

// readPayloads reads the request's Payloads, answering 4xx naming what is
// wrong: the content type (JSON only, so a browser must ask first), the
// X-Namespace header (this system's namespace), and the body.
func (s *Server) readPayloads(c *gin.Context) (*commonpb.Payloads, bool) {
	var errs []FieldProblem
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		errs = append(errs, FieldProblem{Field: "Content-Type", Message: "must be application/json"})
	}
	switch ns := c.GetHeader("X-Namespace"); {
	case ns == "":
		errs = append(errs, FieldProblem{Field: "X-Namespace", Message: "is required: the namespace the payloads are from"})
	case s.cfg.Namespace != "" && ns != s.cfg.Namespace:
		errs = append(errs, FieldProblem{Field: "X-Namespace", Message: "this codec serves the namespace " + s.cfg.Namespace})
	}
	if wid := c.GetHeader("X-Workflow-Id"); wid != "" {
		if msg := complaint.CheckText(wid, 200, complaint.SingleLine); msg != "" {
			errs = append(errs, FieldProblem{Field: "X-Workflow-Id", Message: msg})
		}
	}
	body, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem(c, http.StatusRequestEntityTooLarge, "request too large", "the payloads are larger than this server accepts")
		return nil, false
	}
	var in commonpb.Payloads
	switch {
	case err != nil:
		errs = append(errs, FieldProblem{Field: "payloads", Message: "the body could not be read"})
	case protojson.Unmarshal(body, &in) != nil:
		errs = append(errs, FieldProblem{Field: "payloads", Message: "must be Temporal Payloads as protobuf JSON: {\"payloads\": [{\"metadata\": {...}, \"data\": \"base64\"}]}"})
	}
	if len(errs) > 0 {
		problem(c, http.StatusBadRequest, "invalid request", "one or more fields are invalid", errs...)
		return nil, false
	}
	return &in, true
}

// decodeForCodec decrypts the encrypted payloads and passes the others
// (never encrypted: empty values, search attributes) through as they are,
// as a codec server should.
func (s *Server) decodeForCodec(in []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(in))
	for i, p := range in {
		if string(p.GetMetadata()["encoding"]) != "binary/encrypted" {
			out[i] = p
			continue
		}
		d, err := s.cfg.PayloadCodec.Decode([]*commonpb.Payload{p})
		if err != nil {
			return nil, err
		}
		out[i] = d[0]
	}
	return out, nil
}

// codecPersonalKeys are the JSON keys whose whole value is personal in a
// workflow's payloads: the case view's, the customer (id, name, phone,
// email) of a complaint, and its idempotency key, which holds the
// customer's id.
var codecPersonalKeys = func() map[string]bool {
	// A complaint's idempotency key names the customer too.
	m := map[string]bool{"customer": true, "idempotency_key": true}
	for k := range personalKeys {
		m[k] = true
	}
	return m
}()

// maskPayloads masks personal data in decoded payloads: JSON values under
// personal keys, and whatever looks personal (or is the customer's known
// name, phone or email) in every other string. A payload that is not JSON
// cannot be searched and is withheld.
func maskPayloads(ps []*commonpb.Payload, known []string) {
	text := func(s string) string { return maskKnown(maskText(s), known) }
	for i, p := range ps {
		switch string(p.GetMetadata()["encoding"]) {
		case "json/plain":
			ps[i] = &commonpb.Payload{Metadata: p.GetMetadata(), Data: maskJSONKeys(p.GetData(), text, codecPersonalKeys)}
		case "binary/null", "":
		default:
			ps[i] = &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")},
				Data: []byte(`"(withheld: not JSON, so personal data cannot be masked)"`)}
		}
	}
}

// casesIn returns the first case id a decoded payload names (a complaint's
// case_id), for the access log and the customer's known values.
func casesIn(ps []*commonpb.Payload) string {
	for _, p := range ps {
		if string(p.GetMetadata()["encoding"]) != "json/plain" {
			continue
		}
		var v any
		if json.Unmarshal(p.GetData(), &v) != nil {
			continue
		}
		if id := findKey(v, "case_id", 4); id != "" {
			return id
		}
	}
	return ""
}

func findKey(v any, key string, depth int) string {
	if depth < 0 {
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x[key].(string); ok && s != "" && len(s) <= 64 {
			return s
		}
		for _, e := range x {
			if s := findKey(e, key, depth-1); s != "" {
				return s
			}
		}
	case []any:
		for _, e := range x {
			if s := findKey(e, key, depth-1); s != "" {
				return s
			}
		}
	}
	return ""
}

// workflowOfRequest names the workflow the payloads are from, for the
// access log: the X-Workflow-Id header (tools may send it), else the
// Temporal UI page in the Referer when the browser sent its path.
func workflowOfRequest(c *gin.Context) string {
	if wid := c.GetHeader("X-Workflow-Id"); wid != "" {
		return wid
	}
	u, err := url.Parse(c.GetHeader("Referer"))
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Path, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "workflows" && parts[i+1] != "" {
			if wid, err := url.PathUnescape(parts[i+1]); err == nil && complaint.CheckText(wid, 200, complaint.SingleLine) == "" {
				return wid
			}
		}
	}
	return ""
}

// workflowUIURL is the case's workflow (its first run, which the case row
// keeps) in the Temporal Web UI, or "" without TEMPORAL_UI_URL.
func (s *Server) workflowUIURL(cs store.Case) string {
	if s.cfg.TemporalUIURL == "" || cs.WorkflowID == "" {
		return ""
	}
	u := strings.TrimRight(s.cfg.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(s.cfg.Namespace) +
		"/workflows/" + url.PathEscape(cs.WorkflowID)
	if cs.FirstRunID != "" {
		u += "/" + url.PathEscape(cs.FirstRunID)
	}
	return u + "/history"
}
