// Command casewire runs the casewire service and its tools: the API server, the USCIS
// emulator, the classifier, receipt import and a webhook receiver. This file is the only
// place where the pieces of the service are wired together.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// cli lists every subcommand. Each command lives in its own file and implements
// Run(*app) error. Every flag also reads CASEWIRE_<FLAG> from the environment.
type cli struct {
	LogLevel  slog.Level `name:"log-level" default:"info" help:"Minimum log level (debug, info, warn, error)."`
	LogFormat string     `name:"log-format" default:"text" enum:"text,json" help:"Log format: text or json."`

	Serve    serveCmd    `cmd:"" help:"Run the casewire API server."`
	Tenant   tenantCmd   `cmd:"" help:"Manage tenants (law firms)."`
	Emulator emulatorCmd `cmd:"" help:"Run an emulator of the USCIS Case Status API."`
	Classify classifyCmd `cmd:"" help:"Classify USCIS status titles into normalised statuses."`
	Receipts receiptsCmd `cmd:"" help:"Work with tracked receipts."`
	Webhooks webhooksCmd `cmd:"" help:"Tools for webhook receivers."`
}

// app carries what every command needs: its streams, a logger and a context that is
// cancelled on SIGINT or SIGTERM.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "casewire:", err)
		os.Exit(1)
	}
}

// run parses args and runs the chosen command; tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c cli
	parser, err := kong.New(&c,
		kong.Name("casewire"),
		kong.Description("casewire keeps law firms current on their clients' USCIS cases."),
		kong.DefaultEnvars("CASEWIRE"),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return err
	}
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, log: newLogger(stderr, c)}
	return kctx.Run(a)
}

func newLogger(w io.Writer, c cli) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
