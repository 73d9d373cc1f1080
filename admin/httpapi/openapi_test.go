package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// operation is what the test reads of an OpenAPI operation.
type operation struct {
	Summary    string           `json:"summary"`
	Access     string           `json:"x-access"`
	Permission string           `json:"x-permission"`
	ProvidedBy string           `json:"x-provided-by"`
	Security   *[]any           `json:"security"`
	Parameters []map[string]any `json:"parameters"`
}

// openAPIOperations reads the served JSON document: "METHOD /path" →
// operation, and the path-level parameters by path.
func openAPIOperations(t *testing.T, doc []byte) (map[string]operation, map[string][]map[string]any) {
	t.Helper()
	var d struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Fatalf("openapi = %q", d.OpenAPI)
	}
	ops := map[string]operation{}
	pathParams := map[string][]map[string]any{}
	for path, item := range d.Paths {
		for method, raw := range item {
			if method == "parameters" {
				var ps []map[string]any
				if err := json.Unmarshal(raw, &ps); err != nil {
					t.Fatal(err)
				}
				pathParams[path] = ps
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return ops, pathParams
}

// TestOpenAPIMatchesRoutes: the document describes exactly the routes the
// Handler serves, with the same summary and access, and declares every
// path parameter.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newServer(t, nil, nil)
	r := s.anon.Do("GET", "/v1/openapi.json", nil).Must(t, 200, nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	ops, pathParams := openAPIOperations(t, r.Body)
	routes := map[string]httpapi.Route{}
	for _, rt := range s.h.Routes() {
		routes[rt.Method+" "+rt.Pattern] = rt
	}
	for key, op := range ops {
		if op.ProvidedBy != "" {
			continue // served only when that package's routes are added (tested there)
		}
		if _, ok := routes[key]; !ok {
			t.Errorf("the document has %s, which the Handler does not serve", key)
		}
	}
	wildcard := regexp.MustCompile(`\{([A-Za-z]+)\}`)
	for key, rt := range routes {
		op, ok := ops[key]
		if !ok {
			t.Errorf("route %s is missing from openapi.yaml", key)
			continue
		}
		if op.Summary != rt.Summary {
			t.Errorf("%s: summary %q in the document, %q in the route table", key, op.Summary, rt.Summary)
		}
		if op.Access != rt.Access.String() || op.Permission != string(rt.Permission) {
			t.Errorf("%s: x-access %q x-permission %q, route table %s %q", key, op.Access, op.Permission, rt.Access, rt.Permission)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Access == httpapi.AccessPublic) {
			t.Errorf("%s: security: [] must mark exactly the public routes", key)
		}
		declared := map[string]bool{}
		for _, p := range append(pathParams[rt.Pattern], op.Parameters...) {
			if ref, _ := p["$ref"].(string); ref != "" {
				declared[map[string]string{"#/components/parameters/Id": "id", "#/components/parameters/UserId": "userId",
					"#/components/parameters/EnvName": "name"}[ref]] = true
			} else if p["in"] == "path" {
				declared[p["name"].(string)] = true
			}
		}
		for _, m := range wildcard.FindAllStringSubmatch(rt.Pattern, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter %q is not declared", key, m[1])
			}
		}
	}
	// The YAML form is the same document.
	y := s.anon.Do("GET", "/v1/openapi.yaml", nil).Must(t, 200, nil)
	var doc map[string]any
	if err := yaml.Unmarshal(y.Body, &doc); err != nil || doc["openapi"] == nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !slices.Equal(y.Body, httpapi.OpenAPI()) {
		t.Fatal("GET /v1/openapi.yaml differs from httpapi.OpenAPI()")
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	s := newServer(t, &apitest.Config{}, nil)
	r := s.anon.Do("GET", "/v1/openapi.json", nil).Must(t, http.StatusOK, nil)
	var doc map[string]any
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, ref := range regexp.MustCompile(`"\$ref":"#/([^"]+)"`).FindAllStringSubmatch(string(r.Body), -1) {
		var cur any = doc
		for _, part := range strings.Split(ref[1], "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[part]
		}
		if cur == nil {
			t.Errorf("$ref #/%s does not resolve", ref[1])
		}
	}
}
