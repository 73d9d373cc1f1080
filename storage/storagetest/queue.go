package storagetest

import (
	"sort"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// claim calls ClaimBuild and stops the test unless it returns a build.
func (f *fixture) claim(t testing.TB, worker string, now time.Time) *admin.Build {
	t.Helper()
	b, err := f.s.ClaimBuild(f.ctx, worker, now)
	noErr(t, err, "ClaimBuild")
	if b == nil {
		t.Fatal("ClaimBuild returned nil and no error")
	}
	return b
}

// claimNone fails the test unless ClaimBuild finds nothing to claim.
func (f *fixture) claimNone(t testing.TB, what string) {
	t.Helper()
	b, err := f.s.ClaimBuild(f.ctx, "worker-x", f.now())
	if err == nil && b != nil {
		t.Errorf("%s: ClaimBuild claimed build %s (deployment %s), want ErrNotFound", what, b.ID, b.DeploymentID)
		return
	}
	wantErr(t, err, admin.ErrNotFound, what+": ClaimBuild")
}

// finish moves a claimed build to a terminal status.
func (f *fixture) finish(t testing.TB, b *admin.Build, status admin.BuildStatus) {
	t.Helper()
	b.Status = status
	b.CompletedAt = f.ptr()
	noErr(t, f.s.UpdateBuild(f.ctx, b), "UpdateBuild to "+string(status))
}

var queueTests = []test{
	{"ClaimFromAnEmptyQueue", func(t *testing.T, f *fixture) {
		f.claimNone(t, "an empty store")
		_, _, d := f.addChain()
		for _, st := range []admin.BuildStatus{admin.BuildSucceeded, admin.BuildFailed, admin.BuildCancelled} {
			f.addBuild(d, st)
		}
		f.claimNone(t, "only finished builds")
	}},
	{"ClaimOldestFirst", func(t *testing.T, f *fixture) {
		_, p, _ := f.addChain()
		base := f.now()
		// QueuedAt decides; ids break ties. Each build has its own
		// deployment so that none blocks another.
		offsets := []time.Duration{3, 1, 1, 2, 0, 1}
		var builds []*admin.Build
		for _, off := range offsets {
			b := f.newBuild(f.addDeployment(p.ID))
			b.QueuedAt = base.Add(off * time.Second).In(zones[0])
			noErr(t, f.s.CreateBuild(f.ctx, b), "CreateBuild")
			builds = append(builds, b)
		}
		want := append([]*admin.Build(nil), builds...)
		sort.Slice(want, func(i, j int) bool {
			if !want[i].QueuedAt.Equal(want[j].QueuedAt) {
				return want[i].QueuedAt.Before(want[j].QueuedAt)
			}
			return want[i].ID < want[j].ID
		})
		for i, w := range want {
			got := f.claim(t, "worker-1", f.now())
			if got.ID != w.ID {
				t.Fatalf("claim %d: got build %s queued at %s, want %s queued at %s", i, got.ID, got.QueuedAt, w.ID, w.QueuedAt)
			}
		}
		f.claimNone(t, "every build claimed")
	}},
	{"ClaimSetsStatusStartedAtAndClaimedBy", func(t *testing.T, f *fixture) {
		_, _, d := f.addChain()
		b := f.newBuild(d)
		b.Ref = "feature/x"
		b.Trigger = admin.TriggerWebhook
		noErr(t, f.s.CreateBuild(f.ctx, b), "CreateBuild")
		now := f.now().In(zones[1])
		got := f.claim(t, "worker-1", now)
		want := clone(b)
		want.Status = admin.BuildBuilding
		want.StartedAt = &now
		want.ClaimedBy = "worker-1"
		want.Version = b.Version + 1
		want.UpdatedAt = got.UpdatedAt // the store may or may not set it
		mustEqual(t, "the build ClaimBuild returned", got, want)
		stored, err := f.s.GetBuild(f.ctx, b.ID)
		noErr(t, err, "GetBuild")
		mustEqual(t, "GetBuild after ClaimBuild", stored, got)

		// The claim is a change like any other: an update from the version
		// read before it is stale.
		b.Status = admin.BuildCancelled
		wantErr(t, f.s.UpdateBuild(f.ctx, b), admin.ErrConflict, "UpdateBuild from the version before the claim")
		// The returned build is the caller's to modify.
		got.ClaimedBy = "changed"
		stored, err = f.s.GetBuild(f.ctx, b.ID)
		noErr(t, err, "GetBuild")
		if stored.ClaimedBy != "worker-1" {
			t.Errorf("changing the claimed build changed the store: ClaimedBy = %q", stored.ClaimedBy)
		}
	}},
	{"ClaimSkipsDeploymentsWithAnActiveBuild", func(t *testing.T, f *fixture) {
		_, p, d1 := f.addChain()
		d2, d3 := f.addDeployment(p.ID), f.addDeployment(p.ID)
		building := f.addBuild(d1, admin.BuildBuilding)
		deploying := f.addBuild(d2, admin.BuildDeploying)
		queued1 := f.addBuild(d1, admin.BuildQueued) // oldest queued, but d1 is busy
		queued2 := f.addBuild(d2, admin.BuildQueued) // d2 is busy too
		queued3 := f.addBuild(d3, admin.BuildQueued)

		if got := f.claim(t, "w", f.now()); got.ID != queued3.ID {
			t.Fatalf("ClaimBuild took %s, want %s (the only deployment without an active build)", got.ID, queued3.ID)
		}
		f.claimNone(t, "every deployment with queued builds has an active one")

		f.finish(t, building, admin.BuildSucceeded)
		if got := f.claim(t, "w", f.now()); got.ID != queued1.ID {
			t.Fatalf("ClaimBuild took %s, want %s (its deployment's build finished)", got.ID, queued1.ID)
		}
		f.claimNone(t, "d1 and d2 busy again")

		f.finish(t, deploying, admin.BuildFailed)
		if got := f.claim(t, "w", f.now()); got.ID != queued2.ID {
			t.Fatalf("ClaimBuild took %s, want %s (its deployment's build failed)", got.ID, queued2.ID)
		}
		f.claimNone(t, "every build claimed")
	}},
	{"ClaimOneBuildPerDeploymentAtATime", func(t *testing.T, f *fixture) {
		_, _, d := f.addChain()
		var queued []*admin.Build
		for range 3 {
			queued = append(queued, f.addBuild(d, admin.BuildQueued))
		}
		for i, want := range queued {
			got := f.claim(t, "w", f.now())
			if got.ID != want.ID {
				t.Fatalf("claim %d: got %s, want %s", i, got.ID, want.ID)
			}
			f.claimNone(t, "the deployment's build is in flight")
			got.Status = admin.BuildDeploying
			noErr(t, f.s.UpdateBuild(f.ctx, got), "UpdateBuild to deploying")
			f.claimNone(t, "the deployment's build is deploying")
			f.finish(t, got, admin.BuildCancelled)
		}
		f.claimNone(t, "every build claimed")
	}},
	{"ClaimWaitsUntilAnEndedBuildIsCompleted", func(t *testing.T, f *fixture) {
		for _, st := range []admin.BuildStatus{admin.BuildCancelled, admin.BuildFailed, admin.BuildSucceeded} {
			_, _, d := f.addChain()
			f.addBuild(d, admin.BuildQueued)
			next := f.addBuild(d, admin.BuildQueued)
			got := f.claim(t, "w", f.now())
			// Ended (cancelled by a user, say) while its worker still
			// settles it: the build stays in flight until CompletedAt.
			got.Status = st
			noErr(t, f.s.UpdateBuild(f.ctx, got), "UpdateBuild to "+string(st))
			f.claimNone(t, "the deployment's "+string(st)+" build has no CompletedAt")
			got.CompletedAt = f.ptr()
			noErr(t, f.s.UpdateBuild(f.ctx, got), "UpdateBuild with CompletedAt")
			if again := f.claim(t, "w", f.now()); again.ID != next.ID {
				t.Fatalf("ClaimBuild took %s once the %s build was completed, want %s", again.ID, st, next.ID)
			}
		}
	}},
	{"RequeuedBuildIsClaimedAgain", func(t *testing.T, f *fixture) {
		_, _, d := f.addChain()
		b := f.addBuild(d, admin.BuildQueued)
		got := f.claim(t, "worker-1", f.now())
		// Recovery puts a build that was in flight back in the queue.
		got.Status, got.StartedAt, got.ClaimedBy = admin.BuildQueued, nil, ""
		noErr(t, f.s.UpdateBuild(f.ctx, got), "UpdateBuild back to queued")
		again := f.claim(t, "worker-2", f.now())
		if again.ID != b.ID || again.ClaimedBy != "worker-2" {
			t.Errorf("ClaimBuild after a requeue took %s claimed by %q, want %s claimed by worker-2", again.ID, again.ClaimedBy, b.ID)
		}
	}},
	{"ListQueuedAndInFlight", func(t *testing.T, f *fixture) {
		_, p, _ := f.addChain()
		var queued []string
		for range 4 {
			queued = append(queued, f.addBuild(f.addDeployment(p.ID), admin.BuildQueued).ID)
		}
		done := f.addBuild(f.addDeployment(p.ID), admin.BuildSucceeded)
		a := f.claim(t, "w", f.now())
		b := f.claim(t, "w", f.now())
		b.Status = admin.BuildDeploying
		noErr(t, f.s.UpdateBuild(f.ctx, b), "UpdateBuild to deploying")

		list := func(st ...admin.BuildStatus) []string {
			bs, err := f.s.ListBuilds(f.ctx, admin.BuildFilter{Statuses: st}, admin.Page{})
			noErr(t, err, "ListBuilds")
			return idsOf(bs, buildID)
		}
		wantIDs(t, "ListBuilds(building)", list(admin.BuildBuilding), []string{a.ID})
		wantIDs(t, "ListBuilds(deploying)", list(admin.BuildDeploying), []string{b.ID})
		wantIDs(t, "ListBuilds(building, deploying)", list(admin.BuildBuilding, admin.BuildDeploying), sorted([]string{a.ID, b.ID}))
		wantIDs(t, "ListBuilds(queued, building, deploying)", list(admin.BuildQueued, admin.BuildBuilding, admin.BuildDeploying), sorted(queued))
		var rest []string
		for _, id := range queued {
			if id != a.ID && id != b.ID {
				rest = append(rest, id)
			}
		}
		wantIDs(t, "ListBuilds(queued)", list(admin.BuildQueued), sorted(rest))
		wantIDs(t, "ListBuilds(succeeded)", list(admin.BuildSucceeded), []string{done.ID})
	}},
}
