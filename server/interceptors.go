package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
)

// call is what the interceptors learn about one request, carried in its context.
type call struct {
	procedure string
	principal access.Principal
	peer      string
	requestID string
	// intentID names the audit intent written before a mutation's handler ran.
	intentID string
}

type callKey struct{}

// callFrom returns the request's call; handlers use it for the tenant and key.
func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return &call{}
	}
	return c
}

// tenantID is the calling tenant; every query a handler makes is scoped to it.
func tenantID(ctx context.Context) string { return callFrom(ctx).principal.TenantID }

// interceptors run around every RPC, outermost first: observe (log and metrics), then
// audit, which sees the outcome of everything inside it (a refused scope or rate too),
// then authenticate (key, scope and rate), then auditAhead, which writes a mutation's
// intent before it runs, then error mapping next to the handler.
func (s *Server) interceptors() []connect.Interceptor {
	return []connect.Interceptor{observe{s}, audit{s}, authenticate{s}, auditAhead{s}, mapErrors{s}}
}

// begin builds the call of a request from its headers and peer.
func (s *Server) begin(ctx context.Context, procedure, peerAddr string, h interface{ Get(string) string }) (context.Context, *call) {
	c := &call{procedure: procedure, peer: hostOnly(peerAddr)}
	fromGateway := subtle.ConstantTimeCompare([]byte(h.Get(gatewayHeader)), []byte(s.gatewaySecret)) == 1
	if fromGateway {
		if fwd := lastForwarded(h.Get("X-Forwarded-For")); fwd != "" {
			c.peer = fwd
		}
	}
	c.requestID = cleanRequestID(h.Get("X-Request-Id"))
	if c.requestID == "" {
		c.requestID = newRequestID()
	}
	return context.WithValue(ctx, callKey{}, c), c
}

// observe logs one line per request and records its metrics.
type observe struct{ s *Server }

func (o observe) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, c := o.s.begin(ctx, req.Spec().Procedure, req.Peer().Addr, req.Header())
		start := time.Now()
		res, err := next(ctx, req)
		if res != nil {
			res.Header().Set("X-Request-Id", c.requestID)
		}
		o.s.finish(ctx, c, req.Peer().Protocol, start, err)
		return res, err
	}
}

func (o observe) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (o observe) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, c := o.s.begin(ctx, conn.Spec().Procedure, conn.Peer().Addr, conn.RequestHeader())
		conn.ResponseHeader().Set("X-Request-Id", c.requestID)
		start := time.Now()
		err := next(ctx, conn)
		o.s.finish(ctx, c, conn.Peer().Protocol, start, err)
		return err
	}
}

// finish logs the request and counts it. Keys and bodies are never logged.
func (s *Server) finish(ctx context.Context, c *call, protocol string, start time.Time, err error) {
	code := codeName(err)
	d := time.Since(start)
	s.metrics.observe(c.procedure, code, d)
	s.log.InfoContext(ctx, "request",
		"procedure", c.procedure,
		"code", code,
		"duration_ms", float64(d.Microseconds())/1000,
		"protocol", protocol,
		"tenant_id", c.principal.TenantID,
		"api_key_id", c.principal.KeyID,
		"peer", c.peer,
		"request_id", c.requestID,
	)
}

// authenticate checks the bearer key, the scope the method needs, and the key's rate.
type authenticate struct{ s *Server }

func (a authenticate) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := a.s.authorize(ctx, req.Spec().Procedure, req.Header().Get("Authorization")); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (a authenticate) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a authenticate) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := a.s.authorize(ctx, conn.Spec().Procedure, conn.RequestHeader().Get("Authorization")); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// authorize fills the call's principal or answers why not.
func (s *Server) authorize(ctx context.Context, procedure, header string) error {
	scheme, key, ok := strings.Cut(header, " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return connect.NewError(connect.CodeUnauthenticated,
			errors.New("missing API key: send Authorization: Bearer <key>"))
	}
	p, err := s.keys.Authenticate(ctx, key)
	if errors.Is(err, access.ErrUnauthenticated) {
		return connect.NewError(connect.CodeUnauthenticated, errors.New("invalid, revoked or expired API key"))
	}
	if err != nil {
		s.log.ErrorContext(ctx, "authentication failed", "error", err)
		return connect.NewError(connect.CodeUnavailable, errors.New("cannot check the API key now"))
	}
	callFrom(ctx).principal = p
	// The rate comes before the scope: a refusal for scope is audited, and a flood of
	// them must not become a flood of writes.
	if err := s.limits.allow(p.KeyID); err != nil {
		return err
	}
	if need := requiredScope(procedure); !p.Scope.Allows(need) {
		return connect.NewError(connect.CodePermissionDenied,
			errors.New("this API key's scope is "+p.Scope.String()+"; the method needs "+need.String()))
	}
	return nil
}

// requiredScope is the scope a method needs: admin for keys and the audit log, read for
// reads and classification, write for everything else.
func requiredScope(procedure string) access.Scope {
	service, method, _ := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	switch {
	case service == casewirev1connect.ApiKeyServiceName, service == casewirev1connect.AuditServiceName:
		return access.ScopeAdmin
	case isRead(method):
		return access.ScopeRead
	}
	return access.ScopeWrite
}

// isRead reports whether a method only reads.
func isRead(method string) bool {
	for _, p := range []string{"Get", "List", "Watch", "Export", "Classify"} {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

func hostOnly(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// lastForwarded is the address the JSON facade added to X-Forwarded-For: the last one.
// Those before it are the caller's own words and could name anyone.
func lastForwarded(v string) string {
	last := v[strings.LastIndex(v, ",")+1:]
	last = strings.TrimSpace(last)
	if net.ParseIP(last) == nil {
		return ""
	}
	return last
}

// cleanRequestID keeps a caller's request id only when it is short and plain.
func cleanRequestID(id string) string {
	if len(id) == 0 || len(id) > 64 {
		return ""
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return ""
		}
	}
	return id
}

func codeName(err error) string {
	if err == nil {
		return "ok"
	}
	return connect.CodeOf(err).String()
}

// newRequestID returns a random id for a request that came without one.
func newRequestID() string {
	key, err := access.NewKey()
	if err != nil {
		return "req"
	}
	return "req_" + key[3:23]
}
