package storagetest

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// test is one conformance check, run on a fresh store.
type test struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// group is a named list of checks, one subtest each.
type group struct {
	name  string
	tests []test
}

// groups lists every check of the suite, grouped as the subtests are named:
// "Users/CreateGet", "BuildQueue/ClaimSkipsActiveDeployments", ...
func groups() []group {
	return []group{
		{"Users", append(userKind.tests(), userTests...)},
		{"Teams", append(teamKind.tests(), teamTests...)},
		{"Members", memberTests},
		{"Projects", append(projectKind.tests(), projectTests...)},
		{"Deployments", append(deploymentKind.tests(), deploymentTests...)},
		{"Builds", append(buildKind.tests(), buildTests...)},
		{"Servers", append(serverKind.tests(), serverTests...)},
		{"Tokens", append(tokenKind.tests(), tokenTests...)},
		{"Audit", auditTests},
		{"Checkpoints", append(checkpointKind.tests(), checkpointTests...)},
		{"Previews", previewTests},
		{"Pagination", paginationTests},
		{"Cascades", cascadeTests},
		{"LastOwner", ownerTests},
		{"BuildQueue", queueTests},
		{"Concurrency", concurrencyTests},
		{"Context", contextTests},
	}
}

// Run runs the Storage conformance suite. newStore must return a new, empty
// store each time it is called; the suite calls it once per subtest and
// closes the store when the subtest ends, so newStore need not close it (it
// should still release what it created itself, such as a temporary
// directory or database schema, with t.Cleanup).
//
// Subtests are named after the rule they check, for example
// "Projects/UpdateStaleVersion" or "BuildQueue/ConcurrentClaimsTakeEachBuildOnce",
// so that go test -run selects them. Some subtests start many goroutines
// against one store; run the suite with -race.
func Run(t *testing.T, newStore func(t *testing.T) admin.Storage) {
	t.Helper()
	if newStore == nil {
		t.Fatal("storagetest.Run: newStore is nil")
	}
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, newFixture(t, newStore(t)))
				})
			}
		})
	}
}
