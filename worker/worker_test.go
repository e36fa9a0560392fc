package worker_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/testenv"
	"github.com/complaint-handling/complaints/workflows"
)

// TestEnvelopeCheckIsReplaySafe replays the recorded histories (whose
// updates were accepted) with the worker's envelope interceptor and a
// verifier that holds no key, so it would refuse every update it checked:
// they replay, because the check runs in the update's validator, which the
// SDK does not run on replay. A check moved into ExecuteUpdate, or into
// the workflow, fails here.
func TestEnvelopeCheckIsReplaySafe(t *testing.T) {
	files, err := filepath.Glob("../workflows/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories: %v", err)
	}
	keys, err := codec.ParseKeys(testenv.PayloadKeys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(testenv.PayloadKeyID, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: c.DataConverter(),
				Interceptors: []interceptor.WorkerInterceptor{envelope.WorkerInterceptor(envelope.Verifier{}, nil)}})
			if err != nil {
				t.Fatal(err)
			}
			r.RegisterWorkflowWithOptions(workflows.ComplaintWorkflow, workflow.RegisterOptions{Name: workflows.WorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(tlog.NewStructuredLogger(testenv.Logger(t)), f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
