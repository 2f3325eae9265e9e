package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/tenant"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/tracking"
	"github.com/casewire/casewire/uscis/emulator"
)

// The demo runs the USCIS emulator in process on a fast clock, so that a newcomer sees
// cases change and events flow within minutes.
const (
	demoTenant = "Demo Firm"
	// demoSpeed runs twelve emulated hours a real second: a synthetic case moves about
	// every two real minutes.
	demoSpeed     = 12 * 3600
	demoSynthetic = 12
	demoSeed      = 1
)

// demoSandbox are sandbox staging receipts: they answer as the sandbox does and never move.
var demoSandbox = []string{"EAC9999103402", "EAC9999103403", "LIN9999106498", "SRC9999102777",
	"EAC9999103400"}

// demo is the running emulator, its clock, and the demo tenant with a fresh key.
type demo struct {
	emu    *emulator.Emulator
	url    string
	stop   func()
	tenant *ent.Tenant
	key    string
}

// startDemo serves the emulator on a loopback port until stop is called. The emulated
// clock is anchored at the demo tenant's creation and runs on from there, so a restarted
// demo continues its cases where they were instead of starting them over.
func startDemo(ctx context.Context, st *store.Store) (*demo, error) {
	t, key, err := demoKey(ctx, st)
	if err != nil {
		return nil, err
	}
	anchor := t.CreateTime
	// Tokens live 30 real minutes: on the emulated clock that is 30 minutes × demoSpeed.
	emu := emulator.New(emulator.Options{Seed: demoSeed, Start: anchor,
		Clock:    func() time.Time { return demoClock(anchor, time.Now()) },
		TokenTTL: 30 * time.Minute * demoSpeed})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: emulator listen: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return &demo{emu: emu, url: "http://" + ln.Addr().String(), stop: stop, tenant: t, key: key}, nil
}

// demoClock is the emulated time at real time now: demoSpeed times the time since anchor.
// It moves by whole days first, so that a demo left running for days does not overflow.
func demoClock(anchor, now time.Time) time.Time {
	secs := now.Sub(anchor).Seconds() * demoSpeed
	days := math.Floor(secs / 86400)
	return anchor.AddDate(0, 0, int(days)).Add(time.Duration((secs - days*86400) * float64(time.Second)))
}

// flags points the USCIS flags at the emulator with its default credentials.
func (d *demo) flags(f uscisFlags) uscisFlags {
	f.BaseURL, f.TokenURL = d.url, d.url+"/oauth/accesstoken"
	f.ClientID, f.ClientSecret = "casewire-dev", "casewire-dev-secret"
	f.RPS = min(f.RPS, 5)
	return f
}

// seed makes (or finds) the demo tenant, issues it a key, prints the key and tracks the
// demo receipts. Run again on the same database it reuses the tenant and its receipts.
func (d *demo) seed(ctx context.Context, st *store.Store, tr *tracking.Service, out io.Writer) error {
	t, key := d.tenant, d.key
	numbers := append(d.emu.Synthetic(demoSynthetic), demoSandbox...)
	reqs := make([]tracking.Request, len(numbers))
	for i, n := range numbers {
		reqs[i] = tracking.Request{Number: n, ClientReference: fmt.Sprintf("demo-%02d", i+1),
			Labels: []string{"demo"}}
	}
	res, err := tr.Track(ctx, t.ID, reqs)
	if err != nil {
		return fmt.Errorf("demo: track: %w", err)
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("demo: track: %d receipts refused, first: %s", len(res.Errors),
			res.Errors[0].Reason)
	}
	fmt.Fprintf(out, "\ncasewire demo\n  tenant:  %s (%s)\n  API key: %s\n  tracked: %d receipts "+
		"(%d new); USCIS emulator at %s, %gx real time\n\n", t.Name, t.ID, key, len(numbers),
		res.CreatedCount, d.url, float64(demoSpeed))
	return nil
}

// demoKey finds or creates the demo tenant and returns a fresh admin key for it: keys are
// stored hashed, so a restarted demo issues a new one rather than showing the old.
func demoKey(ctx context.Context, st *store.Store) (*ent.Tenant, string, error) {
	t, err := st.Ent.Tenant.Query().Where(tenant.Name(demoTenant)).First(ctx)
	if ent.IsNotFound(err) {
		return access.CreateTenant(ctx, st.Ent, demoTenant)
	}
	if err != nil {
		return nil, "", fmt.Errorf("demo: find tenant: %w", err)
	}
	_, key, err := access.IssueKey(ctx, st.Ent, t.ID, "demo key", access.ScopeAdmin, "cli/demo.key")
	if err != nil {
		return nil, "", errors.Join(errors.New("demo: issue key"), err)
	}
	return t, key, nil
}
