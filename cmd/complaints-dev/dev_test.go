package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestDevSurvivesRestartAndKill builds the binary and runs `complaints dev`
// as `make run` does: ready; a complaint filed; Ctrl-C; started again, the
// case is still there and its workflow answers; kill -9; started again,
// the same.
func TestDevSurvivesRestartAndKill(t *testing.T) {
	dir, err := os.MkdirTemp("", "complaints-dev-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := binary(t)
	httpPort, temporalPort, uiPort := freePort(t, 0), freePort(t, 20000), freePort(t, 0)
	envv := append(os.Environ(), "DATA_DIR="+filepath.Join(dir, "data"), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("TEMPORAL_FRONTEND_ADDR=127.0.0.1:%d", temporalPort), fmt.Sprintf("TEMPORAL_UI_ADDR=127.0.0.1:%d", uiPort), "LOG_LEVEL=warn")
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)

	var out *syncBuffer
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "dev")
		cmd.Env = envv
		out = &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		waitReady(t, base, out)
		t.Logf("ready in %s", time.Since(began).Round(time.Millisecond))
		return cmd
	}

	cmd := start()
	// The banner prints staff tokens that sign in to the console.
	// It is printed just after the system answers ready.
	tokenRE := regexp.MustCompile(`(?m)^  manager +(\S+)$`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m = tokenRE.FindStringSubmatch(out.String())
	}
	if m == nil {
		t.Fatalf("no manager token in the banner:\n%s", out.String())
	}
	req, _ := http.NewRequest("GET", base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+m[1])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the banner's manager token: %v %v", resp, err)
	} else {
		// The banner's staff are registered confirmed, so cases are
		// assigned to them.
		var me struct{ Confirmed bool }
		if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || !me.Confirmed {
			t.Errorf("the banner's manager is not confirmed: %+v %v", me, err)
		}
		resp.Body.Close()
	}
	// The Temporal Web UI is served beside it, printed with the others.
	uiURL := fmt.Sprintf("http://localhost:%d", uiPort)
	if !strings.Contains(out.String(), "Temporal UI  "+uiURL) {
		t.Errorf("the banner does not name the Temporal UI at %s:\n%s", uiURL, out.String())
	}
	if resp, err := http.Get(uiURL + "/"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET the Temporal UI: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Get(base + "/console/"); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /console/: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	body := `{"customer":{"id":"c-1","name":"Li","email":"li@example.com"},"channel":"web","subject":"Late delivery","description":"My parcel is two weeks late","order_ref":"O-1","language":"en"}`
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	post(t, base+"/v1/complaints", body, 201, &created)

	stop := func(cmd *exec.Cmd, sig syscall.Signal) {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("did not stop after %s", sig)
		}
	}
	checkCase := func() {
		var tr struct {
			Status string `json:"status"`
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			get(t, base+"/v1/track/"+created.TrackingToken, &tr)
			if tr.Status == "acknowledged" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("case status %q after restart", tr.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	checkCase()
	stop(cmd, syscall.SIGINT)
	cmd = start()
	checkCase()
	// The workflow carries on: a withdrawal reaches it and it completes.
	stop(cmd, syscall.SIGKILL)
	cmd = start()
	// After a kill -9 the workflow's sticky worker is gone: the first
	// decision may wait for Temporal to move the task to the new worker,
	// and the API answers 503 with Retry-After meanwhile. Clients retry.
	began := time.Now()
	for {
		code := postCode(t, base+"/v1/track/"+created.TrackingToken+"/withdraw", `{}`, "withdraw-1")
		if code == 200 {
			break
		}
		if code != 503 || time.Since(began) > time.Minute {
			t.Fatalf("withdraw after kill -9 = %d", code)
		}
		time.Sleep(time.Second)
	}
	t.Logf("first decision after kill -9 and restart took %s", time.Since(began).Round(time.Millisecond))
	stop(cmd, syscall.SIGINT)
}

func freePort(t *testing.T, min int) int {
	t.Helper()
	for p := min + 1; min > 0 && p < 32000; p += 7 {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			return p
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a child process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitReady(t *testing.T, base string, out fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("not ready within 90s; output:\n%s", out.String())
}

func post(t *testing.T, url, body string, want int, out any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s = %d: %s", url, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

func postCode(t *testing.T, url, body, key string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
