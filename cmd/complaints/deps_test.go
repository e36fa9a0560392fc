package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/complaint-handling/complaints"

// TestProductionBinaryLinksNoTooling lists what the production binary
// links (go list -deps, as the Docker image builds it) and fails on any
// tooling: the Temporal server, the PostgreSQL launcher, the dev stack,
// the benchmark with its cluster supervisor and chaos harness, the test
// environment. A tooling import creeping back into a production package
// (app, cli, store...) fails here.
func TestProductionBinaryLinksNoTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, want := range []string{module + "/internal/app", module + "/internal/cli", "go.temporal.io/sdk/client"} {
		if !contains(deps, want) {
			t.Fatalf("the production binary does not link %s: is the list right? (%d packages)", want, len(deps))
		}
	}
	forbidden := []string{"go.temporal.io/server", module + "/internal/bench", module + "/internal/devstack",
		module + "/internal/pgserver", module + "/internal/temporalserver", module + "/internal/testenv"}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("the production binary links %s (tooling: %s)", d, f)
			}
		}
	}
}

// TestProductionBinaryRefusesTooling runs the production commands' list:
// the tooling commands are unknown there, and migrate and audit without a
// database URL name the setting instead of starting a PostgreSQL.
func TestProductionBinaryRefusesTooling(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"LOG_LEVEL": "error", "DATA_DIR": t.TempDir()}[k] }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dev"}, `unknown command "dev"`},
		{[]string{"temporal-server"}, `unknown command "temporal-server"`},
		{[]string{"bench"}, `unknown command "bench"`},
		{[]string{"bench-worker"}, `unknown command "bench-worker"`},
		{[]string{"cluster"}, `unknown command "cluster"`},
		{[]string{"chaos"}, `unknown command "chaos"`},
		{[]string{"migrate", "status"}, "DATABASE_URL"},
		{[]string{"audit", "verify"}, "DATABASE_URL"},
		{[]string{"api"}, "DATABASE_URL: required"},
		{[]string{"worker"}, "TEMPORAL_ADDRESS: required"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, getenv, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("complaints %s = %v, want an error with %q", strings.Join(tc.args, " "), err, tc.want)
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, getenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"api", "worker", "migrate", "audit", "token", "health"} {
		if !strings.Contains(out.String(), "\n  "+c+" ") {
			t.Errorf("help does not list %s:\n%s", c, out.String())
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
