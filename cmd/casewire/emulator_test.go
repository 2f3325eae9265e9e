package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes to it.
// TestEmulatorCommand starts the command on a free loopback port, does one token and one
// status round trip, and checks that cancelling the context shuts it down cleanly.
func TestEmulatorCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"emulator", "--addr", "127.0.0.1:0", "--client-secret", "s",
			"--examples", "2"}, strings.NewReader(""), &stdout, &stderr)
	}()
	base := waitForAddr(t, &stderr, done)
	resp, err := http.PostForm(base+"/oauth/accesstoken", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"casewire-dev"}, "client_secret": {"s"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   string `json:"expires_in"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" || tok.ExpiresIn != "1800" {
		t.Fatalf("token: %v %+v", err, tok)
	}
	req, _ := http.NewRequest("GET", base+"/case-status/EAC9999103402", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Case Approval Was Affirmed") {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
	if !regexp.MustCompile(`synthetic receipts: [A-Z]{3}90\d{8} [A-Z]{3}90\d{8}`).MatchString(stdout.String()) {
		t.Errorf("stdout: %q", stdout.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulator did not stop")
	}
	if !strings.Contains(stderr.String(), "emulator shutting down") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

var addrRe = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

func waitForAddr(t *testing.T, stderr *syncBuffer, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
			return "http://" + m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("run ended: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no address logged: %s", stderr.String())
	return ""
}
