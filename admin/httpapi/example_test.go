package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
)

// Mount the API on any server; here under /api with http.StripPrefix,
// next to the application's own routes.
func ExampleNew() {
	projects, _ := os.MkdirTemp("", "projects")
	defer os.RemoveAll(projects)
	st, err := embedded.Open(context.Background(), "", &embedded.Options{ProjectsDir: projects, NoStart: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	api, err := httpapi.New(st.Admin, &httpapi.Options{AllowedOrigins: []string{"https://console.example.com"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer api.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/api/v1/bootstrap", "application/json",
		strings.NewReader(`{"email":"root@example.com","name":"Root"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var boot struct {
		Secret string `json:"secret"`
	}
	json.NewDecoder(resp.Body).Decode(&boot)
	resp.Body.Close()
	fmt.Println("bootstrap:", resp.Status)

	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+boot.Secret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	var me struct {
		Email         string `json:"email"`
		PlatformAdmin bool   `json:"platformAdmin"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	fmt.Println("me:", me.Email, me.PlatformAdmin)

	resp, _ = http.Get(srv.URL + "/api/v1/teams")
	resp.Body.Close()
	fmt.Println("anonymous:", resp.Status, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// bootstrap: 201 Created
	// me: root@example.com true
	// anonymous: 401 Unauthorized Bearer realm="mastra-admin"
}
