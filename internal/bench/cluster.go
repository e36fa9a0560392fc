package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
)

// ClusterOptions describe the local multi-process topology (`make
// cluster`, and the chaos runs): PostgreSQL, the Temporal server as a
// process of its own, and several workers and API instances, each a
// process of the complaints binary on a port of its own.
type ClusterOptions struct {
	Binary string
	// Dir holds PostgreSQL's data, the secrets and every process's log.
	// The cluster's data survives a restart on the same Dir.
	Dir           string
	Workers, APIs int
	// WorkerCommand is "worker", or "bench-worker" for short clocks.
	WorkerCommand string
	// TemporalPort, APIPort and WorkerPort are the first ports (the
	// next instances count up); 0 picks free ones.
	TemporalPort, APIPort, WorkerPort int
	// Env is added to every worker's and API's environment.
	Env  []string
	Logf func(format string, args ...any)
}

// Cluster is a running topology. Every process is supervised: when one
// exits (a crash, a kill -9) it is started again after a second, as
// systemd or Kubernetes would.
type Cluster struct {
	o         ClusterOptions
	pg        *pgserver.Server
	pgPort    int
	secrets   app.Secrets
	Temporal  *Proc
	Workers   []*Proc
	APIs      []*Proc
	Store     *store.Store // the application database, for checks
	TC        client.Client
	Namespace string
	TaskQueue string
	closing   atomic.Bool
	wg        sync.WaitGroup
}

// Proc is one supervised process of the cluster.
type Proc struct {
	Name     string
	Addr     string // host:port it listens on
	command  string
	env      []string
	logPath  string
	ready    func(context.Context) error
	mu       sync.Mutex
	cur      *child
	restarts atomic.Int32
}

// Restarts counts the times the supervisor started the process again.
func (p *Proc) Restarts() int { return int(p.restarts.Load()) }

// PID is the process id of the current incarnation.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.cmd.Process.Pid
}

// Kill sends SIGKILL to the current incarnation, as a crash would; the
// supervisor starts the next one.
func (p *Proc) Kill() error {
	return syscall.Kill(p.PID(), syscall.SIGKILL)
}

// Ready waits until the current incarnation is ready.
func (p *Proc) Ready(ctx context.Context, limit time.Duration) error {
	p.mu.Lock()
	c := p.cur
	p.mu.Unlock()
	return c.waitReady(ctx, p.ready, limit)
}

// StartCluster brings the topology up and waits until every process is
// ready. On error everything started is stopped.
func StartCluster(ctx context.Context, o ClusterOptions) (_ *Cluster, err error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.WorkerCommand == "" {
		o.WorkerCommand = "worker"
	}
	c := &Cluster{o: o, Namespace: namespace, TaskQueue: "complaints"}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	// The signing secrets and the payload key, kept in Dir as `make run`
	// keeps its own: a cluster restarted on the same folder must still
	// decrypt its histories and accept its links.
	if c.secrets, err = app.ReadSecrets(o.Dir); err != nil {
		return nil, err
	}
	if c.pgPort, err = pgPortOf(o.Dir); err != nil {
		return nil, err
	}
	if err := c.startPostgres(ctx); err != nil {
		return nil, err
	}
	if err := c.pg.EnsureDatabase(ctx, "complaints"); err != nil {
		return nil, err
	}
	// The processes run as the role that may only read and append to the
	// audit trail, as in production; the superuser owns and migrates.
	if err := c.pg.EnsureAppRole(ctx); err != nil {
		return nil, err
	}
	if c.Store, err = store.Open(ctx, c.pg.URL("complaints"), 8); err != nil {
		return nil, err
	}
	// Migrated once here, so the processes starting together find the
	// schema current.
	if err := store.Migrate(ctx, c.Store.Pool); err != nil {
		return nil, err
	}

	port := func(first, i int) (int, error) {
		if first == 0 {
			return freePort()
		}
		return first + i, nil
	}
	tport, err := port(o.TemporalPort, 0)
	if err != nil {
		return nil, err
	}
	taddr := "127.0.0.1:" + strconv.Itoa(tport)
	c.Temporal = &Proc{Name: "temporal", Addr: taddr, command: "temporal-server",
		env: []string{"DATABASE_URL=" + c.pg.URL("postgres"), "TEMPORAL_FRONTEND_ADDR=" + taddr,
			"TEMPORAL_NAMESPACE=" + c.Namespace, "LOG_LEVEL=warn"},
		logPath: filepath.Join(o.Dir, "temporal.log"), ready: c.temporalReady(taddr)}
	if err := c.start(ctx, c.Temporal, 2*time.Minute); err != nil {
		return nil, err
	}
	if c.TC, err = client.DialContext(ctx, client.Options{HostPort: taddr, Namespace: c.Namespace, Logger: quiet{}}); err != nil {
		return nil, err
	}

	var apiBase string
	for i := range o.APIs {
		p, err := port(o.APIPort, i)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			apiBase = "http://127.0.0.1:" + strconv.Itoa(p)
		}
		c.APIs = append(c.APIs, &Proc{Name: fmt.Sprintf("api-%d", i+1), Addr: "127.0.0.1:" + strconv.Itoa(p), command: "api"})
	}
	for i := range o.Workers {
		p, err := port(o.WorkerPort, i)
		if err != nil {
			return nil, err
		}
		c.Workers = append(c.Workers, &Proc{Name: fmt.Sprintf("worker-%d", i+1), Addr: "127.0.0.1:" + strconv.Itoa(p), command: o.WorkerCommand})
	}
	common := []string{
		"DATABASE_URL=" + c.pg.AppURL("complaints"), "MIGRATE_DATABASE_URL=" + c.pg.URL("complaints"), "TEMPORAL_ADDRESS=" + taddr, "TEMPORAL_NAMESPACE=" + c.Namespace,
		"TEMPORAL_TASK_QUEUE=" + c.TaskQueue, "JWT_SECRET=" + c.secrets.JWT, "TOKEN_SECRET=" + c.secrets.Token,
		"PAYLOAD_KEYS=" + c.secrets.PayloadKeys, "PAYLOAD_KEY_ID=" + c.secrets.PayloadKeyID,
		"DECISION_SIGNING_KEY=" + c.secrets.Decision,
		// Links sent to customers name the first instance; in production
		// the load balancer's address.
		"PUBLIC_BASE_URL=" + apiBase, "DATA_DIR=" + o.Dir, "LOG_LEVEL=warn", "DATABASE_MAX_CONNS=20",
		// The chaos script's staff sign in with minted tokens and take
		// cases at once.
		"STAFF_AUTO_CONFIRM=on",
		// The load and chaos scripts' one agent, supervisor and manager
		// work every team's cases (the team rule has its own tests).
		"TEAM_ISOLATION=off",
	}
	for _, p := range c.Workers {
		p.env = append(append(append([]string{}, common...), "WORKER_HTTP_ADDR="+p.Addr), o.Env...)
		p.logPath, p.ready = filepath.Join(o.Dir, p.Name+".log"), httpReady("http://"+p.Addr+"/readyz")
	}
	for _, p := range c.APIs {
		p.env = append(append(append([]string{}, common...), "HTTP_ADDR="+p.Addr), o.Env...)
		p.logPath, p.ready = filepath.Join(o.Dir, p.Name+".log"), httpReady("http://"+p.Addr+"/readyz")
	}
	for _, p := range append(append([]*Proc{}, c.Workers...), c.APIs...) {
		if err := c.start(ctx, p, time.Minute); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) startPostgres(ctx context.Context) error {
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(c.o.Dir, "postgres"), Port: c.pgPort})
	if err != nil {
		return err
	}
	c.pg = pg
	return nil
}

// RestartPostgres stops PostgreSQL (a fast shutdown: sessions are cut,
// transactions in flight roll back) and starts it again on the same port.
func (c *Cluster) RestartPostgres(ctx context.Context) error {
	if err := c.pg.Stop(); err != nil {
		return err
	}
	return c.startPostgres(ctx)
}

// PostgresPort is the cluster's PostgreSQL port (127.0.0.1).
func (c *Cluster) PostgresPort() int { return c.pgPort }

// Token mints a staff token the API instances accept.
func (c *Cluster) Token(sub, role, team string, ttl time.Duration) (string, error) {
	return auth.Mint([]byte(c.secrets.JWT), sub, role, team, "", ttl, time.Now())
}

// start spawns p, waits until it is ready, and supervises it.
func (c *Cluster) start(ctx context.Context, p *Proc, limit time.Duration) error {
	ch, err := spawn(c.o.Binary, p.command, p.env, p.logPath)
	if err != nil {
		return err
	}
	ch.name = p.Name
	p.cur = ch
	if err := ch.waitReady(ctx, p.ready, limit); err != nil {
		ch.stop()
		return err
	}
	c.o.Logf("%-10s ready on %s (pid %d, log %s)", p.Name, p.Addr, ch.cmd.Process.Pid, p.logPath)
	c.wg.Add(1)
	go c.supervise(p)
	return nil
}

// supervise starts p again whenever it exits, until the cluster closes.
// The swap to a new incarnation happens under p.mu after a last look at
// closing, so Close either stops the new one or supervise does.
func (c *Cluster) supervise(p *Proc) {
	defer c.wg.Done()
	for {
		p.mu.Lock()
		done := p.cur.done
		p.mu.Unlock()
		<-done
		time.Sleep(time.Second)
		for {
			if c.closing.Load() {
				return
			}
			ch, err := spawn(c.o.Binary, p.command, p.env, p.logPath)
			if err != nil {
				time.Sleep(time.Second)
				continue
			}
			ch.name = p.Name
			p.mu.Lock()
			if c.closing.Load() {
				p.mu.Unlock()
				ch.stop()
				return
			}
			old := p.cur
			p.cur = ch
			p.mu.Unlock()
			old.log.Close()
			p.restarts.Add(1)
			c.o.Logf("%-10s exited; started again (pid %d)", p.Name, ch.cmd.Process.Pid)
			break
		}
	}
}

// temporalReady is ready when the frontend answers and the namespace
// exists (the server registers it after it starts).
func (c *Cluster) temporalReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		tc, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: c.Namespace, Logger: quiet{}})
		if err != nil {
			return err
		}
		defer tc.Close()
		_, err = tc.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: c.Namespace})
		return err
	}
}

// Close stops the APIs, then the workers, the Temporal server and
// PostgreSQL, each with SIGTERM (a graceful shutdown).
func (c *Cluster) Close() {
	c.closing.Store(true)
	var procs []*Proc
	procs = append(procs, c.APIs...)
	procs = append(procs, c.Workers...)
	if c.Temporal != nil {
		procs = append(procs, c.Temporal)
	}
	for _, p := range procs {
		p.mu.Lock()
		if p.cur != nil {
			p.cur.stop()
		}
		p.mu.Unlock()
	}
	c.wg.Wait()
	if c.TC != nil {
		c.TC.Close()
	}
	if c.Store != nil {
		c.Store.Close()
	}
	if c.pg != nil {
		_ = c.pg.Stop()
	}
}

// pgPortOf is the cluster's PostgreSQL port, chosen once and kept in
// dir/postgres.port (the processes' DATABASE_URL names it).
func pgPortOf(dir string) (int, error) {
	path := filepath.Join(dir, "postgres.port")
	if b, err := os.ReadFile(path); err == nil {
		return strconv.Atoi(string(b))
	}
	p, err := freePort()
	if err != nil {
		return 0, err
	}
	return p, os.WriteFile(path, []byte(strconv.Itoa(p)), 0o644)
}
