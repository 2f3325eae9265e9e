package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/casewire/casewire/webhook"
)

// webhooksCmd groups the webhook receiver tools.
type webhooksCmd struct {
	Listen webhooksListenCmd `cmd:"" help:"Receive, verify and print webhook deliveries."`
}

// webhooksListenCmd is a small webhook receiver: it verifies each delivery's signature
// and timestamp and prints it, so a newcomer can watch signed events arrive.
type webhooksListenCmd struct {
	Addr   string   `name:"addr" env:"CASEWIRE_LISTEN_ADDR" default:"127.0.0.1:9000" help:"Address to listen on."`
	Secret []string `name:"secret" env:"CASEWIRE_WEBHOOK_SECRET" required:"" help:"Endpoint signing secret (whsec_...); repeat it to accept the old and new secrets during a rotation."`
}

// Run serves until SIGINT or SIGTERM.
func (c *webhooksListenCmd) Run(a *app) error {
	v, err := webhook.NewVerifier(c.Secret...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var mu sync.Mutex
	print := func(_ context.Context, d *webhook.Delivery) error {
		var data bytes.Buffer
		if err := json.Indent(&data, d.Payload.Data, "  ", "  "); err != nil {
			data.Write(d.Payload.Data)
		}
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(a.stdout, "%s %s webhook-id=%s\n  %s\n",
			d.Timestamp.Format(time.RFC3339), d.Payload.Type, d.ID, data.String())
		return err
	}
	h := webhook.Handler(v, print)
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.code >= 400 {
			a.log.Warn("delivery refused", "status", rec.code, "remote", r.RemoteAddr)
		}
	})
	srv := &http.Server{Handler: logged, ReadHeaderTimeout: 10 * time.Second}
	a.log.Info("listening for webhooks", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-a.ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}
