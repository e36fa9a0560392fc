package complaint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Tokens are derived from the deployment's token secret and the case, so
// the register activity, the survey activity and the API derive the same
// token without storing it; only its hash is stored (store.HashToken).

// TrackingToken derives the customer's tracking token for a case.
func TrackingToken(secret []byte, caseID string) string { return token(secret, "track:"+caseID) }

// SurveyToken derives the survey link's token for a case's round (the
// first round's keeps the form links already sent have).
func SurveyToken(secret []byte, caseID string, round int) string {
	if round <= 1 {
		return token(secret, "survey:"+caseID)
	}
	return token(secret, fmt.Sprintf("survey:%s:%d", caseID, round))
}

func token(secret []byte, msg string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
