package apiserver

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// fulfilmentBody moves one fulfilment (the remedy named in the path) of a
// case waiting for its replacements and repairs.
type fulfilmentBody struct {
	State string `json:"state"`
	Note  string `json:"note"`
}

// fulfilment is POST /v1/complaints/{id}/fulfilments/{remedy}: an update
// to the workflow, which writes the fulfilments row in the same
// transaction as the audit event, so Temporal and PostgreSQL agree.
func (s *Server) fulfilment(c *gin.Context) {
	remedy := c.Param("remedy")
	bodyDecision(s, c, wf.UpdateFulfilment, func(b fulfilmentBody, a complaint.Actor) any {
		return complaint.FulfilmentRequest{Actor: a, RemedyID: remedy, State: b.State, Note: b.Note}
	})
}

// remedyKinds is GET /v1/remedy-kinds: complaint.RemedyKinds, so the
// console offers the types and amount rules the workflow validates.
func (s *Server) remedyKinds(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"remedy_kinds": complaint.RemedyKinds()})
}
