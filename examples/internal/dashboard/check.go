package dashboard

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
)

// Check serves an Admin's API and dashboard through an example's mount
// and walks the dashboard under Prefix over HTTP: the redirect to the
// sign-in page, its assets, a sign-in with an API token (CSRF token
// included), a signed-in page; the API answers beside it.
func Check(t *testing.T, mount func(api, dash http.Handler) http.Handler) {
	t.Helper()
	env := apitest.New(t, nil)
	api, err := httpapi.New(env.Admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	dash, err := ui.NewHandler(env.Admin, &ui.Options{Prefix: Prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer dash.(*ui.Handler).Close()
	srv := httptest.NewServer(mount(api, dash))
	defer srv.Close()
	u, err := env.Admin.Bootstrap(apitest.System(), admin.NewUser{Email: "root@example.com", Name: "Root"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := env.Admin.CreateToken(apitest.As(u.ID), admin.NewToken{Name: "example"})
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := get(Prefix + "/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"/login?next=%2F" {
		t.Fatalf("GET %s/: %d to %q", Prefix, resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(Prefix + "/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, `href="`+Prefix+`/static/app.css"`) {
		t.Fatalf("the sign-in page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := get(Prefix + "/static/app.css"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("the stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, err = c.PostForm(srv.URL+Prefix+"/login", url.Values{"token": {token}, "csrf": {m[1]}, "next": {"/teams"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"/teams" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := get(Prefix + "/teams"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Create a team") {
		t.Fatalf("the teams page: %d\n%s", resp.StatusCode, body)
	}
	(&apitest.Client{T: t, URL: srv.URL, Token: token}).Do("GET", "/v1/me", nil).Must(t, http.StatusOK, nil)
}
