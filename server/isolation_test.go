package server_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/schedule"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
)

// isoEnv is the world an isolation row runs in: tenant A owns resources, tenant B calls.
type isoEnv struct {
	S    *servertest.Server
	A, B servertest.Clients
	// BKey is tenant B's admin key, for JSON calls.
	BKey string
}

// An isolationRow proves, for one RPC method, that tenant B cannot see or touch tenant A's
// resources: it creates A's resource with e.A, calls as e.B, and asserts NotFound or an
// empty answer. Rows register themselves by procedure, one file per service.
type isolationRow func(t *testing.T, e *isoEnv)

var (
	isolationMu   sync.Mutex
	isolationRows = map[string]isolationRow{}
)

func addIsolation(procedure string, row isolationRow) {
	isolationMu.Lock()
	defer isolationMu.Unlock()
	isolationRows[procedure] = row
}

// TestTenantIsolationEveryMethod walks every method of the API. A method with a row runs
// it; a method without one must still answer Unimplemented, so a new method cannot ship
// without proving its isolation.
func TestTenantIsolationEveryMethod(t *testing.T) {
	s := startWebhooks(t, true, func(o *server.Options) {
		o.Upstream = &schedule.Monitor{Store: o.Store, RequestsPerSecond: 10}
	})
	_, bKey := s.NewTenant(t, "Other Firm")
	env := &isoEnv{S: s, A: s.Clients(s.Key, "connect"), B: s.Clients(bKey, "grpc"), BKey: bKey}
	for _, procedure := range allProcedures() {
		t.Run(strings.TrimPrefix(procedure, "/casewire.v1."), func(t *testing.T) {
			if row, ok := isolationRows[procedure]; ok {
				row(t, env)
				return
			}
			err := callEmpty(s, bKey, procedure)
			if connect.CodeOf(err) != connect.CodeUnimplemented {
				t.Fatalf("%s has no isolation row but answers %v: add one", procedure, err)
			}
		})
	}
}

// allProcedures lists every RPC of casewire.v1 from the descriptors.
func allProcedures() []string {
	var out []string
	files := []protoreflect.FileDescriptor{
		casewirev1.File_casewire_v1_receipt_proto, casewirev1.File_casewire_v1_matter_proto,
		casewirev1.File_casewire_v1_event_proto, casewirev1.File_casewire_v1_webhook_proto,
		casewirev1.File_casewire_v1_classification_proto, casewirev1.File_casewire_v1_account_proto,
	}
	for _, f := range files {
		for i := 0; i < f.Services().Len(); i++ {
			svc := f.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				out = append(out, "/"+string(svc.FullName())+"/"+string(svc.Methods().Get(j).Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

// callEmpty calls a procedure with an empty request over Connect.
func callEmpty(s *servertest.Server, key, procedure string) error {
	name := strings.ReplaceAll(strings.TrimPrefix(procedure, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return err
	}
	md := d.(protoreflect.MethodDescriptor)
	client := connect.NewClient[dynamicpb.Message, dynamicpb.Message](s.HTTP, s.URL+procedure,
		connect.WithSchema(md), servertest.Auth(key),
		connect.WithResponseInitializer(func(_ connect.Spec, msg any) error {
			*(msg.(*dynamicpb.Message)) = *dynamicpb.NewMessage(md.Output())
			return nil
		}))
	req := connect.NewRequest(dynamicpb.NewMessage(md.Input()))
	ctx := context.Background()
	if md.IsStreamingServer() {
		stream, err := client.CallServerStream(ctx, req)
		if err != nil {
			return err
		}
		defer stream.Close()
		for stream.Receive() {
		}
		return stream.Err()
	}
	_, err = client.CallUnary(ctx, req)
	return err
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("error = %v, want NotFound", err)
	}
}

func init() {
	addIsolation("/casewire.v1.MatterService/CreateMatter", func(t *testing.T, e *isoEnv) {
		// Creating can touch nothing of A's; the new matter is B's alone.
		ctx := context.Background()
		res, err := e.B.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
			Matter: &casewirev1.Matter{Name: "B's", ExternalId: "iso-create"}}))
		if err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, getErr(e.A.Matters.GetMatter(ctx, connect.NewRequest(&casewirev1.GetMatterRequest{Id: res.Msg.GetMatter().GetId()}))))
	})
	addIsolation("/casewire.v1.MatterService/GetMatter", func(t *testing.T, e *isoEnv) {
		id := aMatter(t, e)
		wantNotFound(t, getErr(e.B.Matters.GetMatter(context.Background(), connect.NewRequest(&casewirev1.GetMatterRequest{Id: id}))))
		var out map[string]any
		if code := doJSON(t, e.S, http.MethodGet, "/v1/matters/"+id, e.BKey, "", &out); code != http.StatusNotFound {
			t.Fatalf("JSON GET of another tenant's matter: %d %v", code, out)
		}
	})
	addIsolation("/casewire.v1.MatterService/ListMatters", func(t *testing.T, e *isoEnv) {
		aMatter(t, e)
		res, err := e.B.Matters.ListMatters(context.Background(), connect.NewRequest(&casewirev1.ListMattersRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Msg.GetMatters() {
			if m.GetName() == "A's matter" {
				t.Fatal("B lists A's matter")
			}
		}
	})
	addIsolation("/casewire.v1.MatterService/UpdateMatter", func(t *testing.T, e *isoEnv) {
		id := aMatter(t, e)
		wantNotFound(t, getErr(e.B.Matters.UpdateMatter(context.Background(), connect.NewRequest(&casewirev1.UpdateMatterRequest{
			Matter: &casewirev1.Matter{Id: id, Name: "stolen"}}))))
	})
	addIsolation("/casewire.v1.MatterService/DeleteMatter", func(t *testing.T, e *isoEnv) {
		id := aMatter(t, e)
		ctx := context.Background()
		wantNotFound(t, getErr(e.B.Matters.DeleteMatter(ctx, connect.NewRequest(&casewirev1.DeleteMatterRequest{Id: id}))))
		if _, err := e.A.Matters.GetMatter(ctx, connect.NewRequest(&casewirev1.GetMatterRequest{Id: id})); err != nil {
			t.Fatalf("A's matter gone after B's delete: %v", err)
		}
	})
	addIsolation("/casewire.v1.ApiKeyService/GetApiKey", func(t *testing.T, e *isoEnv) {
		id := aKey(t, e)
		wantNotFound(t, getErr(e.B.APIKeys.GetApiKey(context.Background(), connect.NewRequest(&casewirev1.GetApiKeyRequest{Id: id}))))
	})
	addIsolation("/casewire.v1.ApiKeyService/RevokeApiKey", func(t *testing.T, e *isoEnv) {
		id := aKey(t, e)
		wantNotFound(t, getErr(e.B.APIKeys.RevokeApiKey(context.Background(), connect.NewRequest(&casewirev1.RevokeApiKeyRequest{Id: id}))))
	})
	addIsolation("/casewire.v1.ApiKeyService/CreateApiKey", func(t *testing.T, e *isoEnv) {
		res, err := e.B.APIKeys.CreateApiKey(context.Background(), connect.NewRequest(&casewirev1.CreateApiKeyRequest{
			ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_READ}}))
		if err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, getErr(e.A.APIKeys.GetApiKey(context.Background(), connect.NewRequest(&casewirev1.GetApiKeyRequest{Id: res.Msg.GetApiKey().GetId()}))))
	})
	addIsolation("/casewire.v1.ApiKeyService/ListApiKeys", func(t *testing.T, e *isoEnv) {
		id := aKey(t, e)
		res, err := e.B.APIKeys.ListApiKeys(context.Background(), connect.NewRequest(&casewirev1.ListApiKeysRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range res.Msg.GetApiKeys() {
			if k.GetId() == id {
				t.Fatal("B lists A's key")
			}
		}
	})
	addIsolation("/casewire.v1.AuditService/ListAuditEntries", func(t *testing.T, e *isoEnv) {
		aMatter(t, e) // an audited mutation of A's
		res, err := e.B.Audit.ListAuditEntries(context.Background(), connect.NewRequest(&casewirev1.ListAuditEntriesRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		resA, err := e.A.Audit.ListAuditEntries(context.Background(), connect.NewRequest(&casewirev1.ListAuditEntriesRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range resA.Msg.GetAuditEntries() {
			seen[a.GetId()] = true
		}
		for _, b := range res.Msg.GetAuditEntries() {
			if seen[b.GetId()] {
				t.Fatalf("B sees A's audit entry %s", b.GetId())
			}
		}
	})
	addIsolation("/casewire.v1.TenantService/GetTenant", func(t *testing.T, e *isoEnv) {
		a, err := e.A.Tenant.GetTenant(context.Background(), connect.NewRequest(&casewirev1.GetTenantRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.B.Tenant.GetTenant(context.Background(), connect.NewRequest(&casewirev1.GetTenantRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if a.Msg.GetTenant().GetId() == b.Msg.GetTenant().GetId() {
			t.Fatal("two keys of two tenants answer the same tenant")
		}
	})
	addIsolation("/casewire.v1.UpstreamService/GetUpstreamStatus", func(t *testing.T, e *isoEnv) {
		// The USCIS connection is shared: every firm sees the same aggregate answer, which
		// names no tenant, receipt or matter.
		a, err := e.A.Upstream.GetUpstreamStatus(context.Background(), connect.NewRequest(&casewirev1.GetUpstreamStatusRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.B.Upstream.GetUpstreamStatus(context.Background(), connect.NewRequest(&casewirev1.GetUpstreamStatusRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if a.Msg.GetQuotaLimit() != b.Msg.GetQuotaLimit() {
			t.Fatal("two tenants see different upstream answers")
		}
	})
	addIsolation("/casewire.v1.ClassificationService/ClassifyStatus", func(t *testing.T, e *isoEnv) {
		// Stateless: it reads no tenant data, so there is nothing to leak.
		if _, err := e.B.Classification.ClassifyStatus(context.Background(), connect.NewRequest(&casewirev1.ClassifyStatusRequest{Title: "Case Was Received"})); err != nil {
			t.Fatal(err)
		}
	})
}

func aMatter(t *testing.T, e *isoEnv) string {
	t.Helper()
	res, err := e.A.Matters.CreateMatter(context.Background(), connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "A's matter"}}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg.GetMatter().GetId()
}

func aKey(t *testing.T, e *isoEnv) string {
	t.Helper()
	res, err := e.A.APIKeys.CreateApiKey(context.Background(), connect.NewRequest(&casewirev1.CreateApiKeyRequest{
		ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_READ}}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg.GetApiKey().GetId()
}

// getErr keeps the error of a call whose answer a row does not need.
func getErr[T any](_ T, err error) error { return err }

// mutations are the procedures that change something: every one but the reads.
func mutations() []string {
	var out []string
	for _, p := range allProcedures() {
		method := p[strings.LastIndex(p, "/")+1:]
		read := false
		for _, prefix := range []string{"Get", "List", "Watch", "Export", "Classify"} {
			read = read || strings.HasPrefix(method, prefix)
		}
		if !read {
			out = append(out, p)
		}
	}
	return out
}

// TestReadKeyCannotMutateAndEveryMutationIsAudited walks every mutating method: a read-only
// key is refused before the handler runs, and an admin key's call, whatever its outcome,
// leaves an audit entry naming the method.
func TestReadKeyCannotMutateAndEveryMutationIsAudited(t *testing.T) {
	s := startWebhooks(t, true)
	ctx := context.Background()
	admin := s.Clients(s.Key, "connect")
	res, err := admin.APIKeys.CreateApiKey(ctx, connect.NewRequest(&casewirev1.CreateApiKeyRequest{
		ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_READ}}))
	if err != nil {
		t.Fatal(err)
	}
	readKey := res.Msg.GetApiKey().GetKey()
	muts := mutations()
	if len(muts) < 15 {
		t.Fatalf("only %d mutating methods found", len(muts))
	}
	for _, p := range muts {
		if err := callEmpty(s, readKey, p); connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Errorf("%s with a read key: %v, want PermissionDenied", p, err)
		}
		_ = callEmpty(s, s.Key, p)
	}
	audit, err := admin.Audit.ListAuditEntries(ctx, connect.NewRequest(&casewirev1.ListAuditEntriesRequest{PageSize: 1000}))
	if err != nil {
		t.Fatal(err)
	}
	seen, denied := map[string]bool{}, map[string]bool{}
	for _, e := range audit.Msg.GetAuditEntries() {
		seen["/"+e.GetAction()] = true
		if e.GetOutcome() == "permission_denied" {
			denied["/"+e.GetAction()] = true
		}
	}
	for _, p := range muts {
		if !seen[p] || !denied[p] {
			t.Errorf("%s: audited %v, refusal audited %v", p, seen[p], denied[p])
		}
	}
}
