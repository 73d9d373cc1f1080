package admin_test

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// edges is a transition table written out as "from>to" strings, so that a
// test states the intended life cycle independently of the code's table.
type edges map[string]bool

// checkTransitions checks canTransition against want for every pair of
// statuses, self-transitions and unknown statuses included.
func checkTransitions[S ~string](t *testing.T, kind string, all []S, want edges, canTransition func(from, to S) bool) {
	t.Helper()
	withUnknown := append(append([]S{}, all...), S("unknown"))
	for _, from := range withUnknown {
		for _, to := range withUnknown {
			edge := string(from) + ">" + string(to)
			if got := canTransition(from, to); got != want[edge] {
				t.Errorf("%s %s: CanTransition = %v, want %v", kind, edge, got, want[edge])
			}
		}
	}
}

func TestBuildTransitions(t *testing.T) {
	all := []admin.BuildStatus{admin.BuildQueued, admin.BuildBuilding, admin.BuildDeploying,
		admin.BuildSucceeded, admin.BuildFailed, admin.BuildCancelled}
	want := edges{
		"queued>building": true, "queued>cancelled": true, "queued>failed": true,
		"building>deploying": true, "building>failed": true, "building>cancelled": true,
		"deploying>succeeded": true, "deploying>failed": true, "deploying>cancelled": true,
	}
	checkTransitions(t, "build", all, want, func(from, to admin.BuildStatus) bool { return from.CanTransition(to) })
	// Terminal statuses, and only they, have no way out.
	for _, from := range all {
		exits := 0
		for _, to := range all {
			if from.CanTransition(to) {
				exits++
			}
		}
		if from.Terminal() != (exits == 0) {
			t.Errorf("build %s: Terminal() = %v with %d exits", from, from.Terminal(), exits)
		}
	}
}

func TestDeploymentTransitions(t *testing.T) {
	all := []admin.DeploymentStatus{admin.DeploymentPending, admin.DeploymentBuilding, admin.DeploymentRunning,
		admin.DeploymentStopped, admin.DeploymentFailed}
	want := edges{
		"pending>building": true, "pending>stopped": true,
		"building>running": true, "building>failed": true, "building>stopped": true, "building>pending": true,
		"running>building": true, "running>stopped": true, "running>failed": true,
		"stopped>building": true, "stopped>running": true,
		"failed>building": true, "failed>stopped": true, "failed>running": true,
	}
	checkTransitions(t, "deployment", all, want, func(from, to admin.DeploymentStatus) bool { return from.CanTransition(to) })
}

func TestServerTransitions(t *testing.T) {
	all := []admin.ServerStatus{admin.ServerStarting, admin.ServerRunning, admin.ServerStopping,
		admin.ServerStopped, admin.ServerCrashed}
	want := edges{
		"starting>running": true, "starting>stopping": true, "starting>stopped": true, "starting>crashed": true,
		"running>stopping": true, "running>stopped": true, "running>crashed": true,
		"stopping>stopped": true, "stopping>crashed": true,
		"crashed>starting": true, "crashed>running": true, "crashed>stopped": true,
		// stopped is final: a server record is never reused.
	}
	checkTransitions(t, "server", all, want, func(from, to admin.ServerStatus) bool { return from.CanTransition(to) })
}
