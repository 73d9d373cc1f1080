package main

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// TestServe serves the API through this example's router and walks it:
// REST calls, a deploy, and the build-log WebSocket upgraded through the
// router; the application's own route answers beside it.
func TestServe(t *testing.T) { apitest.CheckExample(t, mount) }
