package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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
