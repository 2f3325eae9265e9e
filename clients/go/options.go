package casewire

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
)

// Protocol is the RPC protocol a Client speaks. The server answers all three on one port.
type Protocol int

// Protocols a Client can speak.
const (
	// ProtocolConnect is Connect's protocol over HTTP/1.1 or HTTP/2; the default.
	ProtocolConnect Protocol = iota
	// ProtocolGRPC is gRPC; it needs HTTP/2, which the default HTTP client provides.
	ProtocolGRPC
	// ProtocolGRPCWeb is gRPC-Web, as browsers and some proxies speak it.
	ProtocolGRPCWeb
)

// String returns the protocol's usual name.
func (p Protocol) String() string {
	switch p {
	case ProtocolGRPC:
		return "grpc"
	case ProtocolGRPCWeb:
		return "grpcweb"
	}
	return "connect"
}

// Option configures a Client made by New.
type Option func(*config)

type config struct {
	protocol   Protocol
	httpClient *http.Client
	timeout    time.Duration
	extra      []connect.ClientOption
}

// WithProtocol chooses the RPC protocol; the default is ProtocolConnect.
func WithProtocol(p Protocol) Option {
	return func(c *config) { c.protocol = p }
}

// WithHTTPClient replaces the default HTTP client. For gRPC over http:// URLs it must speak
// cleartext HTTP/2.
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) { c.httpClient = h }
}

// WithTimeout bounds every unary call whose context has no deadline of its own. Streams
// (WatchEvents, ExportReceipts) are left unbounded: bound them with their context.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithConnectOptions passes further options to the generated Connect clients, such as
// compression or read limits.
func WithConnectOptions(opts ...connect.ClientOption) Option {
	return func(c *config) { c.extra = append(c.extra, opts...) }
}

// unaryTimeout gives unary calls a deadline when their context has none.
type unaryTimeout time.Duration

func (d unaryTimeout) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(d))
			defer cancel()
		}
		return next(ctx, req)
	}
}

func (d unaryTimeout) WrapStreamingClient(
	next connect.StreamingClientFunc,
) connect.StreamingClientFunc {
	return next
}

func (d unaryTimeout) WrapStreamingHandler(
	next connect.StreamingHandlerFunc,
) connect.StreamingHandlerFunc {
	return next
}
