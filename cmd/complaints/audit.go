package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
)

// audit runs `complaints audit verify [--case ID]`: it recomputes the
// audit trail's hash chain of one case or of all, prints what it checked
// and every case whose chain is broken with its first broken seq, and
// fails (exit status 1) when any is.
func audit(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	const use = "usage: complaints audit verify [--case ID]"
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(use)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stdout)
	caseID := fs.String("case", "", "check only this case (its id)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errors.New(use)
	}
	if *caseID != "" {
		if _, err := uuid.Parse(*caseID); err != nil {
			return fmt.Errorf("--case: %q is not a case id", *caseID)
		}
	}
	url := cfg.DatabaseURL
	if url == "" {
		pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(cfg.DataDir, "postgres"), Logger: logger})
		if err != nil {
			return err
		}
		defer pg.Stop()
		url = pg.URL("complaints")
	}
	st, err := store.Open(ctx, url, 2)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAudit(ctx, *caseID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("audit verify: no case %s", *caseID)
	}
	if err != nil {
		return err
	}
	for _, b := range rep.Breaks {
		fmt.Fprintf(stdout, "BROKEN %s\n", b)
	}
	fmt.Fprintf(stdout, "checked %d events of %d cases: %d broken\n", rep.Events, rep.Cases, len(rep.Breaks))
	if len(rep.Breaks) > 0 {
		b := rep.Breaks[0]
		return fmt.Errorf("audit trail broken in %d cases: the first, case %s, at seq %d", len(rep.Breaks), b.CaseID, b.Seq)
	}
	return nil
}
