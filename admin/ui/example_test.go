package ui_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// The dashboard mounted under /ui next to the API under /v1, in a
// net/http ServeMux. Signed-out visitors are sent to the sign-in page,
// whose links all start with the prefix.
func ExampleNewHandler() {
	dir, err := os.MkdirTemp("", "ui-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	a, err := admin.New(admin.WithStorage(store))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	api, err := httpapi.New(a, nil)
	if err != nil {
		log.Fatal(err)
	}
	dash, err := ui.NewHandler(a, &ui.Options{Prefix: "/ui"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/ui/", dash)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "/ui/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	// Output: 303 /ui/login?next=%2F
}

// A read-only dashboard, for a wall display or auditors: its pages show
// no control that changes anything, and a change posted anyway is
// refused, whatever the signed-in user may do through the API.
func ExampleOptions_readOnly() {
	dir, err := os.MkdirTemp("", "ui-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	a, err := admin.New(admin.WithStorage(store))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	dash, err := ui.NewHandler(a, &ui.Options{Prefix: "/status", ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/status/", dash)
	log.Fatal(http.ListenAndServe("localhost:3002", mux))
}
