package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// WriteJSON writes v as a JSON response with status. Responses are never
// cached: some carry secrets shown once (a new token).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// listBody is a page of a listing: items is always an array, next the
// cursor of the following page (absent on the last page).
type listBody[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func listOf[T any](items []T, next string) listBody[T] {
	if items == nil {
		items = []T{}
	}
	return listBody[T]{Items: items, Next: next}
}

func fromList[T any](l admin.List[T]) listBody[T] { return listOf(l.Items, l.Next) }

// decodeBody reads the request body as one JSON object into dst, strictly:
// the media type must be JSON when given, the body at most maxBytes, no
// unknown fields, no trailing data, every value of the right type. Errors
// name what was wrong and are 400 (413 for size, 415 for media type).
func decodeBody(w http.ResponseWriter, r *http.Request, maxBytes int64, dst any) error {
	body, err := readBody(w, r, maxBytes)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return badRequest("", "the request body is empty: send a JSON object")
	}
	return decodeJSON(body, dst)
}

// decodeEmpty accepts no body, or an empty JSON object, for operations that
// take no input.
func decodeEmpty(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	body, err := readBody(w, r, maxBytes)
	if err != nil || len(body) == 0 {
		return err
	}
	return decodeJSON(body, &struct{}{})
}

func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
				Message: "the request body must be JSON: send Content-Type: application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
			Message: fmt.Sprintf("the request body is larger than %d bytes", maxBytes)}
	}
	if err != nil {
		return nil, badRequest("", "reading the request body failed: %v", err)
	}
	return bytes.TrimSpace(body), nil
}

func decodeJSON(body []byte, dst any) error {
	if len(body) == 0 || body[0] != '{' {
		return badRequest("", "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("", "unexpected data after the JSON object")
	}
	return nil
}

// decodeError explains a json decoding error without echoing the values
// sent (they may be secrets).
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("", "the request body must be %s", kindName(typ.Type))
		}
		return badRequest(field, "field %q must be %s", field, kindName(typ.Type))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return badRequest(name, "unknown field %q", name)
	}
	return badRequest("", "invalid JSON: %v", err)
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "of type " + t.String()
}

// params returns the request's query parameters, refusing any not in
// allowed and any given twice, so that a typo (?limt=) is an error rather
// than silently ignored.
func params(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("", "malformed query string")
	}
	for k, vs := range q {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			if len(allowed) == 0 {
				return nil, badRequest(k, "unknown query parameter %q: this operation takes none", clip(k))
			}
			return nil, badRequest(k, "unknown query parameter %q (known: %s)", clip(k), strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, badRequest(k, "query parameter %q is given more than once", k)
		}
	}
	return q, nil
}

// pageParams are the query parameters of every listing.
var pageParams = []string{"limit", "cursor", "order"}

// page reads limit, cursor and order (asc or desc; default newest first when
// desc is true).
func page(q url.Values, desc bool) (admin.Page, error) {
	p := admin.Page{Desc: desc}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > admin.MaxPageLimit {
			return p, badRequest("limit", "limit must be an integer from 1 to %d", admin.MaxPageLimit)
		}
		p.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		if err := checkID("cursor", s); err != nil {
			return p, err
		}
		p.After = s
	}
	switch q.Get("order") {
	case "":
	case "asc":
		p.Desc = false
	case "desc":
		p.Desc = true
	default:
		return p, badRequest("order", "order must be asc or desc")
	}
	return p, nil
}

// checkID reports whether s can be an id: 1 to admin.MaxIDLength ASCII
// letters, digits, '_' and '-' (every id the Admin makes qualifies).
func checkID(field, s string) error {
	if s == "" || len(s) > admin.MaxIDLength {
		return badRequest(field, "%s must be an id of 1 to %d characters", field, admin.MaxIDLength)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return badRequest(field, "%s %q is not an id (letters, digits, '_' and '-')", field, clip(s))
		}
	}
	return nil
}

// pathID returns the path parameter name, checked as an id.
func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	return v, checkID(name, v)
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
