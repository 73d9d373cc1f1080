package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the hand-written OpenAPI 3 document of the API. A test
// checks that its operations are exactly the route table's.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIDoc is the document in both forms.
type openAPIDoc struct {
	yaml, json []byte
}

// OpenAPI returns the API's OpenAPI 3 document as YAML.
func OpenAPI() []byte { return append([]byte(nil), openAPIYAML...) }

func loadOpenAPI() (openAPIDoc, error) {
	var v any
	if err := yaml.Unmarshal(openAPIYAML, &v); err != nil {
		return openAPIDoc{}, fmt.Errorf("openapi.yaml: %w", err)
	}
	j, err := json.Marshal(jsonable(v))
	if err != nil {
		return openAPIDoc{}, fmt.Errorf("openapi.yaml: %w", err)
	}
	return openAPIDoc{yaml: openAPIYAML, json: j}, nil
}

// jsonable turns what YAML decodes into values encoding/json accepts
// (mappings with non-string keys become string-keyed).
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
		return t
	}
	return v
}

func (h *Handler) openAPIJSON(w http.ResponseWriter, r *http.Request) error {
	return h.serveDoc(w, r, "application/json", h.openapi.json)
}

func (h *Handler) openAPIYAML(w http.ResponseWriter, r *http.Request) error {
	return h.serveDoc(w, r, "application/yaml", h.openapi.yaml)
}

func (h *Handler) serveDoc(w http.ResponseWriter, r *http.Request, contentType string, body []byte) error {
	if _, err := params(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}
