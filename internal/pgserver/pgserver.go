// Package pgserver runs a private PostgreSQL cluster for development and
// tests: it creates the cluster with initdb when the data folder is empty,
// starts postgres on a loopback port, and stops it again.
//
// PostgreSQL refuses to run as root, and sessions and CI here run as root, so
// when the current user is root the cluster is created and run as the
// unprivileged "postgres" system user, with the data folder owned by it.
package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the cluster's superuser role.
const Superuser = "complaints"

// InstallHint is the one line printed when no PostgreSQL binaries are found.
const InstallHint = "PostgreSQL binaries (initdb, postgres) not found: install them with `apt-get install -y postgresql` (Debian/Ubuntu) or set DATABASE_URL to an existing server"

// Options says where the cluster lives and how it listens.
type Options struct {
	// Dir holds the cluster ("<Dir>/data"), its password and its log.
	Dir string
	// Port is the loopback TCP port; 0 picks a free one.
	Port int
	// Logger receives progress messages.
	Logger *slog.Logger
}

// Server is a running PostgreSQL cluster.
type Server struct {
	dir      string
	port     int
	password string
	cmd      *exec.Cmd
	done     chan error
	logger   *slog.Logger

	// appPassword is AppRole's, set by EnsureAppRole.
	appPassword string
}

// FindBinaries returns the folder holding initdb and postgres, looking first
// on PATH and then under /usr/lib/postgresql/*/bin (newest version first).
func FindBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New(InstallHint)
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start creates the cluster if needed and starts postgres. The caller must
// call Stop. A postmaster.pid left behind by a killed run is handled: a
// postgres still running on the folder is shut down first, a stale file is
// removed.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgserver: abs(%s): %w", opts.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgserver: mkdir %s: %w", dir, err)
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		// The postgres user must be able to reach its data folder.
		if err := makeTraversable(dir); err != nil {
			return nil, err
		}
	}
	s := &Server{dir: dir, logger: opts.Logger}
	dataDir := s.DataDir()
	password, err := s.ensurePassword()
	if err != nil {
		return nil, err
	}
	s.password = password
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := s.initdb(ctx, bin, cred); err != nil {
			return nil, err
		}
	}
	// PostgreSQL refuses a data folder others may read; one an older
	// version or a copy left wider is narrowed rather than refused.
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("pgserver: chmod %s: %w", dataDir, err)
	}
	if err := handleStalePID(ctx, dataDir, opts.Logger); err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	s.port = port
	// After a crash the dead postmaster's backends may still be exiting
	// and holding its shared memory for a moment: postgres then refuses
	// to start ("pre-existing shared memory block ... still in use").
	// Waiting for them is the recovery; anything else fails at once.
	for wait := 100 * time.Millisecond; ; wait *= 2 {
		err := s.start(ctx, bin, cred)
		if err == nil {
			return s, nil
		}
		if !strings.Contains(err.Error(), "pre-existing shared memory block") || wait > 5*time.Second {
			return nil, err
		}
		opts.Logger.Warn("the crashed postgres's processes still hold its shared memory; retrying", "in", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// runAs returns the credential to run PostgreSQL with: nil for an ordinary
// user, the postgres system user for root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root needs the unprivileged 'postgres' system user (apt-get install -y postgresql creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeTraversable lets other users pass through dir and its parents
// (search permission only, nothing becomes readable).
func makeTraversable(dir string) error {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgserver: stat %s: %w", d, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("pgserver: chmod %s: %w", d, err)
			}
		}
	}
	return nil
}

// DataDir is the cluster's data folder.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// Port is the loopback port postgres listens on.
func (s *Server) Port() int { return s.port }

// URL returns a connection string for database db as the superuser.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, s.password, s.port, db)
}

// Password is the superuser's password (kept in the cluster folder, mode 0600).
func (s *Server) Password() string { return s.password }

func (s *Server) ensurePassword() (string, error) {
	p := filepath.Join(s.dir, "superuser.password")
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("pgserver: random password: %w", err)
	}
	pw := hex.EncodeToString(buf)
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("pgserver: write password: %w", err)
	}
	return pw, nil
}

func (s *Server) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	dataDir := s.DataDir()
	s.logger.Info("creating PostgreSQL cluster", "dir", dataDir)
	if err := os.RemoveAll(dataDir); err != nil {
		return fmt.Errorf("pgserver: clear %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("pgserver: mkdir %s: %w", dataDir, err)
	}
	pwFile := filepath.Join(s.dir, "initdb.pw")
	if err := os.WriteFile(pwFile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgserver: write pwfile: %w", err)
	}
	defer os.Remove(pwFile)
	if cred != nil {
		for _, p := range []string{dataDir, pwFile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("pgserver: chown %s: %w", p, err)
			}
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", dataDir, "-U", Superuser, "--pwfile="+pwFile,
		"--auth-host=scram-sha-256", "--auth-local=peer",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgserver: initdb: %w: %s", err, lastLines(string(out), 5))
	}
	return nil
}

// handleStalePID deals with a postmaster.pid left by a run that was killed:
// if its postmaster still runs it is asked to shut down; a file whose process
// is gone is removed.
func handleStalePID(ctx context.Context, dataDir string, logger *slog.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgserver: read %s: %w", pidFile, err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		logger.Warn("removing unreadable postmaster.pid", "file", pidFile)
		return os.Remove(pidFile)
	}
	if !isPostgres(pid) {
		logger.Warn("removing stale postmaster.pid", "file", pidFile, "pid", pid)
		return os.Remove(pidFile)
	}
	logger.Warn("a postgres from an earlier run still holds the data folder; shutting it down", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGINT)
	deadline := time.Now().Add(30 * time.Second)
	for isPostgres(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			time.Sleep(time.Second)
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := os.Stat(pidFile); err == nil && !isPostgres(pid) {
		return os.Remove(pidFile)
	}
	return nil
}

func isPostgres(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres")
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	logPath := filepath.Join(s.dir, "postgres.log")
	// The log holds queries and connection details: only its owner may
	// read it. Chmod too, for a log an older version created readable.
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgserver: open log: %w", err)
	}
	if err := logFile.Chmod(0o600); err != nil {
		logFile.Close()
		return fmt.Errorf("pgserver: chmod log: %w", err)
	}
	// The cluster's socket lives in the data folder so no system-wide
	// folder (/var/run/postgresql) is needed.
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", s.DataDir(),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(s.port),
		"-c", "unix_socket_directories="+s.DataDir(),
		"-c", "max_connections=300",
		"-c", "shared_buffers=256MB",
		"-c", "fsync=on",
		"-c", "logging_collector=off",
		"-c", "log_min_messages=warning",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Pdeathsig stops postgres (fast shutdown) if this process is killed, so
	// a kill -9 of `make run` does not leave an orphan holding the folder.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("pgserver: start postgres: %w", err)
	}
	s.cmd = cmd
	s.done = make(chan error, 1)
	go func() {
		s.done <- cmd.Wait()
		logFile.Close()
	}()
	if err := s.waitReady(ctx, 60*time.Second, logPath); err != nil {
		_ = s.Stop()
		return err
	}
	s.logger.Info("PostgreSQL ready", "port", s.port, "dir", s.DataDir())
	return nil
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration, logPath string) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			b, _ := os.ReadFile(logPath)
			return fmt.Errorf("pgserver: postgres exited: %v: %s", err, lastLines(string(b), 5))
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, s.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgserver: postgres not ready after %s: %w", limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts postgres down (fast shutdown) and waits for it to exit.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Signal(syscall.SIGQUIT)
		<-s.done
		return errors.New("pgserver: postgres did not stop within 30s; sent SIGQUIT")
	}
}

// Kill stops postgres abruptly (SIGKILL to its whole process group), as a
// crash would. Stop after Kill does nothing.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		s.cmd = nil
	}
}

// EnsureDatabase creates database name if it does not exist.
func (s *Server) EnsureDatabase(ctx context.Context, name string) error {
	return EnsureDatabase(ctx, s.URL("postgres"), name)
}

// EnsureDatabase connects to adminURL and creates database name if missing.
func EnsureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("pgserver: connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pgserver: check database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "42P04" {
			return nil // created concurrently
		}
		return fmt.Errorf("pgserver: create database %s: %w", name, err)
	}
	return nil
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
