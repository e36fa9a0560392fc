package workflows

import (
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/complaint"
)

// TestProblemCodesCrossTemporal checks the codes and parameters of a
// validator's field errors survive the trip through Temporal's failure
// converter, as a rejected update's do.
func TestProblemCodesCrossTemporal(t *testing.T) {
	err := AppError(complaint.ValidateProposal(complaint.ProposalRequest{Message: strings.Repeat("x", complaint.MaxText+1),
		Remedies: []complaint.Remedy{{Type: complaint.RemedyApology, Amount: 5, Currency: "CNY"}}}))
	fc := temporal.GetDefaultFailureConverter()
	back := fc.FailureToError(fc.ErrorToFailure(err))
	fs := InvalidFields(back)
	if len(fs) != 2 {
		t.Fatalf("fields after the trip: %+v", fs)
	}
	if fs[0].Field != "message" || fs[0].Code != complaint.CodeTooLong || fs[0].Params["max"] != float64(complaint.MaxText) {
		t.Errorf("message: %+v", fs[0])
	}
	if fs[1].Field != "remedies[0].amount" || fs[1].Code != complaint.CodeAmountNotAllowed || fs[1].Params["remedy"] != complaint.RemedyApology {
		t.Errorf("amount: %+v", fs[1])
	}
}
