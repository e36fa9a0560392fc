package temporalserver_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/internal/testenv"
)

func echo(ctx workflow.Context, s string) (string, error) { return "echo:" + s, nil }

// TestServerOnPostgres starts the embedded server on a real PostgreSQL, runs
// a workflow, restarts the server on the same databases and checks the
// workflow's result and the search attributes are still there.
func TestServerOnPostgres(t *testing.T) {
	testenv.SkipIfShort(t)
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tsrv-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatalf("pgserver.Start: %v", err)
	}
	t.Cleanup(func() { _ = pg.Stop() })

	opts := temporalserver.Options{
		DatabaseURL:      pg.URL("postgres"),
		Namespace:        "test",
		SearchAttributes: map[string]enumspb.IndexedValueType{"CaseStatus": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		LogFile:          filepath.Join(dir, "temporal.log"),
	}
	srv, err := temporalserver.Start(ctx, opts)
	if err != nil {
		t.Fatalf("temporalserver.Start: %v", err)
	}
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, "q", worker.Options{})
	w.RegisterWorkflow(echo)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-1", TaskQueue: "q"}, echo, "hi")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "echo:hi" {
		t.Fatalf("result = %q, %v", got, err)
	}
	w.Stop()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Second start on the same databases: schema is already current.
	opts.FrontendAddress = "127.0.0.1:0"
	srv2, err := temporalserver.Start(ctx, opts)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { _ = srv2.Stop() })
	c2, err := client.Dial(client.Options{HostPort: srv2.HostPort(), Namespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c2.GetWorkflow(cctx, "wf-1", "").Get(cctx, &got); err != nil || got != "echo:hi" {
		t.Fatalf("after restart result = %q, %v", got, err)
	}
	sa, err := c2.OperatorService().ListSearchAttributes(cctx, &operatorservice.ListSearchAttributesRequest{Namespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sa.GetCustomAttributes()["CaseStatus"]; !ok {
		t.Fatalf("search attribute CaseStatus missing: %v", sa.GetCustomAttributes())
	}
}
