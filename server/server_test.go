package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/server/servertest"
)

func TestEveryProtocolAnswersOnOnePort(t *testing.T) {
	s := servertest.Start(t, nil)
	for name := range servertest.Protocols {
		t.Run(name, func(t *testing.T) {
			c := s.Clients(s.Key, name)
			res, err := c.Classification.ClassifyStatus(context.Background(),
				connect.NewRequest(&casewirev1.ClassifyStatusRequest{Title: "Case Was Approved"}))
			if err != nil {
				t.Fatal(err)
			}
			st := res.Msg.GetStatus()
			if st.GetCategory() != casewirev1.Category_CATEGORY_DECISION ||
				st.GetOutcome() != casewirev1.Outcome_OUTCOME_APPROVED {
				t.Fatalf("status = %v", st)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		var out map[string]any
		code := doJSON(t, s, http.MethodPost, "/v1/status:classify", s.Key,
			`{"title":"Request for Evidence Was Sent"}`, &out)
		if code != http.StatusOK {
			t.Fatalf("status %d: %v", code, out)
		}
		st := out["status"].(map[string]any)
		if st["category"] != "CATEGORY_EVIDENCE_REQUEST" || st["actionRequired"] != true {
			t.Fatalf("status = %v", st)
		}
	})
}

func TestJSONPassesTheSameAuthValidationAndMetrics(t *testing.T) {
	s := servertest.Start(t, nil)
	var out map[string]any
	if code := doJSON(t, s, http.MethodGet, "/v1/matters", "", "", &out); code != http.StatusUnauthorized {
		t.Fatalf("no key: status %d, want 401", code)
	}
	if code := doJSON(t, s, http.MethodGet, "/v1/matters", "cw_not-a-real-key-000000000", "", &out); code != http.StatusUnauthorized {
		t.Fatalf("bad key: status %d, want 401", code)
	}
	code := doJSON(t, s, http.MethodPost, "/v1/matters", s.Key, `{"name":"  "}`, &out)
	if code != http.StatusBadRequest || !strings.Contains(out["message"].(string), "matter.name") {
		t.Fatalf("invalid matter: %d %v", code, out)
	}
	details, _ := out["details"].([]any)
	if len(details) == 0 || !strings.Contains(toJSON(details), `"field":"matter.name"`) {
		t.Fatalf("details = %v, want a field violation for matter.name", details)
	}
	// The JSON call went through the RPC interceptors: it is logged and counted as such.
	if !strings.Contains(s.Logs.String(), "procedure=/casewire.v1.MatterService/CreateMatter code=invalid_argument") {
		t.Fatalf("JSON call not logged by the RPC path:\n%s", s.Logs)
	}
	metrics := get(t, s, "/metrics")
	if !strings.Contains(metrics, `casewire_rpc_requests_total{code="invalid_argument",procedure="/casewire.v1.MatterService/CreateMatter"} 1`) {
		t.Fatalf("JSON call not counted:\n%s", grepLines(metrics, "casewire_rpc_requests_total"))
	}
}

func TestOperatorEndpoints(t *testing.T) {
	s := servertest.Start(t, nil)
	for path, want := range map[string]string{
		"/healthz":      `"ok"`,
		"/readyz":       `"ready"`,
		"/metrics":      "go_goroutines",
		"/openapi.json": `"/v1/receipts/{receiptNumber}"`,
	} {
		body := get(t, s, path)
		if path == "/metrics" {
			want = "casewire_rpc_requests_total"
			doJSON(t, s, http.MethodGet, "/v1/tenant", s.Key, "", nil)
			body = get(t, s, path)
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s: %q not in %.300s", path, want, body)
		}
	}
}

func TestUnknownRouteAnswers404JSON(t *testing.T) {
	s := servertest.Start(t, nil)
	for _, path := range []string{"/nope", "/v1/nope", "/casewire.v1.Nope/Nope"} {
		var out map[string]any
		code := doJSON(t, s, http.MethodGet, path, s.Key, "", &out)
		if code != http.StatusNotFound || out["message"] == nil {
			t.Errorf("GET %s: %d %v, want 404 with a JSON message", path, code, out)
		}
	}
}

func TestWrongMethodAnswers405JSON(t *testing.T) {
	s := servertest.Start(t, nil)
	var out map[string]any
	code := doJSON(t, s, http.MethodDelete, "/v1/receipts", s.Key, "", &out)
	if code != http.StatusMethodNotAllowed || out["message"] == nil {
		t.Fatalf("DELETE /v1/receipts: %d %v, want 405 with a JSON message", code, out)
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	s := servertest.Start(t, nil)
	big := `{"title":"` + strings.Repeat("a", 5<<20) + `"}`
	code := doJSON(t, s, http.MethodPost, "/v1/status:classify", s.Key, big, nil)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("JSON: status %d, want 413", code)
	}
	c := s.Clients(s.Key, "grpc")
	_, err := c.Classification.ClassifyStatus(context.Background(),
		connect.NewRequest(&casewirev1.ClassifyStatusRequest{Title: strings.Repeat("a", 5<<20)}))
	if err == nil {
		t.Fatal("gRPC: oversized message accepted")
	}
}

func TestHealthAndReflection(t *testing.T) {
	s := servertest.Start(t, nil)
	conn, err := grpc.NewClient(strings.TrimPrefix(s.URL, "http://"),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", hc, err)
	}
	stream, err := reflectpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectpb.ServerReflectionRequest{
		MessageRequest: &reflectpb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range res.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	if !strings.Contains(strings.Join(names, ","), "casewire.v1.ReceiptService") {
		t.Fatalf("reflection lists %v", names)
	}
	// The Connect health client, over HTTP/1.1, agrees.
	status, err := grpchealth.NewClient(http.DefaultClient, s.URL).Check(ctx,
		&grpchealth.CheckRequest{Service: "casewire.v1.ReceiptService"})
	if err != nil || status.Status != grpchealth.StatusServing {
		t.Fatalf("connect health = %v, %v", status, err)
	}
}

func TestScopesAndRevocation(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	admin := s.Clients(s.Key, "connect")
	mk := func(scope casewirev1.Scope) (string, string) {
		res, err := admin.APIKeys.CreateApiKey(ctx, connect.NewRequest(&casewirev1.CreateApiKeyRequest{
			ApiKey: &casewirev1.ApiKey{Name: scope.String(), Scope: scope},
		}))
		if err != nil {
			t.Fatal(err)
		}
		if k := res.Msg.GetApiKey().GetKey(); !strings.HasPrefix(k, res.Msg.GetApiKey().GetPrefix()) {
			t.Fatalf("key %q does not start with its prefix %q", k, res.Msg.GetApiKey().GetPrefix())
		}
		return res.Msg.GetApiKey().GetId(), res.Msg.GetApiKey().GetKey()
	}
	readID, readKey := mk(casewirev1.Scope_SCOPE_READ)
	_, writeKey := mk(casewirev1.Scope_SCOPE_WRITE)
	reader, writer := s.Clients(readKey, "grpc"), s.Clients(writeKey, "grpcweb")

	if _, err := reader.Matters.ListMatters(ctx, connect.NewRequest(&casewirev1.ListMattersRequest{})); err != nil {
		t.Fatalf("read key cannot read: %v", err)
	}
	_, err := reader.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "x"}}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = writer.APIKeys.ListApiKeys(ctx, connect.NewRequest(&casewirev1.ListApiKeysRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = writer.Audit.ListAuditEntries(ctx, connect.NewRequest(&casewirev1.ListAuditEntriesRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)

	// Listing never shows a key's secret part.
	list, err := admin.APIKeys.ListApiKeys(ctx, connect.NewRequest(&casewirev1.ListApiKeysRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list.Msg.GetApiKeys() {
		if k.GetKey() != "" {
			t.Fatalf("listed key %s carries its secret", k.GetId())
		}
	}
	// Revocation takes effect on the next request.
	if _, err := admin.APIKeys.RevokeApiKey(ctx, connect.NewRequest(&casewirev1.RevokeApiKeyRequest{Id: readID})); err != nil {
		t.Fatal(err)
	}
	_, err = reader.Matters.ListMatters(ctx, connect.NewRequest(&casewirev1.ListMattersRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
}

func TestAuditRecordsMutationsWithOutcome(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	c := s.Clients(s.Key, "connect")
	if _, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "Doe"}})); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{}))
	doJSON(t, s, http.MethodGet, "/v1/matters", s.Key, "", nil) // a read: not audited
	res, err := c.Audit.ListAuditEntries(ctx, connect.NewRequest(&casewirev1.ListAuditEntriesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Msg.GetAuditEntries() {
		got = append(got, e.GetAction()+" "+e.GetOutcome())
		if e.GetAction() == "cli/tenant.create" {
			continue
		}
		if e.GetApiKeyId() == "" || e.GetRequestId() == "" || e.GetPeerAddress() == "" {
			t.Errorf("entry lacks who/where: %v", e)
		}
	}
	want := []string{
		"casewire.v1.MatterService/CreateMatter invalid_argument",
		"casewire.v1.MatterService/CreateMatter ok",
		"cli/tenant.create ok",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit = %v, want %v", got, want)
	}
}

func wantCode(t *testing.T, err error, code connect.Code) {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Fatalf("error = %v, want code %v", err, code)
	}
}

func doJSON(t *testing.T, s *servertest.Server, method, path, key, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v: %.200s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

func get(t *testing.T, s *servertest.Server, path string) string {
	t.Helper()
	res, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestBadURLsAndTokensAreInvalidArgument(t *testing.T) {
	s := servertest.Start(t, nil)
	for _, path := range []string{
		"/v1/matters?pageToken=garbage", "/v1/receipts?pageToken=garbage",
		"/v1/apiKeys?pageToken=" + "ZXZ0XzE", "/v1/auditEntries?pageToken=garbage",
		"/v1/receipts?pageToken=%ff", "/v1/matters?externalId=%ff%fe", "/v1/receipts/EAC%ff",
		"/v1/events?pageToken=%00%ff",
	} {
		var out map[string]any
		code := doJSON(t, s, http.MethodGet, path, s.Key, "", &out)
		msg, _ := out["message"].(string)
		if code != http.StatusBadRequest || msg == "" {
			t.Errorf("GET %s: %d %v, want 400 naming the parameter", path, code, out)
		}
	}
	// A token from an answer still works.
	c := s.Clients(s.Key, "connect")
	ctx := context.Background()
	for range 3 {
		if _, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
			Matter: &casewirev1.Matter{Name: "m"}})); err != nil {
			t.Fatal(err)
		}
	}
	first, err := c.Matters.ListMatters(ctx, connect.NewRequest(&casewirev1.ListMattersRequest{PageSize: 2}))
	if err != nil || first.Msg.GetNextPageToken() == "" {
		t.Fatalf("first page: %v %v", first, err)
	}
	second, err := c.Matters.ListMatters(ctx, connect.NewRequest(&casewirev1.ListMattersRequest{
		PageSize: 2, PageToken: first.Msg.GetNextPageToken()}))
	if err != nil || len(second.Msg.GetMatters()) != 1 || second.Msg.GetNextPageToken() != "" {
		t.Fatalf("second page: %v %v", second, err)
	}
}

func TestBearerSchemeIsCaseInsensitiveAndCreatesAreAuditedByTheirNewID(t *testing.T) {
	s := servertest.Start(t, nil)
	var out map[string]any
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/matters", strings.NewReader(`{"name":"Doe"}`))
	req.Header.Set("Authorization", "bearer "+s.Key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("lower-case bearer: %d %v", res.StatusCode, out)
	}
	id := out["matter"].(map[string]any)["id"].(string)
	audit, err := s.Clients(s.Key, "connect").Audit.ListAuditEntries(context.Background(),
		connect.NewRequest(&casewirev1.ListAuditEntriesRequest{Action: "CreateMatter"}))
	if err != nil || len(audit.Msg.GetAuditEntries()) != 1 || audit.Msg.GetAuditEntries()[0].GetResource() != id {
		t.Fatalf("audit = %v, %v; want the new matter %s as resource", audit, err, id)
	}
}

func TestTheLastAdminKeyCannotBeRevoked(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	c := s.Clients(s.Key, "connect")
	keys, err := c.APIKeys.ListApiKeys(ctx, connect.NewRequest(&casewirev1.ListApiKeysRequest{}))
	if err != nil || len(keys.Msg.GetApiKeys()) != 1 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	first := keys.Msg.GetApiKeys()[0].GetId()
	_, err = c.APIKeys.RevokeApiKey(ctx, connect.NewRequest(&casewirev1.RevokeApiKeyRequest{Id: first}))
	wantCode(t, err, connect.CodeFailedPrecondition)
	// With a second admin key, the first can go.
	if _, err := c.APIKeys.CreateApiKey(ctx, connect.NewRequest(&casewirev1.CreateApiKeyRequest{
		ApiKey: &casewirev1.ApiKey{Scope: casewirev1.Scope_SCOPE_ADMIN}})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.APIKeys.RevokeApiKey(ctx, connect.NewRequest(&casewirev1.RevokeApiKeyRequest{Id: first})); err != nil {
		t.Fatalf("revoke with another admin key present: %v", err)
	}
}
