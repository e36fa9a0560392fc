package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"

	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/workflows"
)

// stack is the system under test: PostgreSQL (its own processes), the
// Temporal server (embedded in the bench process, on that PostgreSQL), and
// the worker and the API as child processes of the complaints binary, as
// they run in production. The load generator talks to the API over HTTP
// and reads PostgreSQL and Temporal only to check and to measure.
type stack struct {
	opts     Options
	pg       *pgserver.Server
	ts       *temporalserver.Server
	pgURL    string // the server (database postgres)
	appURL   string // the application database
	temporal string // host:port
	store    *store.Store
	tc       client.Client
	env      []string
	secret   []byte
	worker   *child
	api      *child
	apiBase  string
}

const namespace = "complaints"

// TaskQueue is the task queue of the cases under test.
const TaskQueue = "bench"

func startStack(ctx context.Context, o Options) (*stack, error) {
	s := &stack{opts: o, secret: []byte(hex.EncodeToString(randomBytes(32)))}
	if o.DatabaseURL == "" {
		pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(o.Dir, "postgres")})
		if err != nil {
			return nil, err
		}
		s.pg = pg
		if err := pg.EnsureDatabase(ctx, "complaints"); err != nil {
			s.close()
			return nil, err
		}
		s.pgURL, s.appURL = pg.URL("postgres"), pg.URL("complaints")
	} else {
		s.appURL, s.pgURL = o.DatabaseURL, o.DatabaseURL
	}
	st, err := store.Open(ctx, s.appURL, 16)
	if err != nil {
		s.close()
		return nil, err
	}
	s.store = st
	if err := store.Migrate(ctx, st.Pool); err != nil {
		s.close()
		return nil, err
	}
	s.temporal = o.TemporalAddress
	if s.temporal == "" {
		if s.pg == nil {
			s.close()
			return nil, errors.New("an external DATABASE_URL needs an external TEMPORAL_ADDRESS too")
		}
		ts, err := temporalserver.Start(ctx, temporalserver.Options{
			DatabaseURL: s.pgURL, Namespace: namespace, SearchAttributes: workflows.SearchAttributeTypes(),
			HistoryShards: o.HistoryShards, LogFile: filepath.Join(o.Dir, "temporal.log"),
			DynamicConfig: temporalTuning(o), MaxConns: o.TemporalMaxConns,
		})
		if err != nil {
			s.close()
			return nil, err
		}
		s.ts = ts
		s.temporal = ts.HostPort()
	}
	tc, err := client.DialContext(ctx, client.Options{HostPort: s.temporal, Namespace: namespace, Logger: quiet{}})
	if err != nil {
		s.close()
		return nil, err
	}
	s.tc = tc
	if s.ts == nil {
		if err := temporalserver.EnsureNamespace(ctx, tc, namespace, 7*24*time.Hour, workflows.SearchAttributeTypes()); err != nil {
			s.close()
			return nil, err
		}
	}
	key := randomBytes(32)
	apiPort, err := freePort()
	if err != nil {
		s.close()
		return nil, err
	}
	s.apiBase = "http://127.0.0.1:" + strconv.Itoa(apiPort)
	s.env = []string{
		"DATABASE_URL=" + s.appURL, "TEMPORAL_ADDRESS=" + s.temporal, "TEMPORAL_NAMESPACE=" + namespace,
		"TEMPORAL_TASK_QUEUE=" + TaskQueue, "JWT_SECRET=" + string(s.secret),
		"TOKEN_SECRET=" + hex.EncodeToString(randomBytes(32)), "PAYLOAD_KEY_ID=bench",
		"PAYLOAD_KEYS=bench:" + base64.StdEncoding.EncodeToString(key),
		"DECISION_SIGNING_KEY=" + hex.EncodeToString(randomBytes(32)),
		"HTTP_ADDR=127.0.0.1:" + strconv.Itoa(apiPort), "PUBLIC_BASE_URL=" + s.apiBase,
		// The load comes from one address: the customer-side limit
		// (per address) would measure itself.
		"PUBLIC_RATE=0",
		// Synthetic load from one sample would look like spikes: the
		// detector would open incidents and link cases, which is not what
		// these scenarios measure.
		"SYSTEMIC_DETECTOR=off",
		"LOG_LEVEL=warn", "DATA_DIR=" + o.Dir,
		// Staff sign in with minted tokens and take cases at once.
		"STAFF_AUTO_CONFIRM=on",
		// The load and chaos scripts' one agent, supervisor and manager
		// work every team's cases (the team rule has its own tests).
		"TEAM_ISOLATION=off",
	}
	s.env = append(s.env, o.ExtraEnv...)
	return s, nil
}

// temporalTuning is the embedded server's dynamic configuration for the
// benchmark (see BENCHMARKS.md for what was measured).
func temporalTuning(o Options) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{}
	for k, v := range o.TemporalDynamicConfig {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}

// token mints a staff token the API accepts.
func (s *stack) token(sub, role, team string) string {
	tok, err := auth.Mint(s.secret, sub, role, team, "", 24*time.Hour, time.Now())
	if err != nil {
		panic(err)
	}
	return tok
}

// startWorker starts the worker process (bench-worker with short clocks
// for whole lifecycles, the production worker otherwise).
func (s *stack) startWorker(ctx context.Context, shortClocks bool, extraEnv ...string) error {
	s.stopWorker()
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := "worker"
	if shortClocks {
		cmd = "bench-worker"
	}
	env := append(append([]string{"WORKER_HTTP_ADDR=127.0.0.1:" + strconv.Itoa(port)}, s.env...), extraEnv...)
	c, err := startChild(ctx, s.opts.Binary, cmd, env, filepath.Join(s.opts.Dir, "worker.log"), fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	if err != nil {
		return err
	}
	s.worker = c
	return nil
}

func (s *stack) stopWorker() {
	if s.worker != nil {
		s.worker.stop()
		s.worker = nil
	}
}

func (s *stack) startAPI(ctx context.Context) error {
	c, err := startChild(ctx, s.opts.Binary, "api", s.env, filepath.Join(s.opts.Dir, "api.log"), s.apiBase+"/readyz")
	if err != nil {
		return err
	}
	s.api = c
	return nil
}

func (s *stack) close() {
	if s.api != nil {
		s.api.stop()
	}
	s.stopWorker()
	if s.tc != nil {
		s.tc.Close()
	}
	if s.ts != nil {
		_ = s.ts.Stop()
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.pg != nil {
		_ = s.pg.Stop()
	}
}

// dbSize is the on-disk size of a database of the cluster, in bytes.
func (s *stack) dbSize(ctx context.Context, db string) (int64, error) {
	var n int64
	err := s.store.Pool.QueryRow(ctx, `SELECT pg_database_size($1)`, db).Scan(&n)
	return n, err
}

// child is a process of the system under test.
type child struct {
	name    string
	url     string // its readiness URL; /metrics is beside it
	cmd     *exec.Cmd
	done    chan struct{}
	log     *os.File
	logPath string
}

func startChild(ctx context.Context, binary, command string, env []string, logPath, readyURL string) (*child, error) {
	c, err := spawn(binary, command, env, logPath)
	if err != nil {
		return nil, err
	}
	c.url = readyURL
	if err := c.waitReady(ctx, httpReady(readyURL), 60*time.Second); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// spawn starts `binary command` with env added to this process's
// environment, its output appended to logPath. The child is killed if this
// process dies.
func spawn(binary, command string, env []string, logPath string) (*child, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, command)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s %s: %w", binary, command, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), log: f, name: command, logPath: logPath}
	go func() { _ = cmd.Wait(); close(c.done) }()
	return c, nil
}

// waitReady polls ready every 100 ms until it succeeds, the process exits
// or limit passes.
func (c *child) waitReady(ctx context.Context, ready func(context.Context) error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := ready(rctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited while starting (see %s)", c.name, c.logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v (see %s)", c.name, limit, err, c.logPath)
		}
	}
}

// httpReady is ready when url answers 200.
func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %d", url, resp.StatusCode)
		}
		return nil
	}
}

// stop asks the process to shut down (SIGTERM) and kills it after 30 s.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.log.Close()
}

// saveMetrics writes the process's /metrics to path (for the analysis
// in BENCHMARKS.md: the SDK's and the API's latency histograms).
func (c *child) saveMetrics(path string) error {
	resp, err := http.Get(strings.TrimSuffix(c.url, "/readyz") + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// memory reads the process's resident set (VmRSS) and its peak (VmHWM)
// from /proc, in MiB.
func (c *child) memory() (rss, peak float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak, sc.Err()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
