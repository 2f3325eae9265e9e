// Package secretbox encrypts secrets at rest, such as webhook signing secrets, with
// AES-256-GCM under a keyring. Each sealed value names the key that sealed it, so a keyring
// may hold several keys: the first seals, every one opens. Rotating the key means putting a
// new key first, letting the service re-encrypt its rows (Keyring.Stale tells which), and
// later dropping the old key; at no point does a value become unreadable.
package secretbox

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

const version = 1

// ErrOpen means a sealed value could not be opened: unknown key, damage, or the wrong
// associated data.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Keyring holds the keys secrets are sealed and opened with.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// Parse reads a keyring from its text form: keys separated by commas or newlines, each
// "id:base64key" with a 32-byte key; the first is the primary. Lines starting with # are
// comments.
func Parse(text string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(text, ",", "\n")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := k.add(line); err != nil {
			return nil, err
		}
	}
	if k.primary == "" {
		return nil, errors.New("secretbox: no key given")
	}
	return k, nil
}

func (k *Keyring) add(entry string) error {
	id, b64, ok := strings.Cut(entry, ":")
	if !ok || id == "" || len(id) > 64 {
		return errors.New(`secretbox: a key is "id:base64key"`)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) != KeySize {
		return fmt.Errorf("secretbox: key %q is not %d bytes of base64", id, KeySize)
	}
	if _, dup := k.aeads[id]; dup {
		return fmt.Errorf("secretbox: key id %q given twice", id)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("secretbox: %w", err)
	}
	k.aeads[id] = aead
	if k.primary == "" {
		k.primary = id
	}
	return nil
}

// NewKey returns a fresh key entry in the "id:base64key" form Parse reads.
func NewKey() (string, error) {
	key := make([]byte, KeySize)
	idb := make([]byte, 4)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("secretbox: %w", err)
	}
	if _, err := rand.Read(idb); err != nil {
		return "", fmt.Errorf("secretbox: %w", err)
	}
	return "k" + hex.EncodeToString(idb) + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// Primary returns the id of the key that seals.
func (k *Keyring) Primary() string { return k.primary }

// Seal encrypts plaintext under the primary key. aad binds the value to its place, such
// as the id of the row holding it, so a sealed value copied elsewhere does not open.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := k.aeads[k.primary]
	head := append([]byte{version, byte(len(k.primary))}, k.primary...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	out := append(head, nonce...)
	return aead.Seal(out, nonce, plaintext, append(head[:len(head):len(head)], aad...)), nil
}

// Open decrypts a value sealed by any key of the ring with the same aad.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	id, rest, ok := split(sealed)
	if !ok {
		return nil, ErrOpen
	}
	aead := k.aeads[id]
	if aead == nil || len(rest) < aead.NonceSize() {
		return nil, ErrOpen
	}
	head := sealed[:2+len(id)]
	nonce, ct := rest[:aead.NonceSize()], rest[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, append(head[:len(head):len(head)], aad...))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Stale reports whether a sealed value was sealed by a key other than the primary and
// should be sealed again.
func (k *Keyring) Stale(sealed []byte) bool {
	id, _, ok := split(sealed)
	return !ok || id != k.primary
}

func split(sealed []byte) (string, []byte, bool) {
	if len(sealed) < 2 || sealed[0] != version || len(sealed) < 2+int(sealed[1]) {
		return "", nil, false
	}
	n := int(sealed[1])
	return string(sealed[2 : 2+n]), sealed[2+n:], true
}

// DefaultFile is the key file the embedded default keeps in the data directory.
const DefaultFile = "encryption.key"

// Source says where the keyring comes from, in order of precedence.
type Source struct {
	// Env is the value of CASEWIRE_ENCRYPTION_KEY, in Parse's form.
	Env string
	// File is a key file in Parse's form.
	File string
	// DataDir, when Env and File are empty, holds DefaultFile, created with a new key and
	// owner-only permissions if it does not exist.
	DataDir string
}

// Load returns the keyring its source names.
func Load(src Source) (*Keyring, error) {
	switch {
	case src.Env != "":
		return Parse(src.Env)
	case src.File != "":
		return readFile(src.File)
	case src.DataDir == "":
		return nil, errors.New("secretbox: no encryption key, key file or data directory")
	}
	path := filepath.Join(src.DataDir, DefaultFile)
	k, err := readFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := create(path); err != nil {
		return nil, err
	}
	return readFile(path)
}

func readFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file: %w", err)
	}
	return Parse(string(b))
}

func create(path string) error {
	key, err := NewKey()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("secretbox: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process made it first
	}
	if err != nil {
		return fmt.Errorf("secretbox: create key file: %w", err)
	}
	text := "# casewire encryption keys; the first seals. Keep a copy: without it secrets are lost.\n"
	if _, err := f.WriteString(text + key + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("secretbox: write key file: %w", err)
	}
	return f.Close()
}
