// Package casewire is the Go client of a casewire server: one constructor, New, returns a
// client of every service in casewire.v1 over Connect, gRPC or gRPC-Web, authenticated by
// an API key. Request and response messages are those of
// github.com/casewire/casewire/gen/casewire/v1. The package also re-exports what a webhook
// receiver needs: signature verification and a net/http handler that verifies and decodes
// each delivery.
package casewire

import (
	"context"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
)

// Client holds a client of every casewire service, all sharing one HTTP client, protocol
// and API key. Its fields are safe for concurrent use.
type Client struct {
	// Receipts tracks receipt numbers and reads their current status.
	Receipts casewirev1connect.ReceiptServiceClient
	// Matters groups receipts under a firm's matters.
	Matters casewirev1connect.MatterServiceClient
	// Events lists, reads and streams status events.
	Events casewirev1connect.EventServiceClient
	// Webhooks manages webhook endpoints and their deliveries.
	Webhooks casewirev1connect.WebhookServiceClient
	// Classification normalises a USCIS title and description without tracking anything.
	Classification casewirev1connect.ClassificationServiceClient
	// Upstream reports the health of the server's USCIS connection.
	Upstream casewirev1connect.UpstreamServiceClient
	// APIKeys creates, lists and revokes API keys.
	APIKeys casewirev1connect.ApiKeyServiceClient
	// Audit lists the tenant's audit log.
	Audit casewirev1connect.AuditServiceClient
	// Tenant reads the tenant the API key belongs to.
	Tenant casewirev1connect.TenantServiceClient
}

// New returns a client of the server at baseURL (such as "http://127.0.0.1:8080") that
// sends apiKey as a bearer token on every call. Without options it speaks the Connect
// protocol over an HTTP client that uses HTTP/1.1 or cleartext HTTP/2 for http:// URLs and
// TLS for https:// URLs.
func New(baseURL, apiKey string, opts ...Option) *Client {
	cfg := config{protocol: ProtocolConnect}
	for _, o := range opts {
		o(&cfg)
	}
	h := cfg.httpClient
	if h == nil {
		h = DefaultHTTPClient()
	}
	baseURL = strings.TrimSuffix(baseURL, "/")
	co := cfg.connectOptions(apiKey)
	return &Client{
		Receipts:       casewirev1connect.NewReceiptServiceClient(h, baseURL, co...),
		Matters:        casewirev1connect.NewMatterServiceClient(h, baseURL, co...),
		Events:         casewirev1connect.NewEventServiceClient(h, baseURL, co...),
		Webhooks:       casewirev1connect.NewWebhookServiceClient(h, baseURL, co...),
		Classification: casewirev1connect.NewClassificationServiceClient(h, baseURL, co...),
		Upstream:       casewirev1connect.NewUpstreamServiceClient(h, baseURL, co...),
		APIKeys:        casewirev1connect.NewApiKeyServiceClient(h, baseURL, co...),
		Audit:          casewirev1connect.NewAuditServiceClient(h, baseURL, co...),
		Tenant:         casewirev1connect.NewTenantServiceClient(h, baseURL, co...),
	}
}

// connectOptions turns the configuration into options of the generated clients.
func (c *config) connectOptions(apiKey string) []connect.ClientOption {
	interceptors := []connect.Interceptor{bearer(apiKey)}
	if c.timeout > 0 {
		interceptors = append(interceptors, unaryTimeout(c.timeout))
	}
	co := []connect.ClientOption{connect.WithInterceptors(interceptors...)}
	switch c.protocol {
	case ProtocolGRPC:
		co = append(co, connect.WithGRPC())
	case ProtocolGRPCWeb:
		co = append(co, connect.WithGRPCWeb())
	}
	return append(co, c.extra...)
}

// bearer sets the Authorization header of every request it sees.
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

func (b bearer) WrapStreamingHandler(
	next connect.StreamingHandlerFunc,
) connect.StreamingHandlerFunc {
	return next
}

// defaultTransport is shared by every client New makes without WithHTTPClient, so they
// share connections.
var defaultTransport = newTransport()

// DefaultHTTPClient returns the HTTP client New uses when none is given: HTTP/1.1 or
// HTTP/2 over TLS for https:// URLs, and for http:// URLs HTTP/1.1, except gRPC calls,
// which need HTTP/2 and go as cleartext HTTP/2 (h2c) with prior knowledge.
func DefaultHTTPClient() *http.Client {
	return &http.Client{Transport: defaultTransport}
}
