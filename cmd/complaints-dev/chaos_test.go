package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChaosLosesNothing runs the small chaos run as `make chaos` runs the
// large one: PostgreSQL, the Temporal server, two workers and two API
// instances as processes; whole cases through both instances while a
// worker is killed twice, an API instance, the Temporal server, and
// PostgreSQL restarted, with a payment provider that answers 500, times
// out, and pays after the client gave up. The run checks itself (and
// proves its checks find planted defects); this test reads its
// chaos-report.json, kept under TEST_ARTIFACTS when set.
func TestChaosLosesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "chaos-report.json")
	if a := os.Getenv("TEST_ARTIFACTS"); a != "" {
		if err := os.MkdirAll(a, 0o755); err != nil {
			t.Fatal(err)
		}
		out = filepath.Join(a, "chaos-report.json")
	}
	cmd := exec.Command(binary(t), "chaos", "--small", "--out", out, "--dir", filepath.Join(dir, "work"),
		"--data", "../../testdata/cfpb/complaints-2023-sample.csv")
	b, err := cmd.CombinedOutput()
	t.Logf("%s", b)
	if err != nil {
		t.Fatalf("complaints chaos: %v", err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Cases              int     `json:"cases"`
		Faults             int     `json:"faults"`
		Lost               int     `json:"lost"`
		DuplicatedPayments int     `json:"duplicated_payments"`
		Stuck              int     `json:"stuck"`
		MaxRecoveryS       float64 `json:"max_recovery_s"`
		Accepted           int     `json:"accepted"`
		DuplicatedCases    int     `json:"duplicated_cases"`
		WrongState         int     `json:"wrong_state"`
		AuditGaps          int     `json:"audit_gaps"`
		LedgerMismatches   int     `json:"ledger_mismatches"`
		MissingPayments    int     `json:"missing_payments"`
		SelfCheck          string  `json:"self_check"`
		Provider           struct {
			Paid          int `json:"paid"`
			Errors        int `json:"errors_500"`
			Timeouts      int `json:"timeouts"`
			LateSuccesses int `json:"late_successes"`
		} `json:"provider"`
		SupervisorRestarts map[string]int `json:"supervisor_restarts"`
		FaultLog           []struct {
			Kind      string  `json:"kind"`
			RecoveryS float64 `json:"recovery_s"`
			Error     string  `json:"error"`
		} `json:"fault_log"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Cases < 24 || r.Faults != 5 || r.Accepted < r.Cases {
		t.Errorf("cases %d, faults %d, accepted %d", r.Cases, r.Faults, r.Accepted)
	}
	if r.Lost+r.DuplicatedPayments+r.Stuck+r.DuplicatedCases+r.WrongState+r.AuditGaps+r.LedgerMismatches+r.MissingPayments != 0 {
		t.Errorf("problems: %s", raw)
	}
	if r.MaxRecoveryS <= 0 || !strings.HasPrefix(r.SelfCheck, "passed") {
		t.Errorf("max recovery %v s, self-check %q", r.MaxRecoveryS, r.SelfCheck)
	}
	// The three-quarters of the cases that are paid went through a
	// provider that misbehaved in each of its ways at least once.
	if p := r.Provider; p.Paid < r.Cases/2 || p.Errors == 0 || p.Timeouts+p.LateSuccesses == 0 {
		t.Errorf("provider %+v", p)
	}
	kinds := map[string]int{}
	for _, f := range r.FaultLog {
		kinds[f.Kind]++
		if f.Error != "" || f.RecoveryS <= 0 {
			t.Errorf("fault %+v", f)
		}
	}
	if kinds["kill-worker"] != 2 || kinds["kill-api"] != 1 || kinds["kill-temporal"] != 1 || kinds["restart-postgres"] != 1 {
		t.Errorf("faults %v", kinds)
	}
	if r.SupervisorRestarts["temporal"] != 1 || r.SupervisorRestarts["worker-1"]+r.SupervisorRestarts["worker-2"] != 2 {
		t.Errorf("supervisor restarts %v", r.SupervisorRestarts)
	}
}
