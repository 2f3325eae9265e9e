package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

// gatewayHeader carries the per-process secret with which the JSON facade marks the calls
// it forwards, so the RPC side trusts their forwarded client address and request id.
const gatewayHeader = "x-casewire-gateway"

// gateway returns the JSON/REST facade. grpc-gateway's handlers call the RPC services over
// gRPC on this server's own address, so a JSON call passes the same authentication,
// validation, audit, logging and metrics as any other.
func (s *Server) gateway(ctx context.Context, addr string) (http.Handler, func(), error) {
	creds, err := s.loopbackCredentials()
	if err != nil {
		return nil, nil, err
	}
	conn, err := grpc.NewClient(loopbackAddr(addr), grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, nil, fmt.Errorf("server: gateway connection: %w", err)
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
			Marshaler: &runtime.JSONPb{
				MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
				UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
			},
		}),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			md := metadata.Pairs(gatewayHeader, s.gatewaySecret)
			if id := r.Header.Get(requestIDHeader); id != "" {
				md.Set(requestIDHeader, id)
			}
			return md
		}),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
	)
	register := []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		casewirev1.RegisterReceiptServiceHandler,
		casewirev1.RegisterMatterServiceHandler,
		casewirev1.RegisterEventServiceHandler,
		casewirev1.RegisterWebhookServiceHandler,
		casewirev1.RegisterClassificationServiceHandler,
		casewirev1.RegisterUpstreamServiceHandler,
		casewirev1.RegisterApiKeyServiceHandler,
		casewirev1.RegisterAuditServiceHandler,
		casewirev1.RegisterTenantServiceHandler,
	}
	for _, r := range register {
		if err := r(ctx, mux, conn); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("server: gateway: %w", err)
		}
	}
	return mux, func() { conn.Close() }, nil
}

// requestIDHeader carries a caller's request id in, and the id of the call out.
const requestIDHeader = "X-Request-Id"

// outgoingHeader names the response headers of an RPC in a JSON answer: the request id as
// it is named on every other protocol, the rest under grpc-gateway's metadata prefix.
func outgoingHeader(key string) (string, bool) {
	if strings.EqualFold(key, requestIDHeader) {
		return requestIDHeader, true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// loopbackAddr turns a listening address into one this process can dial.
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// loopbackCredentials trusts exactly this server's own certificate when TLS is on: the
// facade dials itself, whatever names the certificate carries.
func (s *Server) loopbackCredentials() (credentials.TransportCredentials, error) {
	if s.opts.TLS == nil {
		return insecure.NewCredentials(), nil
	}
	var own [][]byte
	for _, c := range s.opts.TLS.Certificates {
		if len(c.Certificate) > 0 {
			own = append(own, c.Certificate[0])
		}
	}
	if len(own) == 0 {
		return nil, errors.New("server: TLS configuration has no certificate")
	}
	return credentials.NewTLS(&tls.Config{
		// Names are not checked; the exact certificate is, below.
		InsecureSkipVerify: true, //nolint:gosec // pinned to this server's own certificate
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for _, c := range own {
				if len(raw) > 0 && bytes.Equal(raw[0], c) {
					return nil
				}
			}
			return errors.New("server: gateway reached a server with another certificate")
		},
	}), nil
}

// routingError answers a request the facade has no route for with the HTTP status that
// says why (404, or 405 for a path that exists with another method) and a JSON body.
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, status int) {
	if status != http.StatusMethodNotAllowed {
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, status)
		return
	}
	writeJSON(w, status, map[string]any{
		"code": 12, "message": r.Method + " is not allowed on " + r.URL.Path, "details": []any{},
	})
}
