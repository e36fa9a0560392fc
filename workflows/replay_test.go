package workflows_test

import (
	"path/filepath"
	"testing"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/testenv"
	wf "github.com/complaint-handling/complaints/workflows"
)

// TestReplayRecordedHistories replays histories recorded from the real
// Temporal server (internal/app's tests with UPDATE_HISTORIES=1) against
// the current workflow code: a change that would break running cases
// without a workflow.GetVersion guard fails here.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d recorded histories in testdata/, want at least 2", len(files))
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
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: c.DataConverter()})
			if err != nil {
				t.Fatal(err)
			}
			r.RegisterWorkflowWithOptions(wf.ComplaintWorkflow, workflow.RegisterOptions{Name: wf.WorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(tlog.NewStructuredLogger(testenv.Logger(t)), f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
