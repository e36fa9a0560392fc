// Package cli runs the commands of the two binaries: the production
// binary (cmd/complaints: api, worker, migrate, audit, token, health) and
// the tooling binary (cmd/complaints-dev: the same, plus the dev stack,
// the Temporal server, the benchmark, the cluster and the chaos run). A
// binary is its list of commands; what each links is what its list names.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/config"
)

// Command is one subcommand of a binary.
type Command struct {
	Name string
	// Usage is the help text after the name: its arguments and what it
	// does, lines after the first indented.
	Usage string
	Run   func(ctx context.Context, e Env, args []string) error
}

// Env is what a command runs with: the loaded configuration, a logger at
// LOG_LEVEL, and the process's environment and output.
type Env struct {
	Config config.Config
	Logger *slog.Logger
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

// Main runs the binary prog with its commands on os.Args until SIGINT or
// SIGTERM, and exits 1 on error.
func Main(prog string, commands []Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Gin's debug mode prints every route and warnings; a binary runs in
	// release mode (set here, not in a constructor: it is process-wide).
	gin.SetMode(gin.ReleaseMode)
	if err := Run(ctx, prog, commands, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, prog+":", err)
		stop()
		os.Exit(1)
	}
}

// Run loads the configuration through getenv and runs the command args[0]
// of commands with args[1:].
func Run(ctx context.Context, prog string, commands []Command, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, Usage(prog, commands))
		return errors.New("no command given")
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, Usage(prog, commands))
		return nil
	}
	var cmd *Command
	for i := range commands {
		if commands[i].Name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprint(stderr, Usage(prog, commands))
		return fmt.Errorf("unknown command %q", args[0])
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	e := Env{Config: cfg, Logger: NewLogger(stderr, cfg.LogLevel), Getenv: getenv, Stdout: stdout, Stderr: stderr}
	return cmd.Run(ctx, e, args[1:])
}

// Usage is the help text of prog's commands.
func Usage(prog string, commands []Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command>\n\ncommands:\n", prog)
	for _, c := range commands {
		name := c.Name
		if len(name) > 9 {
			fmt.Fprintf(&b, "  %s\n  %-9s  %s\n", name, "", c.Usage)
			continue
		}
		fmt.Fprintf(&b, "  %-9s  %s\n", name, c.Usage)
	}
	return b.String()
}

// NewLogger is the JSON logger of every command, at level (debug, info,
// warn or error; config.Load validated it).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Serve starts the application with opts on an external database and
// Temporal cluster (config.RequireExternal) and blocks until ctx ends,
// then shuts down gracefully.
func Serve(ctx context.Context, e Env, opts app.Options) error {
	if err := e.Config.RequireExternal(); err != nil {
		return err
	}
	started := time.Now()
	e.Logger.Info("starting", "config", e.Config.String())
	a, err := app.Start(ctx, e.Config, opts, e.Logger)
	if err != nil {
		return err
	}
	e.Logger.Info("ready", "addr", a.APIAddr, "startup", time.Since(started).String())
	<-ctx.Done()
	e.Logger.Info("shutting down")
	sctx, cancel := ShutdownContext(e.Config)
	defer cancel()
	a.Shutdown(sctx)
	e.Logger.Info("stopped")
	return nil
}

// ShutdownContext bounds a graceful shutdown: SHUTDOWN_DRAIN, then
// SHUTDOWN_TIMEOUT for what is in flight. It starts from a fresh context
// because the process's own has ended (that is why it stops).
func ShutdownContext(cfg config.Config) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), cfg.ShutdownDrain+cfg.ShutdownTimeout)
}
