// Package servertest starts a real casewire server on a loopback port for tests, with a
// fresh database, a tenant and its admin key, and clients for every protocol it serves.
package servertest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/net/http2"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
)

// Server is a running server and what a test needs to talk to it.
type Server struct {
	URL      string
	Store    *store.Store
	TenantID string
	// Key is an admin key of TenantID.
	Key string
	// Logs holds everything the server logged.
	Logs *Buffer
	// HTTP is a client that speaks HTTP/1.1 and cleartext HTTP/2 to the server.
	HTTP *http.Client
}

// Start runs a server until the test ends. configure may set backends and options.
func Start(t testing.TB, configure func(*server.Options)) *Server {
	t.Helper()
	st := storetest.Open(t)
	logs := &Buffer{}
	opts := server.Options{
		Store:             st,
		Logger:            slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RequestsPerSecond: 10000,
		Burst:             10000,
		ShutdownGrace:     2 * time.Second,
	}
	if configure != nil {
		configure(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	httpClient := H2CClient()
	scheme := "http://"
	if opts.TLS != nil {
		scheme = "https://"
		httpClient = tlsClient(opts.TLS)
	}
	t.Cleanup(func() {
		httpClient.CloseIdleConnections()
		http.DefaultClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	s := &Server{URL: scheme + ln.Addr().String(), Store: st, Logs: logs, HTTP: httpClient}
	s.TenantID, s.Key = s.NewTenant(t, "Test Firm")
	return s
}

// NewTenant makes another tenant and returns its id and admin key.
func (s *Server) NewTenant(t testing.TB, name string) (string, string) {
	t.Helper()
	ten, key, err := access.CreateTenant(context.Background(), s.Store.Ent, name)
	if err != nil {
		t.Fatal(err)
	}
	return ten.ID, key
}

// H2CClient speaks HTTP/2 without TLS, as gRPC needs, and HTTP/1.1 otherwise.
func H2CClient() *http.Client {
	return &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

// tlsClient trusts the server's own certificate and speaks HTTP/2 over TLS.
func tlsClient(cfg *tls.Config) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range cfg.Certificates {
		if leaf, err := x509.ParseCertificate(c.Certificate[0]); err == nil {
			pool.AddCert(leaf)
		}
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
}

// Protocols are the RPC protocols the server speaks, by name.
var Protocols = map[string][]connect.ClientOption{
	"connect": nil,
	"grpc":    {connect.WithGRPC()},
	"grpcweb": {connect.WithGRPCWeb()},
}

// Auth adds a bearer key to every request of a client.
func Auth(key string) connect.ClientOption {
	return connect.WithInterceptors(bearer(key))
}

type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if b != "" {
			req.Header().Set("Authorization", "Bearer "+string(b))
		}
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if b != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		}
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// Clients holds a client of every service.
type Clients struct {
	Receipts       casewirev1connect.ReceiptServiceClient
	Matters        casewirev1connect.MatterServiceClient
	Events         casewirev1connect.EventServiceClient
	Webhooks       casewirev1connect.WebhookServiceClient
	Classification casewirev1connect.ClassificationServiceClient
	Upstream       casewirev1connect.UpstreamServiceClient
	APIKeys        casewirev1connect.ApiKeyServiceClient
	Audit          casewirev1connect.AuditServiceClient
	Tenant         casewirev1connect.TenantServiceClient
}

// Clients returns clients that call with key over the named protocol.
func (s *Server) Clients(key, protocol string) Clients {
	opts := append([]connect.ClientOption{Auth(key)}, Protocols[protocol]...)
	h := s.HTTP
	return Clients{
		Receipts:       casewirev1connect.NewReceiptServiceClient(h, s.URL, opts...),
		Matters:        casewirev1connect.NewMatterServiceClient(h, s.URL, opts...),
		Events:         casewirev1connect.NewEventServiceClient(h, s.URL, opts...),
		Webhooks:       casewirev1connect.NewWebhookServiceClient(h, s.URL, opts...),
		Classification: casewirev1connect.NewClassificationServiceClient(h, s.URL, opts...),
		Upstream:       casewirev1connect.NewUpstreamServiceClient(h, s.URL, opts...),
		APIKeys:        casewirev1connect.NewApiKeyServiceClient(h, s.URL, opts...),
		Audit:          casewirev1connect.NewAuditServiceClient(h, s.URL, opts...),
		Tenant:         casewirev1connect.NewTenantServiceClient(h, s.URL, opts...),
	}
}

// Buffer is a concurrency-safe log sink.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
