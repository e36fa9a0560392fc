// Package worker builds the Temporal worker that runs complaint workflows
// and their activities.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/workflows"
)

// Options tunes the worker; zero values take the SDK's defaults.
type Options struct {
	MaxConcurrentActivities      int
	MaxConcurrentWorkflowTasks   int
	MaxConcurrentLocalActivities int
	WorkflowPollers              int
	ActivityPollers              int
	// StopTimeout is how long Stop lets activity attempts in flight
	// finish before it cancels them (graceful shutdown).
	StopTimeout time.Duration
	// CacheSize is the sticky workflow cache, shared by every worker of
	// the process: set before the first worker starts (0 keeps 10,000).
	CacheSize int
	// Decisions checks the signed envelope of every update before the
	// workflow's validator runs (internal/envelope). Its zero value has no
	// key and refuses every update; Now, MaxAge and Skew default to the
	// wall clock, DefaultDecisionMaxAge and DefaultDecisionSkew.
	Decisions envelope.Verifier
	// DecisionMetrics counts refused envelopes; nil counts nothing.
	DecisionMetrics *envelope.Metrics
}

// Bounds of a signed decision's issue time when a worker validates it: an
// update waits at most TEMPORAL_TIMEOUT in the API, so minutes are ample,
// and the skew allows for clocks of different hosts.
const (
	DefaultDecisionMaxAge = 5 * time.Minute
	DefaultDecisionSkew   = time.Minute
)

// New returns a worker for taskQueue with the complaint workflow and every
// activity registered, and the decision envelope checked on every update.
// The caller starts and stops it.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts Options) sdkworker.Worker {
	if opts.CacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(opts.CacheSize)
	}
	v := opts.Decisions
	if v.Now == nil {
		v.Now = time.Now
	}
	if v.MaxAge <= 0 {
		v.MaxAge = DefaultDecisionMaxAge
	}
	if v.Skew <= 0 {
		v.Skew = DefaultDecisionSkew
	}
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:      opts.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize:  opts.MaxConcurrentWorkflowTasks,
		MaxConcurrentLocalActivityExecutionSize: opts.MaxConcurrentLocalActivities,
		MaxConcurrentWorkflowTaskPollers:        opts.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:        opts.ActivityPollers,
		WorkerStopTimeout:                       opts.StopTimeout,
		// A panic in workflow code (or a non-determinism error) fails the
		// workflow task and is retried after a fix is deployed, rather than
		// failing the complaint.
		WorkflowPanicPolicy: sdkworker.BlockWorkflow,
		// After a worker crash, a case's next decision waits this long on
		// the dead worker's sticky queue before another worker takes it.
		StickyScheduleToStartTimeout: 2 * time.Second,
		Interceptors:                 []interceptor.WorkerInterceptor{envelope.WorkerInterceptor(v, opts.DecisionMetrics)},
	})
	Register(w, acts)
	return w
}

// Register registers the workflow and activities on r (a worker, or a test
// environment).
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	sdkworker.ActivityRegistry
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.ComplaintWorkflow, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterWorkflowWithOptions(workflows.SystemicDetectorWorkflow, workflow.RegisterOptions{Name: workflows.DetectorWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.IncidentNoticeWorkflow, workflow.RegisterOptions{Name: workflows.IncidentNoticeName})
	r.RegisterWorkflowWithOptions(workflows.IncidentResolutionWorkflow, workflow.RegisterOptions{Name: workflows.IncidentResolutionName})
	acts.Register(r)
}
