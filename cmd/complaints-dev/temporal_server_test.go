package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/internal/pgserver"
)

func greet(ctx workflow.Context, name string) (string, error) { return "hello " + name, nil }

// TestTemporalServerRunsAlone runs `complaints temporal-server` as its own
// process on a PostgreSQL server: the namespace and the search attributes
// are registered, a workflow runs through it, SIGTERM stops it cleanly,
// and started again on the same databases the finished workflow is still
// there.
func TestTemporalServerRunsAlone(t *testing.T) {
	dir, err := os.MkdirTemp("", "complaints-temporal-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx := context.Background()
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	bin := binary(t)
	hostPort := fmt.Sprintf("127.0.0.1:%d", freePort(t, 20000))
	start := func() (*exec.Cmd, *syncBuffer) {
		cmd := exec.Command(bin, "temporal-server")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+pg.URL("postgres"), "TEMPORAL_FRONTEND_ADDR="+hostPort,
			"TEMPORAL_NAMESPACE=complaints", "LOG_LEVEL=info", "DATA_DIR="+filepath.Join(dir, "data"))
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(out.String(), "temporal server ready") {
			if time.Now().After(deadline) {
				t.Fatalf("not ready after 60 s:\n%s", out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		return cmd, out
	}
	stop := func(cmd *exec.Cmd, out *syncBuffer) {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("did not stop after SIGTERM:\n%s", out.String())
		}
	}

	cmd, out := start()
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: "complaints"})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "complaints"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CaseNumber", "CaseStatus", "CaseCategory", "CaseSeverity"} {
		if _, ok := attrs.GetCustomAttributes()[name]; !ok {
			t.Errorf("search attribute %s not registered: %v", name, attrs.GetCustomAttributes())
		}
	}
	w := sdkworker.New(c, "greetings", sdkworker.Options{})
	w.RegisterWorkflowWithOptions(greet, workflow.RegisterOptions{Name: "greet"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(wctx, client.StartWorkflowOptions{ID: "greet-1", TaskQueue: "greetings"}, "greet", "ops")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(wctx, &got); err != nil || got != "hello ops" {
		t.Fatalf("workflow result %q, %v", got, err)
	}
	w.Stop()
	c.Close()
	stop(cmd, out)

	// Started again on the same databases: the finished workflow is there.
	cmd, out = start()
	c, err = client.Dial(client.Options{HostPort: hostPort, Namespace: "complaints"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got = ""
	if err := c.GetWorkflow(wctx, "greet-1", "").Get(wctx, &got); err != nil || got != "hello ops" {
		t.Fatalf("after restart: workflow result %q, %v", got, err)
	}
	stop(cmd, out)
}
