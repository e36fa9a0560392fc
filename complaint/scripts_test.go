package complaint

import (
	"slices"
	"testing"
	"time"
)

func TestParseScriptVariables(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		names []string
		codes []string
	}{
		{"known variables", "您好{customer_name}，您的投诉 {case_number} 将在 {due_date} 前答复。{case_number}", []string{"customer_name", "case_number", "due_date"}, nil},
		{"no variables", "Thank you.", nil, nil},
		{"unknown variable", "Dear {customer_nmae}", nil, []string{CodeUnknownVariable}},
		{"unclosed brace", "Dear {customer_name", nil, []string{CodeMalformedVariable}},
		{"stray closing brace", "Dear customer_name}", nil, []string{CodeMalformedVariable}},
		{"empty braces", "Dear {}", nil, []string{CodeMalformedVariable}},
		{"spaces inside", "Dear { customer_name }", nil, []string{CodeMalformedVariable}},
		{"nested", "Dear {{case_number}}", []string{"case_number"}, []string{CodeMalformedVariable, CodeMalformedVariable}},
		{"both kinds", "{amount} {bank_account} {", []string{"amount"}, []string{CodeUnknownVariable, CodeMalformedVariable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, probs := ParseScriptVariables(tt.body)
			if !slices.Equal(names, tt.names) {
				t.Errorf("names = %v, want %v", names, tt.names)
			}
			var codes []string
			for _, p := range probs {
				codes = append(codes, p.Code)
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("codes = %v, want %v", codes, tt.codes)
			}
		})
	}
}

func TestValidateScript(t *testing.T) {
	good := ScriptDraft{Stage: StageRefusal, Category: ScriptCategoryAny, Language: "en", Title: "Polite refusal", Body: "Dear {customer_name}, we cannot agree to this request on case {case_number}."}
	tests := []struct {
		name   string
		edit   func(*ScriptDraft)
		fields []string
	}{
		{"valid", func(*ScriptDraft) {}, nil},
		{"every bad field at once", func(d *ScriptDraft) {
			d.Key, d.Stage, d.Category, d.Language, d.Title, d.Body = "Bad Key", "rant", "gossip", "fr", "", "{nope}"
		}, []string{"key", "stage", "category", "language", "title", "body"}},
		{"two bad variables", func(d *ScriptDraft) { d.Body = "{x} and {y}" }, []string{"body", "body"}},
		{"a known category", func(d *ScriptDraft) { d.Category = Categories()[0] }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			tt.edit(&d)
			var fields []string
			for _, fe := range InvalidFieldsOf(ValidateScript(d)) {
				fields = append(fields, fe.Field)
				if fe.Code == "" {
					t.Errorf("field %s has no code", fe.Field)
				}
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("bad fields = %v, want %v", fields, tt.fields)
			}
		})
	}
}

func TestRenderScript(t *testing.T) {
	got := RenderScript("您好{customer_name}：投诉 {case_number}，金额 {amount}，{due_date}", map[string]string{"customer_name": "王先生", "case_number": "C-1", "amount": "100.00 CNY"})
	want := "您好王先生：投诉 C-1，金额 100.00 CNY，{due_date}"
	if got != want {
		t.Errorf("RenderScript = %q, want %q", got, want)
	}
}

func TestValidateAbuseAndRestriction(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	abuse := AbuseRequest{Kind: AbuseInsults, Evidence: "called the agent an idiot", At: now.Add(-time.Hour), ReceivedBy: "agent-ann", Warning: "Please keep it civil."}
	if err := ValidateAbuse(abuse, now); err != nil {
		t.Errorf("valid abuse refused: %v", err)
	}
	bad := AbuseRequest{Kind: "rudeness", At: now.Add(time.Hour)}
	var fields []string
	for _, fe := range InvalidFieldsOf(ValidateAbuse(bad, now)) {
		fields = append(fields, fe.Field)
	}
	if want := []string{"kind", "evidence", "at", "received_by", "warning"}; !slices.Equal(fields, want) {
		t.Errorf("abuse bad fields = %v, want %v", fields, want)
	}
	r := Restriction{Handler: "sup-sam", ReviewOn: now.AddDate(0, 1, 0), Reason: "threats"}
	if err := ValidateRestriction(r, now); err != nil {
		t.Errorf("valid restriction refused: %v", err)
	}
	fields = nil
	for _, fe := range InvalidFieldsOf(ValidateRestriction(Restriction{MaxContactsPerDay: -1, ReviewOn: now}, now)) {
		fields = append(fields, fe.Field)
	}
	if want := []string{"max_contacts_per_day", "review_on", "reason"}; !slices.Equal(fields, want) {
		t.Errorf("restriction bad fields = %v, want %v", fields, want)
	}
}
