package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Sizes of the concurrency checks: enough goroutines to interleave on two
// cores, few enough to stay quick under -race.
const (
	incrementers        = 16
	claimBuilds         = 50
	claimWorkers        = 2
	goroutinesPerWorker = 4
)

// parallel runs fn(i) for i in [0, n) on n goroutines released together.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// increment does a read-modify-write of one counter, retrying on
// ErrConflict, as every caller of an Update must.
func increment[T any](get func() (*T, error), update func(*T) error, read func(*T) string, write func(*T, string)) error {
	for attempt := 0; ; attempt++ {
		if attempt > 10*incrementers {
			return fmt.Errorf("still conflicting after %d attempts", attempt)
		}
		v, err := get()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(read(v))
		if err != nil {
			return fmt.Errorf("counter %q: %w", read(v), err)
		}
		write(v, strconv.Itoa(n+1))
		err = update(v)
		if errors.Is(err, admin.ErrConflict) {
			continue
		}
		return err
	}
}

var concurrencyTests = []test{
	{"NoLostUpdates", func(t *testing.T, f *fixture) {
		tm := f.newTeam()
		tm.Name = "0"
		noErr(t, f.s.CreateTeam(f.ctx, tm), "CreateTeam")
		p := f.newProject(tm.ID)
		p.SourceConfig["n"] = "0"
		noErr(t, f.s.CreateProject(f.ctx, p), "CreateProject")

		parallel(incrementers, func(i int) {
			var err error
			if i%2 == 0 {
				err = increment(
					func() (*admin.Team, error) { return f.s.GetTeam(f.ctx, tm.ID) },
					func(v *admin.Team) error { return f.s.UpdateTeam(f.ctx, v) },
					func(v *admin.Team) string { return v.Name },
					func(v *admin.Team, n string) { v.Name = n })
			} else {
				err = increment(
					func() (*admin.Project, error) { return f.s.GetProject(f.ctx, p.ID) },
					func(v *admin.Project) error { return f.s.UpdateProject(f.ctx, v) },
					func(v *admin.Project) string { return v.SourceConfig["n"] },
					func(v *admin.Project, n string) { v.SourceConfig["n"] = n })
			}
			if err != nil {
				t.Errorf("goroutine %d: increment: %v", i, err)
			}
		})
		gotT, err := f.s.GetTeam(f.ctx, tm.ID)
		noErr(t, err, "GetTeam")
		if want := strconv.Itoa(incrementers / 2); gotT.Name != want || gotT.Version != 1+incrementers/2 {
			t.Errorf("team counter = %s at version %d, want %s at version %d: updates were lost", gotT.Name, gotT.Version, want, 1+incrementers/2)
		}
		gotP, err := f.s.GetProject(f.ctx, p.ID)
		noErr(t, err, "GetProject")
		if want := strconv.Itoa(incrementers / 2); gotP.SourceConfig["n"] != want || gotP.Version != 1+incrementers/2 {
			t.Errorf("project counter = %s at version %d, want %s at version %d: updates were lost", gotP.SourceConfig["n"], gotP.Version, want, 1+incrementers/2)
		}
	}},
	{"ConcurrentCreatesOfOneKey", func(t *testing.T, f *fixture) {
		const n = 8
		users := make([]*admin.User, n)
		teams := make([]*admin.Team, n)
		for i := range n {
			users[i], teams[i] = f.newUser(), f.newTeam()
			users[i].Email, teams[i].Slug = "same@example.com", "same"
		}
		errs := make([]error, 2*n)
		parallel(2*n, func(i int) {
			if i < n {
				errs[i] = f.s.CreateUser(f.ctx, users[i])
			} else {
				errs[i] = f.s.CreateTeam(f.ctx, teams[i-n])
			}
		})
		for _, half := range [][]error{errs[:n], errs[n:]} {
			ok := 0
			for _, err := range half {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, admin.ErrAlreadyExists):
					t.Errorf("a concurrent create of a taken key: got %v, want ErrAlreadyExists", err)
				}
			}
			if ok != 1 {
				t.Errorf("%d of %d concurrent creates with one unique key succeeded, want exactly 1", ok, n)
			}
		}
		wantCount(t, f.s.CountTeams, f, 1, "CountTeams")
	}},
	{"ReadsDuringWrites", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		const writers, perWriter = 3, 8
		done := make(chan struct{})
		var readers sync.WaitGroup
		for range 3 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					if _, err := f.s.ListProjects(f.ctx, admin.ProjectFilter{TeamID: tm.ID}, admin.Page{Limit: 5}); err != nil {
						t.Errorf("ListProjects during writes: %v", err)
						return
					}
					if _, err := f.s.CountProjects(f.ctx, tm.ID); err != nil {
						t.Errorf("CountProjects during writes: %v", err)
						return
					}
				}
			}()
		}
		projects := make([][]*admin.Project, writers)
		for i := range writers {
			for range perWriter {
				projects[i] = append(projects[i], f.newProject(tm.ID))
			}
		}
		parallel(writers, func(i int) {
			for _, p := range projects[i] {
				if err := f.s.CreateProject(f.ctx, p); err != nil {
					t.Errorf("CreateProject during reads: %v", err)
				}
			}
		})
		close(done)
		readers.Wait()
		wantCount(t, func(ctx context.Context) (int, error) { return f.s.CountProjects(ctx, tm.ID) }, f, writers*perWriter, "CountProjects")
	}},
	{"ConcurrentClaimsTakeEachBuildOnce", func(t *testing.T, f *fixture) {
		_, p, _ := f.addChain()
		queued := map[string]bool{}
		for range claimBuilds {
			queued[f.addBuild(f.addDeployment(p.ID), admin.BuildQueued).ID] = true
		}
		var mu sync.Mutex
		claimedBy := map[string][]string{} // build id → workers that got it
		parallel(claimWorkers*goroutinesPerWorker, func(i int) {
			worker := fmt.Sprintf("worker-%d", i%claimWorkers)
			for {
				b, err := f.s.ClaimBuild(f.ctx, worker, f.now())
				if errors.Is(err, admin.ErrNotFound) {
					return
				}
				if err != nil {
					t.Errorf("%s: ClaimBuild: %v", worker, err)
					return
				}
				if b.ClaimedBy != worker || b.Status != admin.BuildBuilding {
					t.Errorf("%s claimed %s with ClaimedBy %q and status %s", worker, b.ID, b.ClaimedBy, b.Status)
				}
				mu.Lock()
				claimedBy[b.ID] = append(claimedBy[b.ID], worker)
				mu.Unlock()
			}
		})
		for id, workers := range claimedBy {
			if !queued[id] {
				t.Errorf("ClaimBuild returned %s, which was never queued", id)
			}
			if len(workers) != 1 {
				t.Errorf("build %s was claimed %d times (by %v)", id, len(workers), workers)
			}
			b, err := f.s.GetBuild(f.ctx, id)
			noErr(t, err, "GetBuild")
			if b.Status != admin.BuildBuilding || b.ClaimedBy != workers[0] {
				t.Errorf("build %s is stored %s claimed by %q, want building claimed by %q", id, b.Status, b.ClaimedBy, workers[0])
			}
		}
		if len(claimedBy) != claimBuilds {
			t.Errorf("%d of %d queued builds were claimed", len(claimedBy), claimBuilds)
		}
	}},
	{"ConcurrentClaimsKeepOneActiveBuildPerDeployment", func(t *testing.T, f *fixture) {
		const deployments, perDeployment = 8, 3
		_, p, _ := f.addChain()
		var ds []*admin.Deployment
		for range deployments {
			d := f.addDeployment(p.ID)
			ds = append(ds, d)
			for range perDeployment {
				f.addBuild(d, admin.BuildQueued)
			}
		}
		seen := map[string]bool{}
		for round := range perDeployment {
			var mu sync.Mutex
			var claimed []*admin.Build
			parallel(claimWorkers*goroutinesPerWorker, func(i int) {
				for {
					b, err := f.s.ClaimBuild(f.ctx, fmt.Sprintf("worker-%d", i), f.now())
					if errors.Is(err, admin.ErrNotFound) {
						return
					}
					if err != nil {
						t.Errorf("ClaimBuild: %v", err)
						return
					}
					mu.Lock()
					claimed = append(claimed, b)
					mu.Unlock()
				}
			})
			perDep := map[string]int{}
			for _, b := range claimed {
				perDep[b.DeploymentID]++
				if seen[b.ID] {
					t.Errorf("round %d: build %s claimed again", round, b.ID)
				}
				seen[b.ID] = true
			}
			for _, d := range ds {
				if perDep[d.ID] != 1 {
					t.Errorf("round %d: deployment %s got %d builds claimed, want 1 (one active build per deployment, and none left claimable)", round, d.ID, perDep[d.ID])
				}
			}
			if t.Failed() {
				return
			}
			for _, b := range claimed {
				f.finish(t, b, admin.BuildSucceeded)
			}
		}
		f.claimNone(t, "every build claimed and finished")
		if len(seen) != deployments*perDeployment {
			t.Errorf("%d builds claimed, want %d", len(seen), deployments*perDeployment)
		}
	}},
}
