package app

import (
	"context"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"net/http"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/worker"
	"github.com/complaint-handling/complaints/workflows"
)

// startWorker starts the Temporal worker with the activities' outbound
// adapters (payments, notifications), and the worker's background duties:
// the report summary's refresher and the systemic-issue detector.
func (a *App) startWorker(ctx context.Context, opts Options) error {
	cfg, st := a.Config, a.Store
	profiles := opts.Profiles
	if profiles == nil {
		profiles = complaint.Profiles()
	}
	var payments activities.Payments = activities.LedgerPayments{Store: st}
	if cfg.PaymentsURL != "" {
		payments = activities.HTTPPayments{BaseURL: strings.TrimRight(cfg.PaymentsURL, "/"),
			Client: &http.Client{Timeout: cfg.PaymentsTimeout}, Ledger: activities.LedgerPayments{Store: st}}
	}
	if opts.Payments != nil {
		payments = opts.Payments(st)
	}
	var notifier activities.Notifier = activities.OutboxNotifier{Store: st, Logger: a.Logger}
	if cfg.NotifyWebhookURL != "" {
		notifier = activities.WebhookNotifier{URL: cfg.NotifyWebhookURL, Next: activities.OutboxNotifier{Store: st, Logger: a.Logger}}
	}
	// The message counters exist without email too: every worker
	// reports them, at zero, so the alert and the panel always have
	// their series.
	mailMetrics := a.messageMetrics()
	if cfg.Mail.Enabled() || cfg.SMS.Enabled() {
		var stopMail func()
		var err error
		if notifier, stopMail, err = a.startMail(ctx, st, notifier, profiles, opts.MailTLS, mailMetrics); err != nil {
			return err
		}
		// Registered before the worker's stop, so it runs after it.
		a.closeLater(stopMail)
	}
	notifier, stopChat := a.startChat(ctx, st, notifier, mailMetrics, opts.ChatClient)
	a.closeLater(stopChat)
	acts := &activities.Activities{Store: st, Payments: payments, Notifier: notifier,
		Profiles: profiles, Authority: a.authority(), TokenSecret: []byte(a.Secrets.Token), Logger: a.Logger, Spike: cfg.Spike, Temporal: a.Temporal,
		PublicBaseURL: cfg.PublicBaseURL}
	a.worker = worker.New(a.Temporal, cfg.TaskQueue, acts, worker.Options{
		CacheSize: cfg.Worker.CacheSize, MaxConcurrentWorkflowTasks: cfg.Worker.WorkflowTasks,
		MaxConcurrentActivities: cfg.Worker.Activities, MaxConcurrentLocalActivities: cfg.Worker.LocalActivities,
		WorkflowPollers: cfg.Worker.WorkflowPollers, ActivityPollers: cfg.Worker.ActivityPollers,
		StopTimeout: cfg.ShutdownTimeout,
		Decisions:   a.decisionVerifier(), DecisionMetrics: envelope.NewMetrics(a.Registry),
	})
	if err := a.worker.Start(); err != nil {
		return fmt.Errorf("worker start: %w", err)
	}
	a.closeLater(a.worker.Stop)
	if cfg.ReportRefresh > 0 {
		stop := newSummaryRefresher(st, cfg.ReportZones, cfg.ReportRefresh, a.Logger, a.Registry).start(context.WithoutCancel(ctx))
		a.closeLater(stop)
	}
	if cfg.SpikeDetector {
		if err := startDetector(ctx, a.Temporal, cfg.TaskQueue); err != nil {
			return err
		}
	}
	return nil
}

// decisionVerifier checks envelopes signed with DECISION_SIGNING_KEY or,
// during a rotation, DECISION_SIGNING_KEY_PREVIOUS.
func (a *App) decisionVerifier() envelope.Verifier {
	v := envelope.Verifier{Keys: [][]byte{[]byte(a.Secrets.Decision)}, MaxAge: a.Config.DecisionMaxAge,
		Skew: worker.DefaultDecisionSkew, Now: time.Now}
	if k := a.Config.DecisionSigningKeyPrevious; k != "" {
		v.Keys = append(v.Keys, []byte(k))
	}
	return v
}

// startDetector starts the systemic-issue detector of the task queue, or
// leaves the one already running (every worker process asks; one runs).
func startDetector(ctx context.Context, tc client.Client, taskQueue string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DetectorWorkflowID + ":" + taskQueue, TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.DetectorWorkflowName)
	if err != nil {
		return fmt.Errorf("start the systemic-issue detector: %w", err)
	}
	return nil
}
