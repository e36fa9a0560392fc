package apiserver

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// anonymousRepeatsPerDay is how many repeat contacts a matter takes in a
// day before anonymous filings on it are refused (429): a customer who
// writes ten times in a day has been heard, and a stranger who knows the
// customer's id and order reference cannot fill the case's audit trail and
// history with thousands of filings. Staff and authenticated channels are
// not limited (a customer's calls are recorded whatever their number); a
// replay of an earlier request is answered as before.
const anonymousRepeatsPerDay = 10

// repeatsExceeded answers 429 and reports true when an anonymous filing on
// the matter of workflowID would pass anonymousRepeatsPerDay.
func (s *Server) repeatsExceeded(c *gin.Context, workflowID string) bool {
	if staffOf(c) != nil || idempotentReplay(c) {
		return false
	}
	over, err := s.repeatsOver(c, workflowID)
	if err != nil {
		s.fail(c, "intake", err)
		return true
	}
	if !over {
		return false
	}
	c.Header("Retry-After", strconv.Itoa(int(time.Hour.Seconds())))
	problem(c, http.StatusTooManyRequests, "too many contacts on this matter today",
		"your earlier messages on this matter are recorded; please use the tracking link you were sent, or try again later")
	return true
}

// repeatsOver reports whether the matter of workflowID has taken
// anonymousRepeatsPerDay repeat contacts in the last day.
func (s *Server) repeatsOver(ctx context.Context, workflowID string) (bool, error) {
	n, err := s.store.RecentRepeatContacts(ctx, workflowID, time.Now().Add(-24*time.Hour))
	return n >= anonymousRepeatsPerDay, err
}
