// Package apiserver is the thin HTTP API: it validates, authorises, and
// starts or talks to complaint workflows. Lists come from PostgreSQL; one
// case comes from PostgreSQL plus the workflow's state query.
package apiserver

import (
	"context"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/attachments"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/chat"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// Config is what the API needs to know beyond its dependencies.
type Config struct {
	TaskQueue       string
	PublicBaseURL   string
	TokenSecret     []byte
	TemporalTimeout time.Duration
	// MaxBodyBytes limits request bodies (413 above it).
	MaxBodyBytes int64
	// PublicRate and PublicBurst limit unauthenticated calls per client
	// address (requests per second, bucket size); 0 disables the limit.
	PublicRate  float64
	PublicBurst int
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For and
	// X-Real-IP name the client; empty trusts none.
	TrustedProxies []string
	// StaffAutoConfirm registers staff first seen from a token confirmed
	// (else an admin confirms them before cases are assigned to them).
	StaffAutoConfirm bool
	// TeamIsolation keeps agents and supervisors to their team's cases
	// and their own.
	TeamIsolation bool
	// Notifier, when set, delivers the messages the API itself queues
	// (the tracking link sent to the contact on file) after they are in
	// the outbox: email when SMTP_URL is set.
	Notifier activities.Notifier
	// Authority is the approval matrix incident resolutions are checked
	// against (each case still checks its own).
	Authority complaint.AuthorityMatrix
	// PayloadCodec, Namespace and CodecOrigins serve the codec endpoint
	// (codec.go): the codec, the Temporal namespace it serves, and the
	// browser origins (the Temporal UI's) allowed to call it.
	PayloadCodec PayloadCodec
	Namespace    string
	CodecOrigins []string
	// TemporalUIURL is the Temporal Web UI's base URL: engineers' case
	// views link to the case's workflow there (empty: no link).
	TemporalUIURL string
	// ChatSealer seals teams' chat channel secrets; ChatWebhookHosts are
	// the webhook hosts allowed besides each service's (CHAT_WEBHOOK_HOSTS).
	ChatSealer       chat.Sealer
	ChatWebhookHosts []string
	// Attachments keeps the files attached to cases; nil is the default
	// service on the store's PostgreSQL, without a virus scanner.
	Attachments *attachments.Service
	// Classifier classifies new complaints against the taxonomy before
	// their workflows start (nil: the workflow's keyword rules do).
	Classifier Classifier
}

// Server is the HTTP API.
type Server struct {
	temporal client.Client
	store    *store.Store
	verifier auth.Verifier
	cfg      Config
	logger   *slog.Logger
	metrics  *httpMetrics
	limiter  *ipLimiter
	registry *prometheus.Registry
	engine   *gin.Engine
	web      *web
	// wfIDKey keys the hash in matter workflow ids.
	wfIDKey []byte
	zones   zones
	// codecMetrics count the codec endpoint's calls.
	codecMetrics *codecMetrics
	attachments  *attachments.Service
}

// New builds the API with every dependency passed in.
func New(tc client.Client, st *store.Store, verifier auth.Verifier, cfg Config, logger *slog.Logger, reg *prometheus.Registry) (*Server, error) {
	if cfg.TemporalTimeout == 0 {
		cfg.TemporalTimeout = 10 * time.Second
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if cfg.Authority.Limits == nil {
		cfg.Authority = complaint.DefaultAuthority()
	}
	s := &Server{temporal: tc, store: st, verifier: verifier, cfg: cfg, logger: logger, registry: reg,
		metrics: newHTTPMetrics(reg), codecMetrics: newCodecMetrics(reg), wfIDKey: workflowIDKey(cfg.TokenSecret),
		attachments: cfg.Attachments}
	if s.attachments == nil && st != nil {
		s.attachments = attachments.NewService(attachments.Postgres{Pool: st.Pool}, nil, attachments.DefaultLimits(), logger)
	}
	if cfg.PublicRate > 0 {
		burst := cfg.PublicBurst
		if burst <= 0 {
			burst = 1
		}
		s.limiter = newIPLimiter(cfg.PublicRate, burst, maxLimitedClients)
	}
	w, err := newWeb()
	if err != nil {
		return nil, fmt.Errorf("apiserver.New: %w", err)
	}
	s.web = w
	if s.engine, err = s.routes(); err != nil {
		return nil, fmt.Errorf("apiserver.New: %w", err)
	}
	w.routes(s.engine, s)
	return s, nil
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

func (s *Server) routes() (*gin.Engine, error) {
	r := gin.New()
	r.ContextWithFallback = true
	// gin trusts every peer's forwarding headers unless told otherwise.
	if err := r.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.Use(s.recoverer(), s.observe(), s.limitBody(), s.checkParams())
	r.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, "not found", "no such route") })
	r.NoMethod(func(c *gin.Context) { problem(c, http.StatusMethodNotAllowed, "method not allowed", "") })
	r.HandleMethodNotAllowed = true

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	r.GET("/openapi.json", openapiHandler())

	v1 := r.Group("/v1")
	lists, err := listsHandler(s.web.dict)
	if err != nil {
		return nil, err
	}
	v1.GET("/lists", s.optionalStaff(), s.rateLimitPublic(), lists)
	public := v1.Group("", noStore(), s.optionalStaff(), s.rateLimitPublic(), s.idempotency())
	public.POST("/complaints", s.createComplaint)
	public.GET("/track/:token", s.track)
	public.POST("/track/:token/response", s.trackResponse)
	public.POST("/track/:token/info", s.trackInfo)
	public.POST("/track/:token/withdraw", s.trackWithdraw)
	public.GET("/track/:token/preferences", s.trackPreferences)
	public.PUT("/track/:token/preferences", s.setTrackPreferences)
	public.GET("/track/:token/attachments", s.trackAttachments)
	public.POST("/track/:token/attachments", s.trackUpload)
	public.GET("/track/:token/attachments/:attachment", s.trackDownload)
	public.GET("/surveys/:token", s.surveyInfo)
	public.POST("/surveys/:token", s.survey)

	staff := v1.Group("", s.requireStaff(), s.idempotency())
	staff.GET("/me", s.allow(readers...), s.me)
	staff.GET("/complaints", s.allow(readers...), s.listComplaints)
	staff.GET("/complaints/:id", s.allow(readers...), s.getComplaint)
	for _, d := range s.decisions() {
		staff.POST("/complaints/:id/"+d.path, s.allow(decisionRoles(d.action)...), d.handle)
	}
	staff.GET("/complaints/:id/attachments", s.allow(readers...), s.caseAttachments)
	staff.POST("/complaints/:id/attachments", s.allow(handlers...), s.uploadCaseAttachments)
	staff.GET("/complaints/:id/attachments/:attachment", s.allow(readers...), s.downloadCaseAttachment)
	// The people around a case, logged calls, merging and splitting
	// (docs/parties.md).
	supervisors := []string{complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector}
	staff.GET("/complaints/:id/parties", s.allow(readers...), s.getParties)
	staff.POST("/complaints/:id/parties", s.allow(handlers...), s.addParty)
	staff.PUT("/complaints/:id/parties/:no", s.allow(handlers...), s.updateParty)
	staff.DELETE("/complaints/:id/parties/:no", s.allow(handlers...), s.removeParty)
	staff.POST("/complaints/:id/calls", s.allow(handlers...), s.logCall)
	staff.POST("/complaints/:id/merge", s.allow(supervisors...), s.merge)
	staff.POST("/complaints/:id/split", s.allow(supervisors...), s.split)
	staff.GET("/reports/handovers", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector, complaint.RoleAdmin, complaint.RoleAuditor), s.handovers)
	staff.GET("/profiles", s.allow(readers...), s.listProfiles)
	staff.GET("/remedy-kinds", s.allow(readers...), s.remedyKinds)
	staff.GET("/reports/breakdown", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector, complaint.RoleAdmin, complaint.RoleAuditor), s.breakdown)
	staff.GET("/reports/monthly", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector, complaint.RoleAdmin, complaint.RoleAuditor), s.monthly)
	staff.GET("/incidents", s.allow(readers...), s.listIncidents)
	staff.GET("/incidents/:id", s.allow(readers...), s.getIncident)
	staff.POST("/incidents/:id/updates", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector), s.postIncidentUpdate)
	staff.POST("/incidents/:id/close", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector), s.closeIncident)
	staff.POST("/incidents/:id/resolution", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector), s.proposeIncidentResolution)
	staff.POST("/incidents/:id/resolution/decision", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector), s.decideIncidentResolution)
	staff.GET("/calendars", s.allow(readers...), s.listCalendars)
	staff.GET("/calendars/:id", s.allow(readers...), s.getCalendar)
	staff.PUT("/calendars/:id", s.allow(complaint.RoleAdmin), s.putCalendar)
	staff.GET("/staff", s.allow(complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector, complaint.RoleAdmin), s.listStaff)
	staff.PATCH("/staff/:id", s.allow(complaint.RoleAdmin), s.updateStaff)
	s.scriptRoutes(staff)
	s.abuseRoutes(staff)
	s.teamRoutes(staff)
	s.meRoutes(staff)
	s.taxonomyRoutes(staff)
	s.codecRoutes(r)
	return r, nil
}

// readers may read cases (every role); handlers decide on them (the
// roles with an approval level).
var (
	readers  = complaint.Roles()
	handlers = slices.DeleteFunc(complaint.Roles(), func(r string) bool { return complaint.RoleLevel(r) == 0 })
)

// decisionRoles is who may take a staff decision at all (the workflow then
// checks state and authority): case handlers, and admins may also assign
// and transfer.
func decisionRoles(action string) []string {
	if action == complaint.ActionAssign || action == complaint.ActionTransfer {
		return append(slices.Clone(handlers), complaint.RoleAdmin)
	}
	return handlers
}

// decision is one staff decision route.
type decision struct {
	action, path string
	handle       gin.HandlerFunc
}

func (s *Server) decisions() []decision {
	return []decision{
		{complaint.ActionAssign, "assign", s.assign},
		{complaint.ActionTransfer, "transfer", s.transfer},
		{complaint.ActionNote, "notes", s.note},
		{complaint.ActionRequestInfo, "request-info", s.requestInfo},
		{complaint.ActionEscalate, "escalate", s.escalate},
		{complaint.ActionClassify, "classification", s.classify},
		{complaint.ActionFindings, "findings", s.findings},
		{complaint.ActionPropose, "proposal", s.proposal},
		{complaint.ActionApprove, "approvals", s.approval},
		{complaint.ActionRequestExtension, "extensions", s.requestExtension},
		{complaint.ActionDecideExtension, "extensions/decision", s.decideExtension},
		{complaint.ActionFulfilment, "fulfilments/:remedy", s.fulfilment},
	}
}

// actionsFor is what the console offers actor on a case: what the
// workflow's rules allow in its state, less what the actor's role may not
// do through the API.
func actionsFor(st complaint.State, actor complaint.Actor) []string {
	out := []string{}
	for _, a := range wf.Actions(st, actor) {
		if slices.Contains(decisionRoles(a), actor.Role) {
			out = append(out, a)
		}
	}
	return out
}

// readyz answers 200 when PostgreSQL and Temporal are reachable and the
// classifier's dictionary has loaded.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c, 2*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if err := s.store.Ping(ctx); err != nil {
		checks["postgres"] = "unreachable"
		ok = false
	} else {
		checks["postgres"] = "ok"
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = "unreachable"
		ok = false
	} else {
		checks["temporal"] = "ok"
	}
	if r, loading := s.cfg.Classifier.(interface{ Ready() bool }); loading && !r.Ready() {
		// The classifier's dictionary is still loading (a few seconds
		// after start): complaints would wait for it.
		checks["classifier"] = "loading"
		ok = false
	}
	if !ok {
		c.Header("Retry-After", "5")
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}

func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil {
			limit := s.cfg.MaxBodyBytes
			if isUploadRoute(c.Request.Method, c.FullPath()) && isMultipart(c) {
				limit = s.uploadBodyLimit()
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				s.logger.Error("panic in handler", "route", c.FullPath(), "panic", r)
				problem(c, http.StatusInternalServerError, "internal error", "")
				c.Abort()
			}
		}()
		c.Next()
	}
}

// HealthHandler serves /healthz, /readyz and /metrics for a process that
// runs only the worker.
func HealthHandler(tc client.Client, st *store.Store, reg *prometheus.Registry) http.Handler {
	s := &Server{temporal: tc, store: st, registry: reg, logger: slog.Default()}
	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	return r
}
