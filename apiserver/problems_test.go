package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// acrossTemporal sends err through the failure converter both ways, as a
// rejected update's error reaches the API.
func acrossTemporal(err error) error {
	fc := temporal.GetDefaultFailureConverter()
	return fc.FailureToError(fc.ErrorToFailure(wf.AppError(err)))
}

// TestErrorKindsMapToStatus checks the one error map: each kind, as it
// crosses Temporal, gets its status by its type (no message matching), an
// invalid request names every bad field, and a 500 shows no internal text.
func TestErrorKindsMapToStatus(t *testing.T) {
	secret := "pq: relation cases_secret_internal"
	tests := []struct {
		name   string
		err    error
		status int
		fields []string
	}{
		{"invalid findings, every field", acrossTemporal(complaint.ValidateFindings(complaint.Findings{Cause: "a\x00b", CauseDetail: "x", Responsibility: "nobody"})),
			http.StatusUnprocessableEntity, []string{"cause", "cause_detail", "responsibility", "summary"}},
		{"invalid proposal, every field", acrossTemporal(complaint.ValidateProposal(complaint.ProposalRequest{Message: "m\x01",
			Remedies: []complaint.Remedy{{Type: "cash"}, {Type: complaint.RemedyRefund, Amount: -1}, {Type: complaint.RemedyRefund, Amount: 5, Currency: "yuan", Note: "\x00"}}})),
			http.StatusUnprocessableEntity, []string{"message", "remedies[0].type", "remedies[1].amount", "remedies[2].currency", "remedies[2].note"}},
		{"wrong state", acrossTemporal(fmt.Errorf("%w: the case is closed", complaint.ErrWrongState)), http.StatusConflict, nil},
		{"case blocked", acrossTemporal(fmt.Errorf("%w: waiting for repair", complaint.ErrCaseBlocked)), http.StatusServiceUnavailable, nil},
		{"authority", acrossTemporal(fmt.Errorf("%w: needs a manager", complaint.ErrAuthority)), http.StatusForbidden, nil},
		{"self approval", acrossTemporal(complaint.ErrSelfApproval), http.StatusForbidden, nil},
		{"not found", fmt.Errorf("get: %w", store.ErrNotFound), http.StatusNotFound, nil},
		{"case closed", caseClosed(serviceerror.NewNotFound("gone")), http.StatusConflict, nil},
		{"workflow task failed", fmt.Errorf("update: %w", serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to unexpected workflow task failure.")),
			http.StatusServiceUnavailable, nil},
		{"store rejected", acrossTemporal(temporal.NewNonRetryableApplicationError("apply: "+secret, wf.ErrTypeStoreRejected, nil)),
			http.StatusInternalServerError, nil},
		{"untyped application error", acrossTemporal(errors.New(secret)), http.StatusInternalServerError, nil},
		{"anything else", errors.New(secret), http.StatusInternalServerError, nil},
	}
	s := newTestServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodPost, "/", nil)
			s.fail(c, "test", tt.err)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
			}
			for _, f := range tt.fields {
				if !slices.Contains(got, f) {
					t.Errorf("fields %v lack %s", got, f)
				}
			}
			if tt.status >= 500 && (strings.Contains(w.Body.String(), "cases_secret") || strings.Contains(w.Body.String(), "SQLSTATE")) {
				t.Errorf("a 500 shows internal text: %s", w.Body)
			}
		})
	}
}

// TestBadTextIsRefusedAtTheEdge sends text that PostgreSQL would refuse
// (NUL, a lone surrogate, invalid UTF-8) or that is not text (control
// characters) through the real router: 422 naming every bad field, before
// anything reaches Temporal or the database (the server here has neither:
// reaching them would panic into a 500).
func TestBadTextIsRefusedAtTheEdge(t *testing.T) {
	s := newTestServer(t)
	good := `"customer":{"id":"c-1","name":"Li Lei","phone":"123456"},"channel":"web","description":"d"`
	tests := []struct {
		name, method, path, body string
		status                   int
		fields                   []string
	}{
		{"NUL in the subject", "POST", "/v1/complaints", `{` + good + `,"subject":"a\u0000b"}`, 422, []string{"subject"}},
		{"lone surrogate", "POST", "/v1/complaints", `{` + good + `,"subject":"s","desired_remedy":"x\ud800y"}`, 422, []string{"desired_remedy"}},
		{"lone low surrogate", "POST", "/v1/complaints", `{` + good + `,"subject":"s","product":"\udc00"}`, 422, []string{"product"}},
		{"invalid UTF-8", "POST", "/v1/complaints", `{` + good + `,"subject":"s","branch":"a` + "\xff\xfe" + `"}`, 422, []string{"branch"}},
		{"control character", "POST", "/v1/complaints", `{` + good + `,"subject":"s","order_ref":"A\u0007"}`, 422, []string{"order_ref"}},
		{"every bad field at once", "POST", "/v1/complaints", `{"customer":{"id":"\u0000","name":"n\u0001","phone":"1"},"channel":"web","subject":"\u0000","description":"\ud800"}`,
			422, []string{"customer.id", "customer.name", "subject", "description"}},
		{"NUL in a key", "POST", "/v1/complaints", `{` + good + `,"subject":"s","a\u0000":1}`, 400, nil},
		{"NUL in a withdrawal", "POST", "/v1/track/tok/withdraw", `{"reason":"no\u0000"}`, 422, []string{"reason"}},
		{"surrogate in a survey", "POST", "/v1/surveys/tok", `{"score":5,"comment":"\ud83d"}`, 422, []string{"comment"}},
		{"q with %ff", "GET", "/v1/complaints?q=%ff", "", 422, []string{"q"}},
		{"q with %00", "GET", "/v1/complaints?q=%00", "", 422, []string{"q"}},
		{"q with %c3%28", "GET", "/v1/complaints?q=%c3%28", "", 422, []string{"q"}},
		{"filters", "GET", "/v1/complaints?team=%ff&assignee=%00&region=a%01&channel=%ed%a0%80", "", 422, []string{"team", "assignee", "region", "channel"}},
		{"breakdown filter", "GET", "/v1/reports/breakdown?by=category&product=%ff", "", 422, []string{"product"}},
		{"bad escape", "GET", "/v1/complaints?q=%zz", "", 400, nil},
		{"NUL in a path", "GET", "/v1/complaints/%00", "", 404, nil},
		{"invalid UTF-8 in a path", "POST", "/v1/track/%ff/info", `{"answer":"a"}`, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var p Problem
			_ = json.Unmarshal(w.Body.Bytes(), &p)
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
			}
			for _, f := range tt.fields {
				if !slices.Contains(got, f) {
					t.Errorf("fields %v lack %s: %s", got, f, w.Body)
				}
			}
		})
	}
}

// TestDecisionReportsEveryBadField sends staff decisions with text no
// field may hold and other bad fields: every one is named at once.
func TestDecisionReportsEveryBadField(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		body   string
		fields []string
		target func(*gin.Context)
	}{
		{`{"cause":"a\u0000","cause_detail":"","responsibility":"x","summary":"\ud800"}`,
			[]string{"cause", "cause_detail", "responsibility", "summary"}, s.findings},
		{`{"message":"\u0000","remedies":[{"type":"cash"},{"type":"refund","amount":5,"currency":"yuan"}]}`,
			[]string{"message", "remedies[0].type", "remedies[1].currency"}, s.proposal},
		{`{"decision":"maybe","comment":"\u0000"}`, []string{"decision", "comment"}, s.approval},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
		c.Set(ctxStaff, &store.Staff{ID: "ann", Role: complaint.RoleAgent, Team: "billing"})
		tt.target(c)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d: %s", tt.body, w.Code, w.Body)
		}
		var p Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		var got []string
		for _, f := range p.Errors {
			got = append(got, f.Field)
		}
		for _, f := range tt.fields {
			if !slices.Contains(got, f) {
				t.Errorf("%s: fields %v lack %s", tt.body, got, f)
			}
		}
	}
}
