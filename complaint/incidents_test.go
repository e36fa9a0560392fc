package complaint

import (
	"errors"
	"slices"
	"testing"
)

func TestDecideIncidentResolution(t *testing.T) {
	ann := Actor{ID: "ann", Role: RoleAgent}
	sue := Actor{ID: "sue", Role: RoleSupervisor}
	max := Actor{ID: "max", Role: RoleManager}
	aud := Actor{ID: "aud", Role: RoleAuditor}
	refund := func(amount int64, currency string) IncidentResolution {
		return IncidentResolution{ProposedBy: ann, Message: "m",
			Remedies: []Remedy{{ID: "r1", Type: RemedyRefund, Amount: amount, Currency: currency}}}
	}
	apology := IncidentResolution{ProposedBy: sue, Message: "m", Remedies: []Remedy{{ID: "r1", Type: RemedyApology}}}
	tests := []struct {
		name              string
		r                 IncidentResolution
		decision, comment string
		approver          Actor
		status            string
		fields            []string // bad fields, when ErrInvalid
		kind              error    // else the error kind, or nil
	}{
		{"a supervisor approves a refund within the limit", refund(500_00, "CNY"), "approve", "", sue, ResolutionApproved, nil, nil},
		{"a supervisor rejects with a reason", refund(500_00, "CNY"), "reject", "not ours", sue, ResolutionRejected, nil, nil},
		{"an apology needs no money authority, but still four eyes", apology, "approve", "", ann, ResolutionApproved, nil, nil},
		{"four eyes: the proposer may not approve", apology, "approve", "", sue, "", nil, ErrSelfApproval},
		{"four eyes: nor reject", apology, "reject", "why", sue, "", nil, ErrSelfApproval},
		{"a supervisor's limit does not cover 5,000.00", refund(5000_00, "CNY"), "approve", "", sue, "", nil, ErrAuthority},
		{"a manager's does", refund(5000_00, "CNY"), "approve", "", max, ResolutionApproved, nil, nil},
		{"an auditor approves nothing", apology, "approve", "", aud, "", nil, ErrAuthority},
		{"remedies in a currency without a rate", refund(500_00, "JPY"), "approve", "", max, "", []string{"remedies"}, nil},
		{"remedies mixing currencies", IncidentResolution{ProposedBy: ann, Remedies: []Remedy{
			{Type: RemedyRefund, Amount: 1, Currency: "CNY"}, {Type: RemedyVoucher, Amount: 1, Currency: "USD"}}}, "approve", "", max, "", []string{"remedies"}, nil},
		{"a decision that is neither", apology, "maybe", "", max, "", []string{"decision"}, nil},
		{"a rejection without a reason", apology, "reject", " ", max, "", []string{"comment"}, nil},
		// The remedies are checked first, then the decision, then who
		// decides: a bad request is refused as bad whoever sends it.
		{"bad remedies before a bad decision", refund(500_00, "JPY"), "maybe", "", sue, "", []string{"remedies"}, nil},
		{"a bad decision before the proposer's own", apology, "maybe", "", sue, "", []string{"decision"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := DecideIncidentResolution(DefaultAuthority(), tt.r, tt.decision, tt.comment, tt.approver)
			if status != tt.status {
				t.Errorf("status = %q, want %q", status, tt.status)
			}
			var got []string
			for _, f := range InvalidFieldsOf(err) {
				got = append(got, f.Field)
			}
			switch {
			case tt.fields != nil:
				if !slices.Equal(got, tt.fields) {
					t.Errorf("bad fields = %v (err %v), want %v", got, err, tt.fields)
				}
			case tt.kind != nil:
				if !errors.Is(err, tt.kind) || errors.Is(err, ErrInvalid) {
					t.Errorf("err = %v, want %v", err, tt.kind)
				}
			case err != nil:
				t.Errorf("err = %v, want none", err)
			}
		})
	}
}

func TestValidateIncidentResolution(t *testing.T) {
	good := IncidentResolution{ProposedBy: Actor{ID: "ann", Role: RoleAgent}, Message: "We are sorry.",
		Findings: Findings{Cause: "billing", CauseDetail: "billing.double_charge", Responsibility: "company",
			ResponsibleUnit: "payments", Summary: "A release charged twice."},
		Remedies: []Remedy{{ID: "r1", Type: RemedyRefund, Amount: 10_00, Currency: "CNY"}}}
	bad := good
	bad.Findings.CauseDetail = "other"
	bad.Message = ""
	bad.Remedies = []Remedy{{ID: "r1", Type: RemedyRefund, Amount: 10_00, Currency: "USD"}}
	tests := []struct {
		name string
		r    IncidentResolution
		want []string
	}{
		{"good", good, nil},
		{"every bad field at once", bad, []string{"cause_detail", "message", "remedies[0].currency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range InvalidFieldsOf(ValidateIncidentResolution(DefaultAuthority(), tt.r)) {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("bad fields = %v, want %v", got, tt.want)
			}
		})
	}
}
