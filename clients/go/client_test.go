package casewire_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	casewire "github.com/casewire/casewire/clients/go"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/server/servertest"
)

var protocols = []casewire.Protocol{
	casewire.ProtocolConnect, casewire.ProtocolGRPC, casewire.ProtocolGRPCWeb,
}

// TestEveryProtocolWithTheDefaultHTTPClient calls the working services over each protocol
// with the HTTP client New picks, and checks the server saw that protocol.
func TestEveryProtocolWithTheDefaultHTTPClient(t *testing.T) {
	s := servertest.Start(t, nil)
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			c := casewire.New(s.URL+"/", s.Key, casewire.WithProtocol(p))
			ctx := context.Background()
			classify(ctx, t, c)
			matters(ctx, t, c, p.String())
			keys(ctx, t, c)
			ten, err := c.Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{}))
			if err != nil || ten.Msg.GetTenant().GetId() != s.TenantID {
				t.Fatalf("GetTenant = %v, %v; want tenant %s", ten, err, s.TenantID)
			}
			want := "procedure=/casewire.v1.TenantService/GetTenant code=ok"
			if !hasLine(s.Logs.String(), want, "protocol="+p.String()+" ") {
				t.Fatalf("server did not log a %s call over %s:\n%s", want, p, s.Logs)
			}
		})
	}
}

func classify(ctx context.Context, t *testing.T, c *casewire.Client) {
	t.Helper()
	res, err := c.Classification.ClassifyStatus(ctx, connect.NewRequest(
		&casewirev1.ClassifyStatusRequest{Title: "Case Was Approved"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Msg.GetStatus().GetOutcome() != casewirev1.Outcome_OUTCOME_APPROVED {
		t.Fatalf("ClassifyStatus = %v", res.Msg)
	}
}

func matters(ctx context.Context, t *testing.T, c *casewire.Client, name string) {
	t.Helper()
	created, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "Garcia H-1B " + name, ExternalId: "ext-" + name},
	}))
	if err != nil {
		t.Fatal(err)
	}
	id := created.Msg.GetMatter().GetId()
	got, err := c.Matters.GetMatter(ctx, connect.NewRequest(&casewirev1.GetMatterRequest{Id: id}))
	if err != nil || got.Msg.GetMatter().GetExternalId() != "ext-"+name {
		t.Fatalf("GetMatter(%s) = %v, %v", id, got, err)
	}
	list, err := c.Matters.ListMatters(ctx, connect.NewRequest(
		&casewirev1.ListMattersRequest{ExternalId: "ext-" + name}))
	if err != nil || len(list.Msg.GetMatters()) != 1 || list.Msg.GetMatters()[0].GetId() != id {
		t.Fatalf("ListMatters = %v, %v; want only %s", list, err, id)
	}
}

func keys(ctx context.Context, t *testing.T, c *casewire.Client) {
	t.Helper()
	res, err := c.APIKeys.ListApiKeys(ctx, connect.NewRequest(&casewirev1.ListApiKeysRequest{}))
	if err != nil || len(res.Msg.GetApiKeys()) == 0 {
		t.Fatalf("ListApiKeys = %v, %v", res, err)
	}
	for _, k := range res.Msg.GetApiKeys() {
		if k.GetKey() != "" {
			t.Fatalf("ListApiKeys returned a secret for %s", k.GetId())
		}
	}
}

// hasLine reports whether one line of logs holds every part.
func hasLine(logs string, parts ...string) bool {
	for line := range strings.Lines(logs) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestAKeyOfAnotherTenantSeesOnlyItsOwn(t *testing.T) {
	s := servertest.Start(t, nil)
	otherID, otherKey := s.NewTenant(t, "Other Firm")
	ctx := context.Background()
	mine := casewire.New(s.URL, s.Key)
	if _, err := mine.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "Mine"},
	})); err != nil {
		t.Fatal(err)
	}
	other := casewire.New(s.URL, otherKey, casewire.WithProtocol(casewire.ProtocolGRPC))
	ten, err := other.Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{}))
	if err != nil || ten.Msg.GetTenant().GetId() != otherID {
		t.Fatalf("GetTenant = %v, %v; want %s", ten, err, otherID)
	}
	list, err := other.Matters.ListMatters(ctx, connect.NewRequest(&casewirev1.ListMattersRequest{}))
	if err != nil || len(list.Msg.GetMatters()) != 0 {
		t.Fatalf("other tenant's ListMatters = %v, %v; want none", list, err)
	}
}

func TestErrorsCarryTheRPCCode(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		key  string
		call func(*casewire.Client) error
		want connect.Code
	}{
		{"no key", "", getTenant, connect.CodeUnauthenticated},
		{"wrong key", "cw_not-a-real-key-000000000", getTenant, connect.CodeUnauthenticated},
		{"invalid argument", s.Key, func(c *casewire.Client) error {
			_, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
				Matter: &casewirev1.Matter{Name: " "},
			}))
			return err
		}, connect.CodeInvalidArgument},
		{"not found", s.Key, func(c *casewire.Client) error {
			_, err := c.Matters.GetMatter(ctx, connect.NewRequest(&casewirev1.GetMatterRequest{
				Id: "mat_doesnotexist",
			}))
			return err
		}, connect.CodeNotFound},
	}
	for _, tt := range tests {
		for _, p := range protocols {
			t.Run(tt.name+"/"+p.String(), func(t *testing.T) {
				err := tt.call(casewire.New(s.URL, tt.key, casewire.WithProtocol(p)))
				if connect.CodeOf(err) != tt.want {
					t.Fatalf("error %v, want code %v", err, tt.want)
				}
			})
		}
	}
}

func getTenant(c *casewire.Client) error {
	_, err := c.Tenant.GetTenant(context.Background(),
		connect.NewRequest(&casewirev1.GetTenantRequest{}))
	return err
}

func TestWithTimeoutBoundsUnaryCalls(t *testing.T) {
	s := servertest.Start(t, nil)
	slow := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	})}
	c := casewire.New(s.URL, s.Key, casewire.WithHTTPClient(slow),
		casewire.WithTimeout(50*time.Millisecond))
	start := time.Now()
	err := getTenant(c)
	if connect.CodeOf(err) != connect.CodeDeadlineExceeded {
		t.Fatalf("error %v, want deadline_exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("call took %v despite a 50ms timeout", d)
	}
	// A deadline set by the caller wins over the option.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	ctx, cancelNow := context.WithCancel(ctx)
	cancelNow()
	_, err = c.Tenant.GetTenant(ctx, connect.NewRequest(&casewirev1.GetTenantRequest{}))
	if connect.CodeOf(err) != connect.CodeCanceled {
		t.Fatalf("error %v, want canceled", err)
	}
}

func TestWithHTTPClientIsUsed(t *testing.T) {
	s := servertest.Start(t, nil)
	var calls atomic.Int32
	h := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return casewire.DefaultHTTPClient().Transport.RoundTrip(r)
	})}
	c := casewire.New(s.URL, s.Key,
		casewire.WithHTTPClient(h), casewire.WithProtocol(casewire.ProtocolGRPC))
	if err := getTenant(c); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("custom HTTP client saw %d requests, want 1", calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
