package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/complaint-handling/complaints/internal/testenv"
)

// The tests of this package run the tooling binary as `make run`,
// `make bench`, `make cluster` and `make chaos` do; it is built once.
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
	buildOut  []byte
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "complaints-bin-*"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// binary builds the complaints-dev binary (once) and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	// Every test here runs the binary, which starts PostgreSQL and Temporal.
	testenv.SkipIfShort(t)
	bin := filepath.Join(binDir, "complaints-dev")
	buildOnce.Do(func() { buildOut, buildErr = exec.Command("go", "build", "-o", bin, ".").CombinedOutput() })
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return bin
}
