package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/casewire/casewire/store/storetest"
)

// binary is the casewire command built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "casewire-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "casewire")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		panic("build casewire: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dbEnv points a process at the test run's database, through the CASEWIRE_ variables.
func dbEnv(t *testing.T) []string {
	cfg := storetest.Config(t)
	dataDir := cfg.DataDir
	if dataDir == "" {
		dataDir = t.TempDir() // PostgreSQL: the data directory still holds the encryption key
	}
	env := append(os.Environ(), "CASEWIRE_DATA_DIR="+dataDir)
	if cfg.DatabaseURL != "" {
		env = append(env, "CASEWIRE_DATABASE_URL="+cfg.DatabaseURL)
	}
	return env
}

// startServe runs `casewire serve` on a free port and returns its base URL.
func startServe(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &bytes.Buffer{}
	addr := regexp.MustCompile(`msg="casewire serving" addr=(\S+)`)
	sc := bufio.NewScanner(stderr)
	deadline := time.After(30 * time.Second)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			if m := addr.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case a := <-found:
		return cmd, "http://" + a, logs
	case <-deadline:
		t.Fatalf("serve did not start:\n%s", logs)
	}
	return nil, "", nil
}

func TestTenantCreatePrintsTheKeyLastAndServeStopsCleanly(t *testing.T) {
	env := dbEnv(t)
	create := exec.Command(binary, "tenant", "create", "Doe & Roe LLP")
	create.Env = env
	out, err := create.Output()
	if err != nil {
		t.Fatalf("tenant create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "cw_") || strings.Contains(key, " ") {
		t.Fatalf("last line %q is not a key alone", key)
	}

	cmd, url, logs := startServe(t, env)
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/tenant", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Doe & Roe LLP") {
		t.Fatalf("GET /v1/tenant: %d %s", res.StatusCode, body)
	}
	if strings.Contains(logs.String(), key) || strings.Contains(logs.String(), key[12:]) {
		t.Fatal("the API key appears in the server's logs")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, logs)
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop within 20s of SIGTERM")
	}
}

// TestLogsCarryNoSecretsThroughAFullFlow runs the demo with a webhook receiver: receipts are
// tracked and polled, events detected and delivered. Then nothing in the logs may be an API
// key, a webhook secret, the USCIS client secret or a whole receipt number.
func TestLogsCarryNoSecretsThroughAFullFlow(t *testing.T) {
	env := append(dbEnv(t), "CASEWIRE_LOG_LEVEL=debug")
	var delivered atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delivered.Add(1)
	}))
	defer rc.Close()

	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--demo", "--allow-insecure-webhooks")
	cmd.Env = env
	stdout := &bytes.Buffer{}
	cmd.Stdout = stdout
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := regexp.MustCompile(`msg="casewire serving" addr=(\S+)`)
	var url string
	waitFor(t, "serve to start", func() bool {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			url = "http://" + m[1]
			return true
		}
		return false
	})
	key := regexp.MustCompile(`cw_[A-Za-z0-9_-]{43}`).FindString(stdout.String())
	if key == "" {
		t.Fatalf("no demo key on stdout:\n%s", stdout)
	}
	call := func(method, path, body string) string {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return string(out)
	}
	created := call(http.MethodPost, "/v1/webhookEndpoints", `{"url":"`+rc.URL+`"}`)
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(created)
	if secret == "" {
		t.Fatalf("no secret in %s", created)
	}
	call(http.MethodPost, "/v1/receipts", `{"receiptNumber":"EAC-99-991-03402"}`)
	waitFor(t, "a webhook delivery", func() bool { return delivered.Load() > 0 })
	receipts := call(http.MethodGet, "/v1/receipts?pageSize=100", "")
	numbers := regexp.MustCompile(`"receiptNumber":"([A-Z]{3}[0-9]{10})"`).FindAllStringSubmatch(receipts, -1)
	if len(numbers) == 0 {
		t.Fatalf("no receipts listed: %.300s", receipts)
	}
	out := logs.String()
	for what, s := range map[string]string{
		"API key": key, "API key body": key[12:], "webhook secret": secret,
		"webhook secret body": strings.TrimPrefix(secret, "whsec_"), "USCIS secret": "casewire-dev-secret",
	} {
		if strings.Contains(out, s) {
			t.Errorf("the logs carry the %s", what)
		}
	}
	for _, n := range numbers {
		if strings.Contains(out, n[1]) {
			t.Errorf("the logs carry the whole receipt number %s", n[1][:3]+"…")
		}
	}
	if !strings.Contains(out, "case event") {
		t.Fatalf("the flow logged no event; the test proved nothing:\n%.2000s", out)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeTakesStatusOverrides: an operator teaches the classifier a title without a
// rebuild, and a bad file stops the start with its line named.
func TestServeTakesStatusOverrides(t *testing.T) {
	env := dbEnv(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tsv")
	os.WriteFile(good, []byte("title\ttitle_es\texample_description\tcategory\toutcome\taction_required\n"+
		"Case Was Beamed To The Moon\t\t\ttransfer\tnone\tfalse\n"), 0o600)
	create := exec.Command(binary, "tenant", "create", "Firm")
	create.Env = env
	out, err := create.Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(out[bytes.LastIndexByte(bytes.TrimSpace(out), '\n')+1:]))
	_, url, _ := startServe(t, env, "--status-overrides", good)
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/status:classify",
		strings.NewReader(`{"title":"case was beamed to the moon."}`))
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"CATEGORY_TRANSFER"`) || !strings.Contains(string(body), `"MATCH_KIND_EXACT"`) {
		t.Fatalf("override not applied: %s", body)
	}

	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("title\ttitle_es\texample_description\tcategory\toutcome\taction_required\n"+
		"Something\t\t\tnot_a_category\tnone\tfalse\n"), 0o600)
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--status-overrides", bad)
	cmd.Env = env
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "line 2") {
		t.Fatalf("bad overrides: err %v, output %s", err, msg)
	}
}

// TestDemoClockRunsOnAcrossRestarts: the demo's emulated time is a function of the real
// time since the demo firm was made, so a restart continues it, and days of real time do
// not overflow it.
func TestDemoClockRunsOnAcrossRestarts(t *testing.T) {
	anchor := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if got := demoClock(anchor, anchor); !got.Equal(anchor) {
		t.Fatalf("at the anchor: %v", got)
	}
	if got := demoClock(anchor, anchor.Add(time.Second)); !got.Equal(anchor.Add(12 * time.Hour)) {
		t.Fatalf("one real second later: %v, want twelve emulated hours", got)
	}
	a, b := demoClock(anchor, anchor.Add(10*24*time.Hour)), demoClock(anchor, anchor.Add(10*24*time.Hour+time.Second))
	if !b.After(a) || a.Year() < 2026+1000 {
		t.Fatalf("after ten real days: %v then %v", a, b)
	}
}
