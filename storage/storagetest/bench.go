package storagetest

import (
	"slices"
	"sort"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Sizes of the benchmark data sets.
const (
	benchProjects    = 100  // projects beside the one GetProject reads
	benchDeployments = 1000 // deployments ListDeployments pages through
	benchPage        = 50   // page size of ListDeployments
	benchQueueWidth  = 100  // deployments with a queued build each, for ClaimBuild
	// ratioUnit names the metric: ns/op as a multiple of GetProject's.
	ratioUnit = "x-GetProject"
)

// RunBenchmarks measures the Storage operations the Admin calls most, each
// on a store of its own from newStore:
//
//   - GetProject: read one project by id among 100 (the baseline);
//   - CreateProject: insert one project;
//   - ListDeployments: read one page of 50 deployments, by cursor, of a
//     project with 1,000;
//   - ClaimBuild: claim the oldest queued build and mark it succeeded.
//
// Machines differ and are noisy, so besides ns/op each benchmark after the
// baseline reports its ns/op as a multiple of GetProject's measured in the
// same run (the "x-GetProject" column), against the median of every
// GetProject measurement so far (with -count N, one outlier does not skew
// the rest). Run the whole set, for example
// go test -run '^$' -bench . -benchtime 2000x, for the ratios to appear.
func RunBenchmarks(b *testing.B, newStore func(b *testing.B) admin.Storage) {
	var baselines []float64 // GetProject's ns/op, each time it ran
	nsPerOp := func(b *testing.B) float64 {
		if b.N == 0 {
			return 0
		}
		return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	}
	report := func(b *testing.B) {
		if len(baselines) > 0 {
			sorted := slices.Sorted(slices.Values(baselines))
			b.ReportMetric(nsPerOp(b)/sorted[len(sorted)/2], ratioUnit)
		}
	}

	b.Run("GetProject", func(b *testing.B) {
		f := newFixture(b, newStore(b))
		tm := f.addTeam()
		var p *admin.Project
		for i := range benchProjects {
			q := f.addProject(tm.ID)
			if i == benchProjects/2 {
				p = q
			}
		}
		for b.Loop() {
			if _, err := f.s.GetProject(f.ctx, p.ID); err != nil {
				b.Fatalf("GetProject: %v", err)
			}
		}
		if ns := nsPerOp(b); ns > 0 {
			baselines = append(baselines, ns)
		}
		b.ReportMetric(1, ratioUnit)
	})

	b.Run("CreateProject", func(b *testing.B) {
		f := newFixture(b, newStore(b))
		tm := f.addTeam()
		for b.Loop() {
			if err := f.s.CreateProject(f.ctx, f.newProject(tm.ID)); err != nil {
				b.Fatalf("CreateProject: %v", err)
			}
		}
		report(b)
	})

	b.Run("ListDeployments", func(b *testing.B) {
		f := newFixture(b, newStore(b))
		p := f.addProject(f.addTeam().ID)
		ids := make([]string, 0, benchDeployments)
		for range benchDeployments {
			ids = append(ids, f.addDeployment(p.ID).ID)
		}
		sort.Strings(ids)
		pages := benchDeployments / benchPage
		i := 0
		for b.Loop() {
			after := ""
			if k := i % pages; k > 0 {
				after = ids[k*benchPage-1]
			}
			i++
			list, err := f.s.ListDeployments(f.ctx, p.ID, admin.Page{Limit: benchPage, After: after})
			if err != nil {
				b.Fatalf("ListDeployments: %v", err)
			}
			if len(list) != benchPage {
				b.Fatalf("ListDeployments returned %d deployments, want %d", len(list), benchPage)
			}
		}
		report(b)
	})

	b.Run("ClaimBuild", func(b *testing.B) {
		f := newFixture(b, newStore(b))
		p := f.addProject(f.addTeam().ID)
		ds := make([]*admin.Deployment, benchQueueWidth)
		for i := range ds {
			ds[i] = f.addDeployment(p.ID)
		}
		backlog := 0
		for b.Loop() {
			if backlog == 0 {
				b.StopTimer()
				for _, d := range ds {
					f.addBuild(d, admin.BuildQueued)
				}
				backlog = len(ds)
				b.StartTimer()
			}
			bld, err := f.s.ClaimBuild(f.ctx, "bench", f.now())
			if err != nil {
				b.Fatalf("ClaimBuild: %v", err)
			}
			backlog--
			bld.Status = admin.BuildSucceeded
			bld.CompletedAt = f.ptr()
			if err := f.s.UpdateBuild(f.ctx, bld); err != nil {
				b.Fatalf("UpdateBuild: %v", err)
			}
		}
		report(b)
	})
}
