package apiserver

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/chat"
	"github.com/complaint-handling/complaints/internal/store"
)

// teamRoutes serves a team's chat channels: admins configure them;
// supervisors of the team may list them (a masked hint, never the URL or
// the secret, which no one reads back).
func (s *Server) teamRoutes(staff *gin.RouterGroup) {
	staff.GET("/teams/:team/channels", s.allow(complaint.RoleAdmin, complaint.RoleSupervisor), s.listChannels)
	staff.POST("/teams/:team/channels", s.allow(complaint.RoleAdmin), s.createChannel)
	staff.PATCH("/teams/:team/channels/:id", s.allow(complaint.RoleAdmin), s.updateChannel)
	staff.DELETE("/teams/:team/channels/:id", s.allow(complaint.RoleAdmin), s.deleteChannel)
}

// channelNameMax is the longest channel name, in characters.
const channelNameMax = 100

// secretMax is the longest signing secret accepted (DingTalk's are 67
// characters, Feishu's 22).
const secretMax = 200

// team reads the path's team: 404 when there is none, 403 for a
// supervisor of another team. It writes the problem and returns false.
func (s *Server) team(c *gin.Context) (string, bool) {
	team := c.Param("team")
	ok, err := s.store.TeamExists(c, team)
	if err != nil {
		s.fail(c, "team exists", err)
		return "", false
	}
	if !ok {
		problem(c, http.StatusNotFound, "not found", "")
		return "", false
	}
	if st := staffOf(c); st.Role != complaint.RoleAdmin && st.Team != team {
		problem(c, http.StatusForbidden, "forbidden", "only the team's supervisors and admins may see its channels")
		return "", false
	}
	return team, true
}

func (s *Server) listChannels(c *gin.Context) {
	team, ok := s.team(c)
	if !ok {
		return
	}
	list, err := s.store.TeamChannels(c, team)
	if err != nil {
		s.fail(c, "list channels", err)
		return
	}
	out := gin.H{"channels": list}
	if staffOf(c).Role == complaint.RoleAdmin {
		changes, err := s.store.TeamChannelChanges(c, team)
		if err != nil {
			s.fail(c, "channel changes", err)
			return
		}
		out["changes"] = changes
	}
	c.JSON(http.StatusOK, out)
}

type channelInput struct {
	Kind   *string `json:"kind"`
	Name   *string `json:"name"`
	URL    *string `json:"url"`
	Secret *string `json:"secret"`
	Active *bool   `json:"active"`
}

// check validates the fields given (all of them for a new channel, of
// kind): every bad field at once.
func (s *Server) checkChannel(in channelInput, kind string, creating bool) []FieldProblem {
	var errs []FieldProblem
	if creating && (in.Kind == nil || *in.Kind == "") {
		errs = append(errs, complaint.Required().At("kind"))
	} else if creating && !slices.Contains(store.ChatKinds(), kind) {
		errs = append(errs, complaint.OneOf(store.ChatKinds()...).At("kind"))
		kind = ""
	}
	if in.Name != nil || creating {
		name := ""
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		if name == "" {
			errs = append(errs, complaint.Required().At("name"))
		} else if p, bad := complaint.TextProblem(name, channelNameMax, complaint.SingleLine); bad {
			errs = append(errs, p.At("name"))
		}
	}
	if in.URL != nil || creating {
		switch {
		case in.URL == nil || *in.URL == "":
			errs = append(errs, complaint.Required().At("url"))
		case kind != "":
			if err := chat.CheckURL(kind, *in.URL, s.cfg.ChatWebhookHosts); err != nil {
				hosts := strings.Join(chat.Hosts[kind], ", ")
				errs = append(errs, complaint.NewProblem(complaint.CodeWebhookNotAllowed,
					"must be an https webhook URL of the service ("+hosts+")", "hosts", hosts).At("url"))
			}
		}
	}
	if in.Secret != nil && *in.Secret != "" && kind != "" {
		switch {
		case kind != store.ChatDingTalk && kind != store.ChatFeishu:
			errs = append(errs, complaint.NewProblem(complaint.CodeSecretNotUsed, "this kind of channel has no signing secret").At("secret"))
		default:
			if p, bad := complaint.TextProblem(*in.Secret, secretMax, complaint.SingleLine); bad {
				errs = append(errs, p.At("secret"))
			}
		}
	}
	return errs
}

func (s *Server) createChannel(c *gin.Context) {
	team, ok := s.team(c)
	if !ok {
		return
	}
	var in channelInput
	ok, bad := decodeKeepingText(c, &in)
	if !ok {
		return
	}
	kind := ""
	if in.Kind != nil {
		kind = *in.Kind
	}
	if errs := append(bad, s.checkChannel(in, kind, true)...); len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	sec := chat.Secret{URL: *in.URL}
	if in.Secret != nil {
		sec.Secret = *in.Secret
	}
	sealed, err := s.cfg.ChatSealer.Seal(sec)
	if err != nil {
		s.fail(c, "seal channel", err)
		return
	}
	active := in.Active == nil || *in.Active
	ch, err := s.store.CreateTeamChannel(c, store.TeamChannel{Team: team, Kind: kind, Name: strings.TrimSpace(*in.Name),
		Sealed: sealed, Hint: chat.Hint(sec), Active: active}, staffOf(c).ID)
	if err != nil {
		s.fail(c, "create channel", err)
		return
	}
	c.Header("Location", "/v1/teams/"+team+"/channels/"+strconv.FormatInt(ch.ID, 10))
	c.JSON(http.StatusCreated, ch)
}

// channel reads the path's channel of the team (404 when there is none).
func (s *Server) channel(c *gin.Context, team string) (store.TeamChannel, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		problem(c, http.StatusNotFound, "not found", "")
		return store.TeamChannel{}, false
	}
	ch, err := s.store.TeamChannelByID(c, team, id)
	if err != nil {
		s.fail(c, "channel", err)
		return store.TeamChannel{}, false
	}
	return ch, true
}

func (s *Server) updateChannel(c *gin.Context) {
	team, ok := s.team(c)
	if !ok {
		return
	}
	ch, ok := s.channel(c, team)
	if !ok {
		return
	}
	var in channelInput
	ok, bad := decodeKeepingText(c, &in)
	if !ok {
		return
	}
	errs := append(bad, s.checkChannel(in, ch.Kind, false)...)
	if in.Kind != nil && *in.Kind != ch.Kind {
		errs = append(errs, complaint.NewProblem(complaint.CodeInvalid, "cannot be changed: delete the channel and add another").At("kind"))
	}
	if len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	change := store.TeamChannelChange{Active: in.Active}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		change.Name = &name
	}
	if in.URL != nil || in.Secret != nil {
		sec, err := s.cfg.ChatSealer.Open(ch.Sealed)
		if err != nil {
			s.fail(c, "open channel", err)
			return
		}
		if in.URL != nil {
			sec.URL = *in.URL
		}
		if in.Secret != nil {
			sec.Secret = *in.Secret
		}
		if change.Sealed, err = s.cfg.ChatSealer.Seal(sec); err != nil {
			s.fail(c, "seal channel", err)
			return
		}
		change.Hint = chat.Hint(sec)
	}
	out, err := s.store.UpdateTeamChannel(c, team, ch.ID, change, staffOf(c).ID)
	if err != nil {
		s.fail(c, "update channel", err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) deleteChannel(c *gin.Context) {
	team, ok := s.team(c)
	if !ok {
		return
	}
	ch, ok := s.channel(c, team)
	if !ok {
		return
	}
	if err := s.store.DeleteTeamChannel(c, team, ch.ID, staffOf(c).ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			problem(c, http.StatusNotFound, "not found", "")
			return
		}
		s.fail(c, "delete channel", err)
		return
	}
	c.Status(http.StatusNoContent)
}
