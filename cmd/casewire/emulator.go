package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/casewire/casewire/uscis/emulator"
)

// emulatorCmd serves an emulation of the USCIS Case Status API: tokens, the sandbox's
// staging receipts and synthetic receipts whose statuses move with an emulated clock.
// Its /_emulator control endpoints have no authentication: keep --addr on loopback.
type emulatorCmd struct {
	Addr         string        `name:"addr" default:"127.0.0.1:9090" help:"Address to listen on (keep it on loopback)."`
	ClientID     string        `name:"client-id" default:"casewire-dev" help:"Client ID the token endpoint accepts."`
	ClientSecret string        `name:"client-secret" default:"casewire-dev-secret" help:"Client secret the token endpoint accepts."`
	TokenTTL     time.Duration `name:"token-ttl" default:"30m" help:"Token lifetime on the emulated clock."`
	TPS          int           `name:"tps" default:"10" help:"Case-status requests per second before 429 (0: unlimited)."`
	DailyQuota   int           `name:"daily-quota" default:"0" help:"Case-status requests per emulated UTC day before 429 (0: unlimited)."`
	Seed         uint64        `name:"seed" default:"1" help:"Seed of the synthetic receipts' paths."`
	Speed        float64       `name:"speed" default:"1" help:"Emulated seconds per real second (3600: an hour a second)."`
	OffHours     bool          `name:"off-hours" help:"Answer every case-status request with the sandbox's off-hours 503."`
	SandboxHours bool          `name:"sandbox-hours" help:"Answer 503 outside Mon-Fri 07:00-20:00 US Eastern (emulated clock)."`
	Latency      time.Duration `name:"latency" help:"Delay every case-status answer."`
	ErrorRate    float64       `name:"error-rate" help:"Share of case-status answers that are 500 (0-1)."`
	HTMLRate     float64       `name:"html-rate" help:"Share of answers that are a 200 HTML page (0-1)."`
	TruncRate    float64       `name:"truncated-rate" help:"Share of answers that are truncated JSON (0-1)."`
	RejectTokens bool          `name:"reject-tokens" help:"Answer 401 to every case-status request."`
	Examples     int           `name:"examples" default:"5" help:"Synthetic receipt numbers to print at start."`
}

// Run serves until the context is cancelled, then shuts down gracefully.
func (c *emulatorCmd) Run(a *app) error {
	emu := emulator.New(c.options())
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("emulator: listen: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	if c.Examples > 0 {
		fmt.Fprintf(a.stdout, "synthetic receipts: %s\n", strings.Join(emu.Synthetic(c.Examples), " "))
	}
	a.log.Info("emulator serving", "addr", ln.Addr().String(), "tps", c.TPS,
		"daily_quota", c.DailyQuota, "speed", c.Speed, "seed", c.Seed, "emulated_now", emu.Now())
	if !isLoopback(ln.Addr()) {
		a.log.Warn("emulator control endpoints have no auth and are reachable beyond loopback",
			"addr", ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("emulator: %w", err)
	case <-a.ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.log.Info("emulator shutting down", "requests", emu.Requests())
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("emulator: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("emulator: %w", err)
	}
	return nil
}

func (c *emulatorCmd) options() emulator.Options {
	return emulator.Options{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenTTL: c.TokenTTL,
		Seed: c.Seed, Speed: c.Speed, TPS: c.TPS, DailyQuota: c.DailyQuota,
		OffHours: c.OffHours, SandboxHours: c.SandboxHours,
		Faults: emulator.Faults{
			LatencyMS: int(c.Latency / time.Millisecond), ErrorRate: c.ErrorRate,
			HTMLRate: c.HTMLRate, TruncatedRate: c.TruncRate, RejectTokens: c.RejectTokens,
		},
	}
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
