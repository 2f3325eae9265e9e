package deliver

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
)

// Environment of the child process in TestKilledMidDelivery.
const (
	envChild   = "CASEWIRE_DELIVER_CHILD"
	envDataDir = "CASEWIRE_DELIVER_CHILD_DATA_DIR"
	envDBURL   = "CASEWIRE_DELIVER_CHILD_DATABASE_URL"
	envKey     = "CASEWIRE_DELIVER_CHILD_KEY"
)

// TestDeliveryChild is the delivering process of TestKilledMidDelivery: it works deliveries
// until it is killed. It does nothing in a normal run.
func TestDeliveryChild(t *testing.T) {
	if os.Getenv(envChild) == "" {
		t.Skip("runs only as the child of TestKilledMidDelivery")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: os.Getenv(envDataDir),
		DatabaseURL: os.Getenv(envDBURL)})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secretbox.Parse(os.Getenv(envKey))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(st, ring, testConfig(Config{Timeout: 5 * time.Second, RescueAfter: 6 * time.Second,
		Schedule: Schedule{100 * time.Millisecond, 100 * time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

// TestKilledMidDelivery kills the delivering process with SIGKILL while requests are in
// flight, starts another, and checks that every delivery still succeeds.
func TestKilledMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cfg := storetest.Config(t)
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, _ := secretbox.NewKey()
	ring, _ := secretbox.Parse(key)
	// This service only registers and enqueues; it never starts workers.
	svc, err := New(st, ring, testConfig(Config{}))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		hang      = true
		release   = make(chan struct{})
		inFlight  = make(chan struct{}, 100)
		delivered = map[string]bool{}
	)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		mu.Lock()
		h := hang
		mu.Unlock()
		if h {
			inFlight <- struct{}{}
			<-release
			return
		}
		mu.Lock()
		delivered[r.Header.Get("webhook-id")] = true
		mu.Unlock()
	})
	f := &fixture{st: st, svc: svc}
	f.tenant = tenantOf(t, st)
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	const n = 20
	for i := range n {
		f.emit(t, "IOE09000000"+string(rune('A'+i)), 1, "review")
	}
	first := startChild(t, cfg, key)
	select {
	case <-inFlight:
	case <-time.After(20 * time.Second):
		t.Fatal("the first process sent nothing")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	mu.Lock()
	hang = false
	mu.Unlock()
	close(release)
	startChild(t, cfg, key)
	deadline := time.Now().Add(90 * time.Second)
	for {
		done, err := st.Ent.Delivery.Query().Where(delivery.EndpointID(ep.ID),
			delivery.State(StateSucceeded)).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries succeeded after the restart", done, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != n {
		t.Fatalf("receiver acknowledged %d distinct events, want %d", len(delivered), n)
	}
}

func tenantOf(t *testing.T, st *store.Store) string {
	t.Helper()
	ten, err := st.Ent.Tenant.Create().SetName("Firm").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ten.ID
}

func startChild(t *testing.T, cfg store.Config, key string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeliveryChild$", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), envChild+"=1", envDataDir+"="+cfg.DataDir,
		envDBURL+"="+cfg.DatabaseURL, envKey+"="+key)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd
}
