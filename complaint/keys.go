package complaint

import "fmt"

// RemedyKey is the idempotency key of one operation (execute, reverse) on
// one remedy of a case.
func RemedyKey(caseID, remedyID, op string) string { return caseID + ":" + remedyID + ":" + op }

// RoundKey is the outbox key of a message of a closing's round: the first
// round's is the key itself, as before rounds (so a retried activity of a
// case started before them finds its message), and later rounds' carry
// the round.
func RoundKey(key string, round int) string {
	if round <= 1 {
		return key
	}
	return fmt.Sprintf("%s-%d", key, round)
}
