package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/tracking"
)

// dbFlags choose the database; every command that touches data shares them.
type dbFlags struct {
	DataDir     string `name:"data-dir" default:"./data" help:"Directory of the embedded SQLite database."`
	DatabaseURL string `name:"database-url" help:"PostgreSQL URL (postgres://...). Empty uses SQLite in --data-dir."`
}

func (f dbFlags) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Config{DataDir: f.DataDir, DatabaseURL: f.DatabaseURL})
}

// serveCmd runs the API server and the background work: polling USCIS and delivering
// webhooks.
type serveCmd struct {
	dbFlags
	uscisFlags
	deliveryFlags
	Addr    string `name:"addr" default:"127.0.0.1:8080" help:"Address to serve every protocol on."`
	Demo    bool   `name:"demo" help:"Run the bundled USCIS emulator in-process, create a demo tenant and track sample receipts."`
	TLSCert string `name:"tls-cert" type:"existingfile" help:"PEM certificate: serve HTTPS and gRPC over TLS."`
	TLSKey  string `name:"tls-key" type:"existingfile" help:"PEM private key for --tls-cert."`

	StatusOverrides string `name:"status-overrides" type:"existingfile" help:"TSV of USCIS titles and their labels (columns as classify/statuses.tsv) added to or overriding the built-in table."`

	KeyRate  float64 `name:"key-rate" default:"50" help:"Requests per second allowed to each API key."`
	KeyBurst int     `name:"key-burst" default:"100" help:"Burst of requests allowed to each API key."`
}

// Run starts the service and blocks until SIGINT or SIGTERM.
func (c *serveCmd) Run(a *app) error {
	ctx := a.ctx
	tlsConfig, err := c.tls()
	if err != nil {
		return err
	}
	// Listen first: a busy port stops the start before any background work begins.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	classifier, err := loadClassifier(c.StatusOverrides)
	if err != nil {
		return err
	}
	st, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	stopDelivery, err := c.startDelivery(a, st, c.DataDir, reg)
	if err != nil {
		return err
	}
	defer stopDelivery()
	poll, err := c.startPolling(a, st, reg, classifier)
	if err != nil {
		return err
	}
	defer poll.wait()
	var events *detect.Notifier
	if poll.detector != nil {
		events = poll.detector.Notifier()
	}
	srv, err := server.New(server.Options{
		Receipts:          tracking.New(st, tracking.Options{Wake: poll.wake}),
		Events:            events,
		Upstream:          poll.upstream,
		Webhooks:          c.webhooks(),
		Store:             st,
		Classifier:        classifier,
		Logger:            a.log,
		Registry:          reg,
		TLS:               tlsConfig,
		RequestsPerSecond: c.KeyRate,
		Burst:             c.KeyBurst,
	})
	if err != nil {
		return err
	}
	a.log.Info("casewire serving", "addr", ln.Addr().String(), "tls", tlsConfig != nil,
		"database", st.Dialect)
	return srv.Serve(ctx, ln)
}

// loadClassifier builds the classifier: the built-in table, with an operator's titles on
// top when a file is given.
func loadClassifier(path string) (*classify.Classifier, error) {
	if path == "" {
		return classify.Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("status overrides: %w", err)
	}
	defer f.Close()
	table, err := classify.ReadTable(f)
	if err != nil {
		return nil, fmt.Errorf("status overrides %s: %w", path, err)
	}
	return classify.New(table)
}

func (c *serveCmd) tls() (*tls.Config, error) {
	if c.TLSCert == "" && c.TLSKey == "" {
		return nil, nil
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
