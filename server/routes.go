package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
	"github.com/casewire/casewire/gen/openapi"
)

// serviceNames lists every RPC service, for health and reflection.
var serviceNames = []string{
	casewirev1connect.ReceiptServiceName,
	casewirev1connect.MatterServiceName,
	casewirev1connect.EventServiceName,
	casewirev1connect.WebhookServiceName,
	casewirev1connect.ClassificationServiceName,
	casewirev1connect.UpstreamServiceName,
	casewirev1connect.ApiKeyServiceName,
	casewirev1connect.AuditServiceName,
	casewirev1connect.TenantServiceName,
}

// handler builds the whole HTTP handler: RPC services, the JSON facade and the operator
// endpoints. The returned function closes the facade's loopback connection.
func (s *Server) handler(ctx context.Context, addr string) (http.Handler, func(), error) {
	mux := http.NewServeMux()
	opts := []connect.HandlerOption{
		connect.WithInterceptors(s.interceptors()...),
		connect.WithReadMaxBytes(int(s.opts.MaxBodyBytes)),
		connect.WithRecover(s.recovered),
	}
	s.mountServices(mux, opts)
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(serviceNames...)))
	reflector := grpcreflect.NewStaticReflector(serviceNames...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	gw, closeGateway, err := s.gateway(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	mux.Handle("/v1/", checkURL(gw))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Document)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"code": 5, "message": "no route for " + r.Method + " " + r.URL.Path, "details": []any{},
		})
	})
	return s.limitBody(mux), closeGateway, nil
}

// mountServices registers every RPC service.
func (s *Server) mountServices(mux *http.ServeMux, opts []connect.HandlerOption) {
	mux.Handle(casewirev1connect.NewReceiptServiceHandler(&receiptService{s: s}, opts...))
	mux.Handle(casewirev1connect.NewMatterServiceHandler(&matterService{s}, opts...))
	mux.Handle(casewirev1connect.NewEventServiceHandler(&eventService{s: s}, opts...))
	mux.Handle(casewirev1connect.NewWebhookServiceHandler(&webhookService{s: s}, opts...))
	mux.Handle(casewirev1connect.NewClassificationServiceHandler(&classificationService{s}, opts...))
	mux.Handle(casewirev1connect.NewUpstreamServiceHandler(&upstreamService{s: s}, opts...))
	mux.Handle(casewirev1connect.NewApiKeyServiceHandler(&apiKeyService{s}, opts...))
	mux.Handle(casewirev1connect.NewAuditServiceHandler(&auditService{s}, opts...))
	mux.Handle(casewirev1connect.NewTenantServiceHandler(&tenantService{s}, opts...))
}

// recovered turns a handler's panic into an Internal error, logged for whoever must look.
func (s *Server) recovered(ctx context.Context, spec connect.Spec, _ http.Header, p any) error {
	s.log.ErrorContext(ctx, "handler panicked", "procedure", spec.Procedure, "panic", fmt.Sprint(p))
	return connect.NewError(connect.CodeInternal, errors.New("internal error"))
}

// ready answers 200 when the database answers, else 503.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.opts.Store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness check failed", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// checkURL refuses a JSON-facade request whose path or query does not decode to UTF-8,
// naming the parameter, before the facade turns it into a message it could not encode.
func checkURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := ""
		if !utf8.ValidString(r.URL.Path) {
			bad = "path"
		}
		for name, values := range r.URL.Query() {
			for _, v := range values {
				if !utf8.ValidString(name) || !utf8.ValidString(v) {
					bad = name
				}
			}
		}
		if bad != "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{
				"code": 3, "message": bad + ": is not valid UTF-8",
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses request bodies larger than the configured bound.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.opts.MaxBodyBytes {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{
				"code": 11, "message": "request body is larger than the limit",
			})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
