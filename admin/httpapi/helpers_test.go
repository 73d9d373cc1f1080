package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// server is an API Handler over an apitest.Env, served by httptest.
type server struct {
	*apitest.Env
	h    *httpapi.Handler
	srv  *httptest.Server
	anon *apitest.Client // no token
	seen *apitest.Buffer // every response body
}

func newServer(t testing.TB, cfg *apitest.Config, opts *httpapi.Options) *server {
	t.Helper()
	env := apitest.New(t, cfg)
	var o httpapi.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = env.Logger
	}
	h, err := httpapi.New(env.Admin, &o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	s := &server{Env: env, h: h, srv: srv, seen: &apitest.Buffer{}}
	s.anon = &apitest.Client{T: t, URL: srv.URL, Seen: s.seen}
	return s
}

// serve sends one request straight to h, with a bearer token unless "".
func serve(h http.Handler, method, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
