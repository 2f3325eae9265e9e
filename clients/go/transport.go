package casewire

import (
	"net/http"
	"strings"
)

// transport sends cleartext gRPC requests over HTTP/2 with prior knowledge and everything
// else over an ordinary transport that negotiates HTTP/2 only under TLS. Connect and
// gRPC-Web work over HTTP/1.1, which passes through more proxies; gRPC does not.
type transport struct {
	h1  *http.Transport
	h2c *http.Transport
}

func newTransport() *transport {
	var tls, clear http.Protocols
	tls.SetHTTP1(true)
	tls.SetHTTP2(true)
	clear.SetUnencryptedHTTP2(true)
	return &transport{h1: baseTransport(&tls), h2c: baseTransport(&clear)}
}

func baseTransport(p *http.Protocols) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Protocols = p
	return t
}

// RoundTrip sends r over the transport its scheme and protocol need.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && isGRPC(r.Header.Get("Content-Type")) {
		return t.h2c.RoundTrip(r)
	}
	return t.h1.RoundTrip(r)
}

// CloseIdleConnections closes idle connections of both transports.
func (t *transport) CloseIdleConnections() {
	t.h1.CloseIdleConnections()
	t.h2c.CloseIdleConnections()
}

// isGRPC reports whether a content type is gRPC's (and not gRPC-Web's).
func isGRPC(contentType string) bool {
	return strings.HasPrefix(contentType, "application/grpc") &&
		!strings.HasPrefix(contentType, "application/grpc-web")
}
