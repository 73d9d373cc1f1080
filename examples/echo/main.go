// Command echo serves the MastraAdmin HTTP API from an echo server, on the
// embedded defaults (SQLite, local files and builds in a data directory;
// the Mastra projects of -projects):
//
//	go run ./examples/echo -addr :3001 -projects ./examples
//
// The API is an http.Handler, wrapped with echo.WrapHandler on a catch-all
// route for every method under /v1. echo's Response implements
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

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/mastra-admin/mastra-admin-go/examples/internal/dashboard"
)

func main() {
	if err := dashboard.Command(os.Args[1:], mount); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

// mount puts the API and the dashboard into the application's router.
func mount(api, dash http.Handler) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.Any("/v1/*", echo.WrapHandler(api))
	e.Any(dashboard.Prefix+"/*", echo.WrapHandler(dash))
	return e
}
