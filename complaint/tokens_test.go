package complaint

import "testing"

func TestTokensAreStableAndScoped(t *testing.T) {
	s := []byte("secret-secret-secret-secret-secret")
	a, b := TrackingToken(s, "case-1"), TrackingToken(s, "case-1")
	if a != b || len(a) < 40 {
		t.Errorf("tokens %q %q", a, b)
	}
	if TrackingToken(s, "case-2") == a || SurveyToken(s, "case-1", 1) == a {
		t.Error("tokens of different cases or purposes collide")
	}
	// Each closing's survey has a link of its own; the first keeps the
	// form of the links sent before rounds.
	if r1, r2 := SurveyToken(s, "case-1", 1), SurveyToken(s, "case-1", 2); r1 == r2 || SurveyToken(s, "case-1", 0) != r1 {
		t.Errorf("survey tokens of rounds 1 and 2: %q %q", r1, r2)
	}
}
