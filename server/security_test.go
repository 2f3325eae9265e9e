package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/auditentry"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
)

func TestTLSServesEveryProtocolOnOnePort(t *testing.T) {
	cert := selfSigned(t)
	s := servertest.Start(t, func(o *server.Options) {
		o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	})
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL = %s", s.URL)
	}
	for name := range servertest.Protocols {
		c := s.Clients(s.Key, name)
		if _, err := c.Tenant.GetTenant(context.Background(), connect.NewRequest(&casewirev1.GetTenantRequest{})); err != nil {
			t.Fatalf("%s over TLS: %v", name, err)
		}
	}
	// The JSON facade reaches the RPC handlers over TLS too.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/tenant", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	res, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Test Firm") {
		t.Fatalf("JSON over TLS: %d %s", res.StatusCode, body)
	}
}

func TestExpiredKeyIsUnauthenticated(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	admin := s.Clients(s.Key, "connect")
	res, err := admin.APIKeys.CreateApiKey(ctx, connect.NewRequest(&casewirev1.CreateApiKeyRequest{
		ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_READ,
			ExpireTime: timestamppb.New(time.Now().Add(1500 * time.Millisecond))},
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Clients(res.Msg.GetApiKey().GetKey(), "grpc")
	if _, err := c.Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{})); err != nil {
		t.Fatalf("fresh key refused: %v", err)
	}
	time.Sleep(1600 * time.Millisecond)
	_, err = c.Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)

	_, err = admin.APIKeys.CreateApiKey(ctx, connect.NewRequest(&casewirev1.CreateApiKeyRequest{
		ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_READ,
			ExpireTime: timestamppb.New(time.Now().Add(-time.Hour))},
	}))
	wantCode(t, err, connect.CodeInvalidArgument)
}

func TestPerKeyRateLimitAnswersResourceExhaustedWithARetryHint(t *testing.T) {
	s := servertest.Start(t, func(o *server.Options) {
		o.RequestsPerSecond, o.Burst = 1, 3
	})
	ctx := context.Background()
	c := s.Clients(s.Key, "connect")
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = c.Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{}))
	}
	wantCode(t, err, connect.CodeResourceExhausted)
	var cerr *connect.Error
	if !asConnect(err, &cerr) {
		t.Fatal("not a connect error")
	}
	var hint bool
	for _, d := range cerr.Details() {
		if v, derr := d.Value(); derr == nil {
			if ri, ok := v.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
				hint = true
			}
		}
	}
	if !hint {
		t.Fatalf("no RetryInfo detail in %v", err)
	}
	// Another tenant's key has its own budget.
	_, other := s.NewTenant(t, "Other")
	if _, err := s.Clients(other, "connect").Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{})); err != nil {
		t.Fatalf("another key was limited too: %v", err)
	}
	// The JSON path answers 429 with Retry-After.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/tenant", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("JSON status %d, want 429", res.StatusCode)
	}
}

func asConnect(err error, target **connect.Error) bool {
	ce, ok := err.(*connect.Error)
	if ok {
		*target = ce
	}
	return ok
}

// selfSigned makes a certificate for 127.0.0.1 for the test's TLS server.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "casewire test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestScopeRefusalsAreRateLimitedBeforeTheyAreAudited: a read-only key calling a mutation
// over and over is refused for its scope only as often as its rate allows, so its refusals
// leave at most a burst of audit entries.
func TestScopeRefusalsAreRateLimitedBeforeTheyAreAudited(t *testing.T) {
	s := servertest.Start(t, func(o *server.Options) {
		o.RequestsPerSecond, o.Burst = 0.001, 3
	})
	ctx := context.Background()
	res, err := s.Clients(s.Key, "connect").APIKeys.CreateApiKey(ctx, connect.NewRequest(
		&casewirev1.CreateApiKeyRequest{ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_READ}}))
	if err != nil {
		t.Fatal(err)
	}
	reader := s.Clients(res.Msg.GetApiKey().GetKey(), "connect")
	codes := map[connect.Code]int{}
	for range 10 {
		_, err := reader.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
			Matter: &casewirev1.Matter{Name: "x"}}))
		codes[connect.CodeOf(err)]++
	}
	if codes[connect.CodePermissionDenied] > 3 || codes[connect.CodeResourceExhausted] < 7 {
		t.Fatalf("answers %v, want at most the burst of 3 refused for scope", codes)
	}
	n := s.Store.Ent.AuditEntry.Query().Where(auditentry.ActionContains("CreateMatter")).CountX(ctx)
	if n > 3 {
		t.Fatalf("%d audit entries for a key held to a burst of 3", n)
	}
}

// TestForwardedAddressIsTheFacadesOwn: through the JSON facade, the audited client address
// is the one the facade saw, not one the caller put in X-Forwarded-For.
func TestForwardedAddressIsTheFacadesOwn(t *testing.T) {
	s := servertest.Start(t, nil)
	res, e := createMatterJSON(t, s, "X-Forwarded-For", "203.0.113.66")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if e.PeerAddress != "127.0.0.1" {
		t.Fatalf("audited address %q, want the facade's peer 127.0.0.1", e.PeerAddress)
	}
}

// TestJSONCallsKeepTheCallersRequestID: a request id sent to the JSON facade reaches the
// audit log and comes back as X-Request-Id, as on every other protocol.
func TestJSONCallsKeepTheCallersRequestID(t *testing.T) {
	s := servertest.Start(t, nil)
	res, e := createMatterJSON(t, s, "X-Request-Id", "mine-123")
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") != "mine-123" {
		t.Fatalf("status %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	if e.RequestID != "mine-123" {
		t.Fatalf("audited request id %q", e.RequestID)
	}
}

// createMatterJSON creates a matter through the JSON facade with one extra header and
// returns the answer and the call's audit entry.
func createMatterJSON(t *testing.T, s *servertest.Server, header, value string) (*http.Response, *ent.AuditEntry) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/matters", strings.NewReader(`{"name":"Doe"}`))
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set(header, value)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	e, err := s.Store.Ent.AuditEntry.Query().Where(auditentry.ActionContains("CreateMatter")).Only(context.Background())
	if err != nil {
		t.Fatalf("the call's audit entry: %v", err)
	}
	return res, e
}
