package oidcauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth/oidctest"
)

// Accept ID tokens of the organisation's OpenID Connect provider next to
// API tokens. (The provider here is oidctest's, in-process.)
func ExampleNew() {
	ctx := context.Background()
	idp, err := oidctest.Start("mastra-admin", "client-secret")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer idp.Close()

	// Single sign-on needs an enterprise license.
	pub, priv, _ := admin.GenerateLicenseKeyPair()
	key, _ := admin.SignLicense(priv, admin.License{Customer: "Example Corp", Tier: admin.TierEnterprise,
		IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(24 * time.Hour)})
	projects, _ := os.MkdirTemp("", "projects")
	defer os.RemoveAll(projects)
	st, err := embedded.Open(ctx, "", &embedded.Options{ProjectsDir: projects, NoStart: true,
		AdminOptions: []admin.Option{admin.WithLicense(key, pub)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	sys := admin.WithPrincipal(ctx, admin.SystemPrincipal())
	st.Admin.CreateUser(sys, admin.NewUser{Email: "ada@example.com", Name: "Ada"})

	sso, err := oidcauth.New(ctx, st.Admin, idp.Issuer(), "mastra-admin", &oidcauth.Options{
		ClientSecret: "client-secret", AllowedDomains: []string{"example.com"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	api, err := httpapi.New(st.Admin, &httpapi.Options{
		Authenticators: []httpapi.Authenticator{httpapi.TokenAuthenticator(st.Admin), sso}})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	idToken := idp.IDToken(oidctest.User{Subject: "00u1", Email: "ada@example.com", EmailVerified: true}, nil)
	req, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+idToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var me admin.User
	json.NewDecoder(resp.Body).Decode(&me)
	fmt.Println(resp.Status, me.Email)
	// Output:
	// 200 OK ada@example.com
}
