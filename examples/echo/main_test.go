package main

import (
	"net/http"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// TestServe serves the API through this example's router and walks it:
// REST calls, a deploy, and the build-log WebSocket upgraded through the
// router.
func TestServe(t *testing.T) {
	url := apitest.ServeExample(t, mount)
	apitest.Smoke(t, url)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the application's own route: %d", resp.StatusCode)
	}
}
