package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casewire/casewire/gen/openapi"
	"github.com/casewire/casewire/server/servertest"
)

// The parts of a Swagger 2.0 document these tests read.
type apiDocument struct {
	Paths       map[string]map[string]apiOperation `json:"paths"`
	Definitions map[string]*apiSchema              `json:"definitions"`
}

type apiOperation struct {
	OperationID string `json:"operationId"`
	Responses   map[string]struct {
		Schema *apiSchema `json:"schema"`
	} `json:"responses"`
}

type apiSchema struct {
	Ref                  string                `json:"$ref"`
	Type                 string                `json:"type"`
	Format               string                `json:"format"`
	Properties           map[string]*apiSchema `json:"properties"`
	Items                *apiSchema            `json:"items"`
	Enum                 []string              `json:"enum"`
	AdditionalProperties any                   `json:"additionalProperties"`
}

func loadAPIDocument(t *testing.T) *apiDocument {
	t.Helper()
	var doc apiDocument
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("OpenAPI document lists no paths")
	}
	return &doc
}

// response returns the documented schema of an operation's answer with the given status
// ("200" or "default"), failing the test when the document lacks the operation.
func (d *apiDocument) response(t *testing.T, method, path, status string) *apiSchema {
	t.Helper()
	op, ok := d.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("OpenAPI document has no %s %s", method, path)
	}
	r, ok := op.Responses[status]
	if !ok || r.Schema == nil {
		t.Fatalf("%s %s documents no %s response schema", method, path, status)
	}
	return r.Schema
}

func (d *apiDocument) resolve(s *apiSchema) *apiSchema {
	for s != nil && s.Ref != "" {
		s = d.Definitions[strings.TrimPrefix(s.Ref, "#/definitions/")]
	}
	return s
}

// conform lists every way v differs from schema s. The server emits unpopulated fields,
// so every documented property of an object must be present, and nothing undocumented.
func (d *apiDocument) conform(at string, v any, s *apiSchema) []string {
	s = d.resolve(s)
	if s == nil {
		return []string{at + ": schema reference does not resolve"}
	}
	if v == nil {
		if s.Type == "object" || s.Type == "" || s.Format == "date-time" {
			return nil // an absent message or timestamp
		}
		return []string{fmt.Sprintf("%s: null, documented as %s", at, s.Type)}
	}
	switch s.Type {
	case "object", "":
		return d.conformObject(at, v, s)
	case "array":
		items, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, documented as array", at, v)}
		}
		var errs []string
		for i, item := range items {
			errs = append(errs, d.conform(fmt.Sprintf("%s[%d]", at, i), item, s.Items)...)
		}
		return errs
	}
	return conformScalar(at, v, s)
}

func (d *apiDocument) conformObject(at string, v any, s *apiSchema) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %T, documented as object", at, v)}
	}
	var errs []string
	for k, val := range obj {
		prop, ok := s.Properties[k]
		switch {
		case ok:
			errs = append(errs, d.conform(at+"."+k, val, prop)...)
		case s.AdditionalProperties == nil || s.AdditionalProperties == false:
			errs = append(errs, fmt.Sprintf("%s.%s: not documented", at, k))
		}
	}
	if s.AdditionalProperties == nil {
		for k := range s.Properties {
			if _, ok := obj[k]; !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: documented but absent", at, k))
			}
		}
	}
	return errs
}

func conformScalar(at string, v any, s *apiSchema) []string {
	var ok bool
	switch s.Type {
	case "string":
		var str string
		str, ok = v.(string)
		if ok && len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			return []string{fmt.Sprintf("%s: %q is not one of %v", at, str, s.Enum)}
		}
	case "integer":
		// protojson writes 64-bit integers as strings and smaller ones as numbers.
		if s.Format == "int64" || s.Format == "uint64" {
			_, ok = v.(string)
		} else {
			_, ok = v.(float64)
		}
	case "number":
		_, ok = v.(float64)
	case "boolean":
		_, ok = v.(bool)
	default:
		return []string{fmt.Sprintf("%s: documented with unknown type %q", at, s.Type)}
	}
	if !ok {
		return []string{fmt.Sprintf("%s: %T, documented as %s/%s", at, v, s.Type, s.Format)}
	}
	return nil
}

// callREST sends a JSON request and decodes the JSON answer.
func callREST(t *testing.T, s *servertest.Server, method, path, key, body string) (int, any) {
	t.Helper()
	var out any
	code := doJSON(t, s, method, path, key, body, &out)
	return code, out
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	s := servertest.Start(t, nil)
	code, body := callREST(t, s, http.MethodGet, "/openapi.json", "", "")
	if code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	var embedded any
	if err := json.Unmarshal(openapi.Document, &embedded); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(body) != fmt.Sprint(embedded) {
		t.Fatal("GET /openapi.json differs from the generated document")
	}
}

// TestOpenAPIAnswersMatchTheDocument calls documented operations and checks each answer
// against the documented schema, recursively.
func TestOpenAPIAnswersMatchTheDocument(t *testing.T) {
	s := servertest.Start(t, nil)
	doc := loadAPIDocument(t)
	check := func(method, docPath, path, body string, want int) any {
		t.Helper()
		code, out := callREST(t, s, method, path, s.Key, body)
		if code != want {
			t.Fatalf("%s %s: status %d, want %d: %v", method, path, code, want, out)
		}
		status := "200"
		if want != http.StatusOK {
			status = "default"
		}
		if errs := doc.conform("answer", out, doc.response(t, method, docPath, status)); len(errs) > 0 {
			t.Errorf("%s %s does not match the document:\n%s", method, path, strings.Join(errs, "\n"))
		}
		return out
	}
	check("POST", "/v1/status:classify", "/v1/status:classify", `{"title":"Case Was Approved"}`, 200)
	created := check("POST", "/v1/matters", "/v1/matters",
		`{"name":"Garcia H-1B","externalId":"ext-1"}`, 200)
	id, _ := created.(map[string]any)["matter"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("created matter has no id: %v", created)
	}
	check("GET", "/v1/matters/{id}", "/v1/matters/"+id, "", 200)
	list := check("GET", "/v1/matters", "/v1/matters?externalId=ext-1", "", 200)
	if n := len(list.(map[string]any)["matters"].([]any)); n != 1 {
		t.Fatalf("GET /v1/matters?externalId=ext-1 listed %d matters, want 1", n)
	}
	check("GET", "/v1/apiKeys", "/v1/apiKeys", "", 200)
	check("GET", "/v1/tenant", "/v1/tenant", "", 200)
	check("GET", "/v1/auditEntries", "/v1/auditEntries", "", 200)
	// Errors are documented as the default response.
	check("POST", "/v1/matters", "/v1/matters", `{"name":" "}`, http.StatusBadRequest)
	check("GET", "/v1/matters/{id}", "/v1/matters/mat_doesnotexist", "", http.StatusNotFound)
}

// probeGET sends a GET with the key and decodes the answer unless it is a success, whose
// body may be a stream that never ends. A stream that sends nothing before the deadline
// answers 0: an unknown route would have answered at once.
func probeGET(t *testing.T, s *servertest.Server, path string) (int, any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Key)
	res, err := s.HTTP.Do(req)
	if errors.Is(err, context.DeadlineExceeded) {
		return 0, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out any
	if res.StatusCode != http.StatusOK {
		_ = json.NewDecoder(res.Body).Decode(&out)
	}
	return res.StatusCode, out
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// fillPath puts plausible values into a documented path's parameters.
func fillPath(p string) string {
	return pathParam.ReplaceAllStringFunc(p, func(name string) string {
		if strings.Contains(strings.ToLower(name), "receipt") {
			return "IOE0912345678"
		}
		return "doesnotexist1"
	})
}

// TestEveryOpenAPIPathIsRouted calls every documented operation. Without a key each must
// answer 401 (the route exists and reached authentication); with a key a GET must answer
// something other than the unknown-route answer.
func TestEveryOpenAPIPathIsRouted(t *testing.T) {
	s := servertest.Start(t, nil)
	doc := loadAPIDocument(t)
	_, unknown := callREST(t, s, http.MethodGet, "/v1/noSuchCollection/x", s.Key, "")
	unknownBody := fmt.Sprint(unknown)
	for docPath, ops := range doc.Paths {
		path := fillPath(docPath)
		for method := range ops {
			method = strings.ToUpper(method)
			t.Run(method+" "+docPath, func(t *testing.T) {
				body := ""
				if method != http.MethodGet && method != http.MethodDelete {
					body = "{}"
				}
				code, out := callREST(t, s, method, path, "", body)
				if code != http.StatusUnauthorized {
					t.Errorf("%s %s without a key: %d %v, want 401", method, path, code, out)
				}
				if method != http.MethodGet {
					return
				}
				code, out = probeGET(t, s, path)
				if code == http.StatusNotFound && fmt.Sprint(out) == unknownBody {
					t.Errorf("GET %s answers like an unknown route: %v", path, out)
				}
			})
		}
	}
}
