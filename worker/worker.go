// Package worker builds the Temporal worker that runs complaint workflows
// and their activities.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/activities"
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
}

// New returns a worker for taskQueue with the complaint workflow and every
// activity registered. The caller starts and stops it.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts Options) sdkworker.Worker {
	if opts.CacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(opts.CacheSize)
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
