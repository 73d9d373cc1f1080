package router_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router"
)

func TestNames(t *testing.T) {
	prod := admin.Route{DeploymentID: "d1", ProjectSlug: "job-matching-agent", DeploymentSlug: "production", Production: true}
	preview := admin.Route{DeploymentID: "d2", ProjectSlug: "job-matching-agent", DeploymentSlug: "pr-456"}
	for _, tc := range []struct {
		r           admin.Route
		label, path string
	}{
		{prod, "job-matching-agent", "/job-matching-agent/production"},
		{preview, "pr-456--job-matching-agent", "/job-matching-agent/pr-456"},
	} {
		if got := router.HostLabel(tc.r); got != tc.label {
			t.Errorf("HostLabel(%+v) = %q; want %q", tc.r, got, tc.label)
		}
		if got := router.PathPrefix(tc.r); got != tc.path {
			t.Errorf("PathPrefix(%+v) = %q; want %q", tc.r, got, tc.path)
		}
	}
}

func TestValidateRouteNamesTheField(t *testing.T) {
	good := admin.Route{DeploymentID: "dep_01jd8x2k3m", ProjectSlug: "shop", DeploymentSlug: "pr-1", Target: "127.0.0.1:4100"}
	if err := router.ValidateRoute(good); err != nil {
		t.Fatalf("ValidateRoute(%+v) = %v", good, err)
	}
	for _, tc := range []struct {
		change func(*admin.Route)
		field  string
		reason string // a piece of the message
	}{
		{func(r *admin.Route) { r.DeploymentID = "" }, "deploymentId", "empty"},
		{func(r *admin.Route) { r.DeploymentID = "a b" }, "deploymentId", `"a b"`},
		{func(r *admin.Route) { r.ProjectSlug = "Shop" }, "projectSlug", `"Shop"`},
		{func(r *admin.Route) { r.DeploymentSlug = "a--b" }, "deploymentSlug", `"--"`},
		{func(r *admin.Route) { r.DeploymentSlug = strings.Repeat("d", 60) }, "deploymentSlug", "63"},
		{func(r *admin.Route) { r.Target = "127.0.0.1" }, "target", "host:port"},
		{func(r *admin.Route) { r.Target = "127.0.0.1:99999" }, "target", "1 to 65535"},
		{func(r *admin.Route) { r.Target = "http://x:1" }, "target", "without scheme"},
		{func(r *admin.Route) { r.Target = "a_b:1" }, "target", "DNS name"},
	} {
		r := good
		tc.change(&r)
		err := router.ValidateRoute(r)
		var ve *admin.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, admin.ErrInvalidArgument) || ve.Field != tc.field || !strings.Contains(ve.Reason, tc.reason) {
			t.Errorf("ValidateRoute(%+v) = %v; want a ValidationError on %s mentioning %s", r, err, tc.field, tc.reason)
		}
	}
	// Production routes have no "--" label, so long slugs only need to fit
	// in their own DNS label.
	long := admin.Route{DeploymentID: "d", ProjectSlug: strings.Repeat("p", 63), DeploymentSlug: "production", Production: true}
	if err := router.ValidateRoute(long); err != nil {
		t.Errorf("a production route with a 63-character project slug: %v", err)
	}
}
