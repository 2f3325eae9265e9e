// Package server serves casewire's API on one address: Connect, gRPC and gRPC-Web for the
// generated clients, a JSON/REST facade through grpc-gateway, the OpenAPI document, gRPC
// health and reflection, and Prometheus metrics. It turns requests into calls on the domain
// packages and maps their errors to codes; it holds no USCIS or delivery logic.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/store"
)

// Options configures a Server. Store is required; the domain services are optional, and a
// service left nil answers Unimplemented.
type Options struct {
	Store    *store.Store
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Classifier normalises statuses for the classification method; nil uses the default.
	Classifier *classify.Classifier
	// Receipts, Events, Webhooks and Upstream are the domain services behind those APIs.
	Receipts ReceiptBackend
	Events   EventBackend
	Webhooks WebhookBackend
	Upstream UpstreamBackend
	// TLS, when set, serves HTTPS and gRPC over TLS on the same port.
	TLS *tls.Config
	// MaxBodyBytes bounds every request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequestsPerSecond and Burst limit each API key; 0 means the defaults.
	RequestsPerSecond float64
	Burst             int
	// ShutdownGrace is how long in-flight requests may take after a stop; 0 means 15s.
	ShutdownGrace time.Duration
}

// DefaultMaxBodyBytes bounds request bodies: room for a batch of 10,000 receipts.
const DefaultMaxBodyBytes = 4 << 20

// Server is casewire's API server.
type Server struct {
	opts    Options
	log     *slog.Logger
	keys    *access.Keys
	metrics *metrics
	limits  *keyLimits
	// gatewaySecret marks requests that the JSON facade forwards to the RPC handlers, so
	// that their forwarded client address can be trusted.
	gatewaySecret string
}

// New returns a server; call Serve to run it.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server: a store is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Classifier == nil {
		opts.Classifier = classify.Default()
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 15 * time.Second
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	secret, err := access.NewKey()
	if err != nil {
		return nil, err
	}
	return &Server{
		opts:          opts,
		log:           opts.Logger,
		keys:          access.NewKeys(opts.Store.Ent),
		metrics:       m,
		limits:        newKeyLimits(opts.RequestsPerSecond, opts.Burst),
		gatewaySecret: secret,
	}, nil
}

// Serve serves on ln until ctx is cancelled, then stops taking new work and lets requests
// in flight finish within the grace period.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	handler, closeGateway, err := s.handler(ctx, ln.Addr().String())
	if err != nil {
		return err
	}
	defer closeGateway()
	srv := s.httpServer(handler)
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("server stopping", "grace", s.opts.ShutdownGrace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(s.opts.TLS == nil)
	srv := &http.Server{
		Handler:           h,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.opts.TLS != nil {
		cfg := s.opts.TLS.Clone()
		cfg.NextProtos = []string{"h2", "http/1.1"}
		srv.TLSConfig = cfg
	}
	return srv
}
