package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casewire/casewire/ent/trackedreceipt"
	"github.com/casewire/casewire/server/servertest"
)

func runImport(t *testing.T, s *servertest.Server, content string, env bool) (string, string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "receipts")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"receipts", "import", file, "--batch-size", "2"}
	if env {
		t.Setenv("CASEWIRE_SERVER", s.URL)
		t.Setenv("CASEWIRE_API_KEY", s.Key)
	} else {
		args = append(args, "--server", s.URL, "--key", s.Key)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func tracked(t *testing.T, s *servertest.Server) map[string][]string {
	t.Helper()
	rows := s.Store.Ent.TrackedReceipt.Query().Where(trackedreceipt.TenantID(s.TenantID)).AllX(context.Background())
	out := map[string][]string{}
	for _, r := range rows {
		out[r.ReceiptNumber] = r.Labels
	}
	return out
}

func TestImportCSV(t *testing.T) {
	s := servertest.Start(t, nil)
	csv := "Receipt Number,Labels,Reference\n" +
		"EAC-21-900-12345,h1b;vip,doe\n" +
		"not-a-receipt,x,\n" +
		"eac2190012345,dup,\n" +
		"LIN2190012346,,roe\n" +
		"IOE0906929443,\"a|b\",\n"
	stdout, stderr, err := runImport(t, s, csv, false)
	if err == nil || !strings.Contains(err.Error(), "1 rows rejected") {
		t.Fatalf("err = %v; stderr %s", err, stderr)
	}
	for _, want := range []string{"line 3: receipt_number:", "line 4: duplicate of line 2"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "tracked 3 receipts (3 new)") {
		t.Errorf("stdout %q", stdout)
	}
	got := tracked(t, s)
	if len(got) != 3 || strings.Join(got["EAC2190012345"], ",") != "h1b,vip" ||
		strings.Join(got["IOE0906929443"], ",") != "a,b" {
		t.Fatalf("tracked %v", got)
	}
}

func TestImportTextFromEnv(t *testing.T) {
	s := servertest.Start(t, nil)
	text := "Dear firm, receipts EAC 219 001 2345 and ioe-0906-929443.\n" +
		"Again EAC2190012345; also ABC1234567890 and a phone 555 123 4567.\n"
	stdout, stderr, err := runImport(t, s, text, true)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	if !strings.Contains(stdout, "tracked 3 receipts (3 new)") {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
	// The server rejects nothing here, and no progress bar is drawn on a buffer.
	if stderr != "" {
		t.Errorf("stderr %q", stderr)
	}
}

func TestImportServerRejectsMatter(t *testing.T) {
	s := servertest.Start(t, nil)
	_, stderr, err := runImport(t, s, "receipt,matter\nEAC2190012345,mat_nope\nEAC2190012346,\n", false)
	if err == nil || !strings.Contains(stderr, "line 2: matter_id: no such matter") {
		t.Fatalf("err %v stderr %q", err, stderr)
	}
	if len(tracked(t, s)) != 1 {
		t.Fatal("the good row was not tracked")
	}
}
