package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
)

// FuzzComplaintDecoding feeds arbitrary bodies to the strict decoder and
// the validators: nothing panics, and a rejected body is answered with a
// 4xx problem, never a 5xx.
func FuzzComplaintDecoding(f *testing.F) {
	f.Add(`{"customer":{"id":"c","name":"n","email":"a@b.c"},"channel":"web","subject":"s","description":"d"}`)
	f.Add(`{"customer":{"id":1}}`)
	f.Add(`{"remedies":[{"type":"refund","amount":-1,"currency":"CNY"}],"message":"m"}`)
	f.Add("\xff\xfe{}")
	f.Add(`{"channel":"web"} trailing`)
	f.Add(`{"received_at":"2999-01-01T00:00:00Z"}`)
	gin.SetMode(gin.ReleaseMode)
	profiles := complaint.Profiles()
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range []func(*gin.Context) (bool, []FieldProblem){
			func(c *gin.Context) (bool, []FieldProblem) {
				var b complaintBody
				if !decode(c, &b) {
					return false, nil
				}
				return true, fieldProblems(b.request("staff-1").Validate(profileSet(profiles), time.Now()))
			},
			func(c *gin.Context) (bool, []FieldProblem) {
				var b proposalBody
				if !decode(c, &b) {
					return false, nil
				}
				r := complaint.ProposalRequest{Message: b.Message, RefusalReason: b.RefusalReason}
				var amounts []FieldProblem
				if r.Remedies, amounts = remediesOf(b.Remedies); len(amounts) > 0 {
					invalidFields(c, amounts...)
					return false, nil
				}
				_ = complaint.ValidateProposal(r)
				return true, nil
			},
		} {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			c.Request.Body = http.MaxBytesReader(w, c.Request.Body, 64<<10)
			ok, _ := target(c)
			if !ok && (w.Code < 400 || w.Code >= 500) {
				t.Fatalf("rejected body answered %d", w.Code)
			}
		}
	})
}
