package local_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

func Example() {
	// A stand-in for a deployed Mastra server.
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "agents of %s, path %s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
	}))
	defer backend.Close()

	r, err := local.New(nil) // base domain localhost, public port 3100
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	route := admin.Route{
		DeploymentID:   "dep_1",
		ProjectSlug:    "job-matching-agent",
		DeploymentSlug: "pr-456",
		Target:         backend.Listener.Addr().String(),
	}
	if err := r.SetRoute(context.Background(), route); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.PublicURL(route))

	// Router is an http.Handler: mount it on any server, or use
	// r.ListenAndServe(ctx, ":3100").
	for _, target := range []string{
		"http://pr-456--job-matching-agent.localhost:3100/api/agents", // by host
		"http://localhost:3100/job-matching-agent/pr-456/api/agents",  // by path
		"http://nope.localhost:3100/",
	} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		body, _ := io.ReadAll(rec.Result().Body)
		fmt.Printf("%d %s\n", rec.Code, body)
	}
	// Output:
	// http://pr-456--job-matching-agent.localhost:3100
	// 200 agents of pr-456--job-matching-agent.localhost:3100, path /api/agents
	// 200 agents of localhost:3100, path /api/agents
	// 404 mastra-admin router: no deployment is routed at host "nope.localhost"
}
