package apiserver

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// meRoutes serves a staff member's own notifications: those addressed to
// them, and to their role in their team. No one reads or marks another's.
func (s *Server) meRoutes(staff *gin.RouterGroup) {
	staff.GET("/me/notifications", s.allow(readers...), s.myNotifications)
	staff.POST("/me/notifications/read-all", s.allow(readers...), s.readAllNotifications)
	staff.POST("/me/notifications/:id/read", s.allow(readers...), s.readNotification)
}

// notificationsPage bounds a page of notifications.
const notificationsPage = 100

// myNotification is a notification with the console's link to its case.
type myNotification struct {
	store.StaffNotification
	Link string `json:"link"`
	Read bool   `json:"read"`
}

func (s *Server) myNotifications(c *gin.Context) {
	limit, before := 20, int64(0)
	var errs []FieldProblem
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > notificationsPage {
			errs = append(errs, complaint.OutOfRange(1, notificationsPage).At("limit"))
		} else {
			limit = n
		}
	}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, complaint.NewProblem(complaint.CodeInvalidCursor, "is not a cursor this endpoint returned").At("before"))
		} else {
			before = n
		}
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	list, unread, err := s.store.StaffNotifications(c, *staffOf(c), before, limit)
	if err != nil {
		s.fail(c, "my notifications", err)
		return
	}
	out := make([]myNotification, 0, len(list))
	for _, n := range list {
		link := "/console/incidents"
		if n.CaseID != "" {
			link = "/console/cases/" + n.CaseID
		}
		out = append(out, myNotification{StaffNotification: n, Link: link, Read: n.ReadAt != nil})
	}
	body := gin.H{"notifications": out, "unread": unread}
	if len(list) == limit {
		body["next_before"] = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	c.JSON(http.StatusOK, body)
}

func (s *Server) readNotification(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		problem(c, http.StatusNotFound, "not found", "")
		return
	}
	// Another member's notification is "not found": its existence is not
	// told either.
	if err := s.store.MarkNotificationRead(c, *staffOf(c), id); err != nil {
		s.fail(c, "read notification", err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) readAllNotifications(c *gin.Context) {
	n, err := s.store.MarkAllNotificationsRead(c, *staffOf(c))
	if err != nil {
		s.fail(c, "read all notifications", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"marked": n})
}
