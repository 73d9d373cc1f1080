// Command gin serves the MastraAdmin HTTP API from a gin engine, on the
// embedded defaults (SQLite, local files and builds in a data directory;
// the Mastra projects of -projects):
//
//	go run ./examples/gin -addr :3001 -projects ./examples
//
// The API is an http.Handler, wrapped with gin.WrapH on a catch-all route
// for every method under /v1. gin's ResponseWriter implements
// http.Hijacker, so the WebSocket routes upgrade through it.
//
// The browser dashboard (package ui) is mounted under /ui beside the
// API: sign in there with an API token (POST /v1/bootstrap makes the
// first user and their token).
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/mastra-admin/mastra-admin-go/examples/internal/dashboard"
)

func main() {
	if err := dashboard.Command(os.Args[1:], mount); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

// mount puts the API and the dashboard into the application's router.
func mount(api, dash http.Handler) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.Any("/v1/*path", gin.WrapH(api))
	r.Any(dashboard.Prefix+"/*path", gin.WrapH(dash))
	return r
}
