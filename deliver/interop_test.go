package deliver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casewire/casewire/webhook"
)

// interopCase is one message handed to the independent verifiers.
type interopCase struct {
	Name    string            `json:"name"`
	Secret  string            `json:"secret"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
	want    bool
}

// TestInteropWithIndependentVerifiers proves that the npm packages standardwebhooks and
// svix accept real casewire deliveries, also during a secret rotation, and refuse tampered
// ones. It needs node and npm; it installs the pinned packages with npm ci when missing.
func TestInteropWithIndependentVerifiers(t *testing.T) {
	dir := filepath.Join("testdata", "interop")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "svix")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	cases := interopCases(t)
	file := filepath.Join(t.TempDir(), "cases.json")
	b, _ := json.Marshal(cases)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "verify.mjs", file)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	want := map[string]bool{}
	for _, c := range cases {
		want[c.Name] = c.want
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			Name, Library, Error string
			OK                   bool
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("node printed %q", sc.Text())
		}
		seen++
		if r.OK != want[r.Name] {
			t.Errorf("%s with %s: ok=%v (%s), want ok=%v", r.Name, r.Library, r.OK, r.Error, want[r.Name])
		}
	}
	if seen != 2*len(cases) {
		t.Fatalf("%d results for %d cases", seen, len(cases))
	}
}

// interopCases delivers real events through the service and derives tampered copies.
func interopCases(t *testing.T) []interopCase {
	f := start(t, Config{})
	rc := newReceiver(t, nil)
	ep, oldSecret := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "decision")
	f.waitState(t, ep.ID, ev.ID, StateSucceeded)
	_, newSecret, err := f.svc.RotateSecret(context.Background(), f.tenant, ep.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ev2 := f.emit(t, "IOE0912345678", 2, "decision")
	f.waitState(t, ep.ID, ev2.ID, StateSucceeded)
	hits := rc.all()
	msg := func(name, secret string, h hit, want bool) interopCase {
		return interopCase{Name: name, Secret: secret, Body: string(h.body), want: want,
			Headers: map[string]string{
				webhook.HeaderID:        h.header.Get(webhook.HeaderID),
				webhook.HeaderTimestamp: h.header.Get(webhook.HeaderTimestamp),
				webhook.HeaderSignature: h.header.Get(webhook.HeaderSignature),
			}}
	}
	cases := []interopCase{
		msg("delivery", oldSecret, hits[0], true),
		msg("rotation, old secret", oldSecret, hits[1], true),
		msg("rotation, new secret", newSecret, hits[1], true),
		msg("wrong secret", newSecret, hits[0], false),
	}
	body := msg("tampered body", oldSecret, hits[0], false)
	body.Body = strings.Replace(body.Body, "IOE0912345678", "IOE0912345679", 1)
	id := msg("tampered id", oldSecret, hits[0], false)
	id.Headers[webhook.HeaderID] = "evt_other"
	ts := msg("tampered timestamp", oldSecret, hits[0], false)
	unix, _ := strconv.ParseInt(ts.Headers[webhook.HeaderTimestamp], 10, 64)
	ts.Headers[webhook.HeaderTimestamp] = strconv.FormatInt(unix+1, 10)
	sig := msg("tampered signature", oldSecret, hits[0], false)
	sig.Headers[webhook.HeaderSignature] = strings.Replace(sig.Headers[webhook.HeaderSignature], "v1,", "v1,A", 1)
	return append(cases, body, id, ts, sig)
}
