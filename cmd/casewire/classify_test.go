package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// classifyOutput is the JSON the classify command prints, with action_required as a pointer
// so a missing field fails the test.
type classifyOutput struct {
	Category       string `json:"category"`
	Outcome        string `json:"outcome"`
	ActionRequired *bool  `json:"action_required"`
	Match          string `json:"match"`
	CanonicalTitle string `json:"canonical_title"`
	FormType       string `json:"form_type"`
	TitleES        string `json:"title_es"`
}

func runClassify(t *testing.T, stdin string, args ...string) []classifyOutput {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"classify"}, args...)
	if err := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr); err != nil {
		t.Fatalf("run %q: %v\nstderr: %s", args, err, stderr.String())
	}
	var out []classifyOutput
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var o classifyOutput
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		if o.ActionRequired == nil {
			t.Fatalf("action_required missing")
		}
		out = append(out, o)
	}
	return out
}

func TestClassifyTitle(t *testing.T) {
	out := runClassify(t, "", "--title", "Case Was Approved.",
		"--description", "On May 1, we approved your Form I-130, Petition for Alien Relative.")
	if len(out) != 1 {
		t.Fatalf("got %d objects", len(out))
	}
	o := out[0]
	if o.Category != "decision" || o.Outcome != "approved" || *o.ActionRequired || o.Match != "exact" ||
		o.CanonicalTitle != "Case Was Approved" || o.FormType != "I-130" || o.TitleES != "Caso Fue Aprobado" {
		t.Errorf("got %+v", o)
	}
}

func TestClassifyStdin(t *testing.T) {
	in := "Notice of Intent to Deny Was Mailed\nExpedite Request Was Denied\nSomething Unheard Of\n"
	out := runClassify(t, in, "--form-type", "I-485")
	want := []struct {
		category, outcome, match string
		action                   bool
	}{
		{"evidence_request", "none", "exact", true},
		{"notice", "none", "pattern", false},
		{"unknown", "none", "none", false},
	}
	if len(out) != len(want) {
		t.Fatalf("got %d objects, want %d", len(out), len(want))
	}
	for i, w := range want {
		o := out[i]
		if o.Category != w.category || o.Outcome != w.outcome || o.Match != w.match ||
			*o.ActionRequired != w.action || o.FormType != "I-485" {
			t.Errorf("line %d = %+v, want %+v", i+1, o, w)
		}
	}
}

func TestClassifyOverrides(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overrides.tsv")
	tsv := "title\tcategory\toutcome\taction_required\nSomething Unheard Of\treview\tnone\ttrue\n"
	if err := os.WriteFile(path, []byte(tsv), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runClassify(t, "", "--overrides", path, "--title", "something unheard of")
	if o := out[0]; o.Category != "review" || !*o.ActionRequired || o.Match != "exact" ||
		o.CanonicalTitle != "Something Unheard Of" {
		t.Errorf("got %+v", o)
	}
}

func TestClassifyBadOverrides(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overrides.tsv")
	tsv := "title\tcategory\toutcome\taction_required\nX\tdecided\tnone\ttrue\n"
	if err := os.WriteFile(path, []byte(tsv), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"classify", "--overrides", path, "--title", "X"},
		strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `line 2: unknown category "decided"`) {
		t.Errorf("error = %v", err)
	}
}
