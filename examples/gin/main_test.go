package main

import (
	"net/http"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/examples/internal/dashboard"
)

// TestServe serves the API through this example's router and walks it:
// REST calls, a deploy, and the build-log WebSocket upgraded through the
// router; the application's own route answers beside it.
func TestServe(t *testing.T) {
	apitest.CheckExample(t, func(api http.Handler) http.Handler { return mount(api, http.NotFoundHandler()) })
}

// TestDashboard serves the dashboard through this example's router under
// /ui, beside the API, and signs in to it.
func TestDashboard(t *testing.T) { dashboard.Check(t, mount) }
