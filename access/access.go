// Package access owns tenants and their API keys: making keys, storing only their hashes,
// and turning a presented key into the principal a request acts as. The server calls it on
// every request before any handler runs.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/apikey"
)

// Scope is what a key may do; each scope includes the ones below it.
type Scope int

// The scopes, lowest first.
const (
	ScopeRead Scope = iota + 1
	ScopeWrite
	ScopeAdmin
)

// String returns the scope's stored name.
func (s Scope) String() string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeWrite:
		return "write"
	case ScopeAdmin:
		return "admin"
	}
	return "none"
}

// ParseScope reads a stored scope name.
func ParseScope(s string) (Scope, error) {
	for _, sc := range []Scope{ScopeRead, ScopeWrite, ScopeAdmin} {
		if sc.String() == s {
			return sc, nil
		}
	}
	return 0, fmt.Errorf("access: unknown scope %q", s)
}

// Allows reports whether a key of scope s may call a method needing need.
func (s Scope) Allows(need Scope) bool { return s >= need }

// Principal is who a request acts as.
type Principal struct {
	TenantID string
	KeyID    string
	Scope    Scope
}

// Errors callers branch on.
var (
	// ErrUnauthenticated means the key is missing, unknown, revoked or expired. The reason is
	// never told to the caller, so a probe learns nothing.
	ErrUnauthenticated = errors.New("access: invalid API key")
)

// keyPrefix starts every key, so a leaked key is recognisable by secret scanners.
const keyPrefix = "cw_"

// visibleLen is how much of a key is stored in clear for recognition and lookup.
const visibleLen = 12

// NewKey returns a fresh random key: "cw_" and 256 random bits in unpadded base64url.
func NewKey() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("access: random: %w", err)
	}
	return keyPrefix + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Hash is the stored form of a key.
func Hash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// Visible is the recognisable start of a key that is stored in clear.
func Visible(key string) string {
	if len(key) < visibleLen {
		return key
	}
	return key[:visibleLen]
}

// Keys issues and checks API keys.
type Keys struct {
	db  *ent.Client
	now func() time.Time
}

// NewKeys returns a key service on db.
func NewKeys(db *ent.Client) *Keys {
	return &Keys{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// Issue makes a key for a tenant and returns the stored row and the whole key, which is
// shown once and never again.
func (k *Keys) Issue(ctx context.Context, db *ent.Client, tenantID, name string, scope Scope,
	expire *time.Time) (*ent.APIKey, string, error) {
	key, err := NewKey()
	if err != nil {
		return nil, "", err
	}
	row, err := db.APIKey.Create().
		SetTenantID(tenantID).
		SetName(name).
		SetScope(scope.String()).
		SetPrefix(Visible(key)).
		SetHash(Hash(key)).
		SetNillableExpireTime(expire).
		Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("access: store key: %w", err)
	}
	return row, key, nil
}

// Authenticate finds the principal of a presented key. Revocation and expiry take effect
// at once, because every call reads the key's row.
func (k *Keys) Authenticate(ctx context.Context, presented string) (Principal, error) {
	presented = strings.TrimSpace(presented)
	if !strings.HasPrefix(presented, keyPrefix) || len(presented) < visibleLen+8 {
		return Principal{}, ErrUnauthenticated
	}
	rows, err := k.db.APIKey.Query().Where(apikey.Prefix(Visible(presented))).All(ctx)
	if err != nil {
		return Principal{}, fmt.Errorf("access: look up key: %w", err)
	}
	want := Hash(presented)
	for _, row := range rows {
		if subtle.ConstantTimeCompare(row.Hash, want) != 1 {
			continue
		}
		return k.principal(ctx, row)
	}
	return Principal{}, ErrUnauthenticated
}

func (k *Keys) principal(ctx context.Context, row *ent.APIKey) (Principal, error) {
	now := k.now()
	if row.RevokeTime != nil || (row.ExpireTime != nil && !now.Before(*row.ExpireTime)) {
		return Principal{}, ErrUnauthenticated
	}
	scope, err := ParseScope(row.Scope)
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	// Last use is kept to the minute, so a busy key does not write on every call.
	if row.LastUseTime == nil || now.Sub(*row.LastUseTime) > time.Minute {
		_ = k.db.APIKey.UpdateOneID(row.ID).SetLastUseTime(now.UTC()).Exec(ctx)
	}
	return Principal{TenantID: row.TenantID, KeyID: row.ID, Scope: scope}, nil
}
