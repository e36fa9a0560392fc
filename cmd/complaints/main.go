// Command complaints is the production binary of the complaint-handling
// system:
//
//	complaints api                 the HTTP API
//	complaints worker              the Temporal worker
//	complaints migrate up|down|status
//	complaints audit verify [--case ID]
//	complaints token --sub alice --role manager [--team billing] [--ttl 12h]
//	complaints health URL          exit status of a health check (container images without curl)
//
// It links no Temporal server, PostgreSQL launcher, benchmark, cluster
// supervisor or chaos harness: those are the tooling binary's
// (cmd/complaints-dev: `make run`, `make bench`, `make cluster`, `make
// chaos`), and TestProductionBinaryLinksNoTooling keeps it so.
package main

import (
	"context"
	"io"

	"github.com/complaint-handling/complaints/internal/cli"
)

func main() { cli.Main("complaints", commands()) }

func commands() []cli.Command { return cli.Production(cli.ExternalDatabase) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return cli.Run(ctx, "complaints", commands(), args, getenv, stdout, stderr)
}
