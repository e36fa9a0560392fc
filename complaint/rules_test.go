package complaint

import (
	"errors"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name               string
		c                  Complaint
		category, severity string
		priority           int
	}{
		{"english billing", Complaint{Subject: "Double charged", Description: "I was charged twice on my bill"}, CategoryBilling, SeverityMedium, 3},
		{"chinese billing", Complaint{Subject: "电费多收", Description: "这个月的账单多收了两百元"}, CategoryBilling, SeverityMedium, 3},
		{"traditional chinese billing", Complaint{Subject: "賬單錯誤", Description: "多收了費用"}, CategoryBilling, SeverityMedium, 3},
		{"delivery", Complaint{Subject: "Parcel never arrived", Description: "My order was never delivered"}, CategoryDeliveryDelay, SeverityLow, 4},
		{"chinese delivery", Complaint{Subject: "快递", Description: "等了两个星期还没收到"}, CategoryDeliveryDelay, SeverityLow, 4},
		{"attitude", Complaint{Subject: "Rude staff", Description: "The agent was rude and hung up"}, CategoryServiceAttitude, SeverityLow, 4},
		{"chinese attitude", Complaint{Subject: "服务态度差", Description: "客服态度很差"}, CategoryServiceAttitude, SeverityLow, 4},
		{"quality", Complaint{Subject: "Broken kettle", Description: "It stopped working after a week"}, CategoryProductQuality, SeverityMedium, 3},
		{"chinese quality", Complaint{Subject: "车辆异响", Description: "新车行驶时有异响，质量有问题"}, CategoryProductQuality, SeverityMedium, 3},
		{"safety is critical", Complaint{Subject: "Heater", Description: "The heater caught fire and burned my hand"}, CategorySafety, SeverityCritical, 1},
		{"chinese safety", Complaint{Subject: "热水器漏电", Description: "洗澡时触电了"}, CategorySafety, SeverityCritical, 1},
		{"injury under another category is still critical", Complaint{Subject: "Delivery", Description: "The courier dropped the box and I was injured"}, CategorySafety, SeverityCritical, 1},
		{"regulator referral is high", Complaint{Subject: "Statement wrong", Description: "wrong statement", Channel: "regulator"}, CategoryBilling, SeverityHigh, 2},
		{"threat to go to the media is high", Complaint{Subject: "Nobody called", Description: "I will go to the media", Channel: "web"}, CategoryServiceAttitude, SeverityHigh, 2},
		{"social media is medium", Complaint{Subject: "meh", Description: "nothing specific", Channel: "social"}, CategoryOther, SeverityMedium, 3},
		{"compensation demand is at least medium", Complaint{Subject: "meh", Description: "nothing specific", DesiredRemedy: "赔偿损失"}, CategoryOther, SeverityMedium, 3},
		{"word boundary: related is not late", Complaint{Subject: "Question", Description: "a related question"}, CategoryOther, SeverityLow, 4},
		{"other", Complaint{Subject: "Hello", Description: "general feedback"}, CategoryOther, SeverityLow, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.c)
			if got.Category != tt.category || got.Severity != tt.severity || got.Priority != tt.priority {
				t.Errorf("Classify = %s/%s/%d (%s), want %s/%s/%d", got.Category, got.Severity, got.Priority, got.Matched, tt.category, tt.severity, tt.priority)
			}
		})
	}
}

func TestPriorityRaisedByThirdRepeat(t *testing.T) {
	for _, tt := range []struct {
		sev     string
		repeats int
		want    int
	}{{SeverityLow, 0, 4}, {SeverityLow, 2, 4}, {SeverityLow, 3, 3}, {SeverityCritical, 5, 1}, {SeverityHigh, 3, 1}} {
		if got := PriorityFor(tt.sev, tt.repeats); got != tt.want {
			t.Errorf("PriorityFor(%s, %d) = %d, want %d", tt.sev, tt.repeats, got, tt.want)
		}
	}
}

func TestAuthority(t *testing.T) {
	m := DefaultAuthority()
	money := func(amount int64) Proposal {
		p := Proposal{ProposedBy: "ann", Remedies: []Remedy{{Type: RemedyRefund, Amount: amount, Currency: "CNY"}}}
		p.Required, _ = m.Require(p)
		return p
	}
	tests := []struct {
		name      string
		p         Proposal
		actor     Actor
		wantErr   error
		minRole   string
		approvers int
	}{
		{"supervisor within 1,000.00", money(1_000_00), Actor{ID: "sue", Role: RoleSupervisor}, nil, RoleSupervisor, 1},
		{"supervisor above 1,000.00", money(1_000_01), Actor{ID: "sue", Role: RoleSupervisor}, ErrAuthority, RoleManager, 1},
		{"agent approves no money", money(1), Actor{ID: "bob", Role: RoleAgent}, ErrAuthority, RoleSupervisor, 1},
		{"manager up to 10,000.00", money(10_000_00), Actor{ID: "max", Role: RoleManager}, nil, RoleManager, 1},
		{"director any amount", money(40_000_00), Actor{ID: "dee", Role: RoleDirector}, nil, RoleDirector, 1},
		{"above 50,000.00 needs two", money(50_000_01), Actor{ID: "dee", Role: RoleDirector}, nil, RoleDirector, 2},
		{"self approval", money(100), Actor{ID: "ann", Role: RoleDirector}, ErrSelfApproval, RoleSupervisor, 1},
		{"auditor never", money(100), Actor{ID: "aud", Role: RoleAuditor}, ErrAuthority, RoleSupervisor, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.p.Required.MinRole != tt.minRole || tt.p.Required.Approvers != tt.approvers {
				t.Errorf("Require = %+v, want %s x%d", tt.p.Required, tt.minRole, tt.approvers)
			}
			err := m.CanApprove(tt.p, tt.actor)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("CanApprove = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("refusal needs a supervisor", func(t *testing.T) {
		p := Proposal{ProposedBy: "ann", RefusalReason: "unreasonable"}
		p.Required, _ = m.Require(p)
		if err := m.CanApprove(p, Actor{ID: "bob", Role: RoleAgent}); !errors.Is(err, ErrAuthority) {
			t.Errorf("agent signed off a refusal: %v", err)
		}
		if err := m.CanApprove(p, Actor{ID: "sue", Role: RoleSupervisor}); err != nil {
			t.Errorf("supervisor refused: %v", err)
		}
	})
	t.Run("no money needs any other person", func(t *testing.T) {
		p := Proposal{ProposedBy: "ann", Remedies: []Remedy{{Type: RemedyApology}}}
		p.Required, _ = m.Require(p)
		if err := m.CanApprove(p, Actor{ID: "bob", Role: RoleAgent}); err != nil {
			t.Errorf("agent could not approve an apology: %v", err)
		}
	})
	t.Run("second approval by the same person", func(t *testing.T) {
		p := money(60_000_00)
		p.Approvals = []Approval{{By: "dee", Decision: "approve"}}
		if err := m.CanApprove(p, Actor{ID: "dee", Role: RoleDirector}); !errors.Is(err, ErrAuthority) {
			t.Errorf("same approver twice: %v", err)
		}
	})
}

func TestValidateProposal(t *testing.T) {
	ok := ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Amount: 100, Currency: "CNY"}}}
	tests := []struct {
		name  string
		r     ProposalRequest
		field string
	}{
		{"valid", ok, ""},
		{"no message", ProposalRequest{Remedies: ok.Remedies}, "message"},
		{"nothing proposed", ProposalRequest{Message: "m"}, "remedies"},
		{"refusal with remedies", ProposalRequest{Message: "m", RefusalReason: "no", Remedies: ok.Remedies}, "remedies"},
		{"negative amount", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Amount: -5, Currency: "CNY"}}}, "remedies[0].amount"},
		{"absurd amount", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Amount: MaxAmount + 1, Currency: "CNY"}}}, "remedies[0].amount"},
		{"refund without amount", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund}}}, "remedies[0].amount"},
		{"apology with amount", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyApology, Amount: 5, Currency: "CNY"}}}, "remedies[0].amount"},
		{"bad currency", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Amount: 5, Currency: "yuan"}}}, "remedies[0].currency"},
		{"unknown type", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: "cash"}}}, "remedies[0].type"},
		{"mixed currencies", ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Amount: 5, Currency: "CNY"}, {Type: RemedyVoucher, Amount: 5, Currency: "USD"}}}, "remedies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateProposal(tt.r)
			var fe FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrInvalid)):
				t.Errorf("error = %v, want field %s", err, tt.field)
			}
		})
	}
}

func TestFormatMoney(t *testing.T) {
	for in, want := range map[int64]string{0: "0.00 CNY", 5: "0.05 CNY", 123456: "1,234.56 CNY", 100000000: "1,000,000.00 CNY", -250: "-2.50 CNY"} {
		if got := FormatMoney(in, "CNY"); got != want {
			t.Errorf("FormatMoney(%d) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	c := Complaint{Subject: "我的电费账单被多收了", Description: strings.Repeat("The meter reading was wrong and I was charged twice. ", 20), DesiredRemedy: "refund"}
	for b.Loop() {
		Classify(c)
	}
}

func TestAuthorityMatrixValidate(t *testing.T) {
	if err := DefaultAuthority().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	for name, mutate := range map[string]func(*AuthorityMatrix){
		"missing role":        func(m *AuthorityMatrix) { delete(m.Limits, RoleManager) },
		"falling limit":       func(m *AuthorityMatrix) { m.Limits[RoleManager] = 500 },
		"limited director":    func(m *AuthorityMatrix) { m.Limits[RoleDirector] = 1_000_000_00 },
		"unknown role":        func(m *AuthorityMatrix) { m.Limits["intern"] = 5 },
		"bad sign-off role":   func(m *AuthorityMatrix) { m.RefusalSignOffRole = "auditor" },
		"unlimited below top": func(m *AuthorityMatrix) { m.Limits[RoleSupervisor] = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			m := DefaultAuthority()
			mutate(&m)
			if err := m.Validate(); err == nil {
				t.Error("accepted")
			}
		})
	}
}
