package secretbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func ring(t *testing.T, entries ...string) *Keyring {
	t.Helper()
	text := ""
	for _, e := range entries {
		text += e + ","
	}
	k, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	a, _ := NewKey()
	k := ring(t, a)
	sealed, err := k.Seal([]byte("whsec_x"), []byte("whe_1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("whsec_x")) {
		t.Fatal("sealed value holds the plaintext")
	}
	pt, err := k.Open(sealed, []byte("whe_1"))
	if err != nil || string(pt) != "whsec_x" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := k.Open(sealed, []byte("whe_2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open with other aad = %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(sealed, []byte("whe_1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open of damaged value = %v", err)
	}
	if _, err := k.Open([]byte{1}, nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open of short value = %v", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, _ := NewKey()
	newKey, _ := NewKey()
	before := ring(t, oldKey)
	sealed, _ := before.Seal([]byte("s"), nil)
	after := ring(t, newKey, oldKey)
	if !after.Stale(sealed) || before.Stale(sealed) {
		t.Fatal("Stale does not follow the primary key")
	}
	pt, err := after.Open(sealed, nil)
	if err != nil || string(pt) != "s" {
		t.Fatalf("new ring cannot open old value: %v", err)
	}
	resealed, _ := after.Seal(pt, nil)
	if after.Stale(resealed) {
		t.Fatal("resealed value is stale")
	}
	if _, err := ring(t, newKey).Open(resealed, nil); err != nil {
		t.Fatalf("old key still needed after reseal: %v", err)
	}
	if _, err := ring(t, newKey).Open(sealed, nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("dropped key still opens: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	a, _ := NewKey()
	for _, bad := range []string{"", "# only a comment", "nokey", "k:short", a + "," + a} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestLoadDefaultCreatesOwnerOnlyFile(t *testing.T) {
	dir := t.TempDir()
	k1, err := Load(Source{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", info.Mode().Perm())
	}
	k2, err := Load(Source{DataDir: dir})
	if err != nil || k2.Primary() != k1.Primary() {
		t.Fatalf("second load made another key: %v", err)
	}
	env, _ := NewKey()
	k3, err := Load(Source{Env: env, DataDir: dir})
	if err != nil || k3.Primary() == k1.Primary() {
		t.Fatalf("environment key not preferred: %v", err)
	}
}
