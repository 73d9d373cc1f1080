package storagetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// newCheckpoint returns an unsaved checkpoint of a file of build. Checkpoints
// reference nothing, so the build need not be stored.
func (f *fixture) newCheckpoint(projectID, buildID string) *admin.IngestCheckpoint {
	n, at := f.next(), f.now()
	return &admin.IngestCheckpoint{
		ID:               fmt.Sprintf("%s/spans/20250314T092653589Z_%04d.jsonl", buildID, n),
		ProjectID:        projectID,
		DeploymentID:     newID(prefixDeployment),
		BuildID:          buildID,
		Kind:             admin.TelemetrySpans,
		Fingerprint:      fmt.Sprintf("%064x", n),
		FingerprintBytes: 1024,
		Offset:           int64(n) * 1000,
		Lines:            int64(n),
		CreatedAt:        at,
		UpdatedAt:        at,
		Version:          1,
	}
}

var checkpointKind = kind[admin.IngestCheckpoint]{
	name:   "Checkpoint",
	prefix: prefixBuild,
	make: func(f *fixture) *admin.IngestCheckpoint {
		return f.newCheckpoint(newID(prefixProject), newID(prefixBuild))
	},
	create: func(f *fixture, v *admin.IngestCheckpoint) error { return f.s.CreateCheckpoint(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.IngestCheckpoint, error) { return f.s.GetCheckpoint(f.ctx, id) },
	update: func(f *fixture, v *admin.IngestCheckpoint) error { return f.s.UpdateCheckpoint(f.ctx, v) },
	remove: func(f *fixture, id string) error { return f.s.DeleteCheckpoint(f.ctx, id) },
	list: func(f *fixture, v *admin.IngestCheckpoint) ([]*admin.IngestCheckpoint, error) {
		return f.s.ListCheckpoints(f.ctx, admin.CheckpointFilter{BuildID: v.BuildID}, admin.Page{})
	},
	id:      func(v *admin.IngestCheckpoint) *string { return &v.ID },
	version: func(v *admin.IngestCheckpoint) *int64 { return &v.Version },
	mutate: func(v *admin.IngestCheckpoint) {
		v.Fingerprint = fmt.Sprintf("%064x", 1<<40)
		v.FingerprintBytes = 17
		v.Offset = 1<<40 + 3
		v.Lines = 1<<33 + 1
		v.Quarantined = 1<<32 + 5
		v.LastError = "store: insert spans: connection refused"
		v.ArchivedPath = "observability/spans/prj_1/bld_1/x.jsonl"
		v.ArchivedAt = laterPtr(time.Hour)
		v.UpdatedAt = later.Add(time.Hour)
	},
	tamper: func(v *admin.IngestCheckpoint) {
		v.ProjectID = newID(prefixProject)
		v.DeploymentID = newID(prefixDeployment)
		v.BuildID = newID(prefixBuild)
		v.Kind = admin.TelemetryLogs
		v.CreatedAt = v.CreatedAt.Add(time.Hour)
	},
	scribble: func(v *admin.IngestCheckpoint) {
		v.Offset++
		v.LastError += " (changed)"
		if v.ArchivedAt != nil {
			*v.ArchivedAt = v.ArchivedAt.Add(time.Hour)
		}
	},
}

var checkpointTests = []test{
	{"ListFilters", testCheckpointFilters},
	{"DeleteMissing", testCheckpointDeleteMissing},
}

// testCheckpointFilters checks every CheckpointFilter field and that
// listings are ordered by id and paged.
func testCheckpointFilters(t *testing.T, f *fixture) {
	p1, p2 := newID(prefixProject), newID(prefixProject)
	b1, b2, b3 := newID(prefixBuild), newID(prefixBuild), newID(prefixBuild)
	var all []*admin.IngestCheckpoint
	for _, pb := range [][2]string{{p1, b1}, {p1, b1}, {p1, b2}, {p2, b3}, {p2, b3}} {
		c := f.newCheckpoint(pb[0], pb[1])
		noErr(t, f.s.CreateCheckpoint(f.ctx, c), "CreateCheckpoint")
		all = append(all, c)
	}
	// Archive the first at epoch+1h and the fourth at epoch+3h.
	for i, at := range map[int]time.Time{0: epoch.Add(time.Hour), 3: epoch.Add(3 * time.Hour)} {
		c := all[i]
		c.ArchivedPath, c.ArchivedAt, c.UpdatedAt = "observability/x/"+c.ID, &at, at
		noErr(t, f.s.UpdateCheckpoint(f.ctx, c), "UpdateCheckpoint")
	}
	id := func(c *admin.IngestCheckpoint) string { return c.ID }
	want := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, all[i].ID)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		name string
		f    admin.CheckpointFilter
		want []string
	}{
		{"all", admin.CheckpointFilter{}, want(0, 1, 2, 3, 4)},
		{"project", admin.CheckpointFilter{ProjectID: p1}, want(0, 1, 2)},
		{"build", admin.CheckpointFilter{BuildID: b3}, want(3, 4)},
		{"unarchived", admin.CheckpointFilter{Unarchived: true}, want(1, 2, 4)},
		{"project and unarchived", admin.CheckpointFilter{ProjectID: p2, Unarchived: true}, want(4)},
		{"archived before", admin.CheckpointFilter{ArchivedBefore: epoch.Add(2 * time.Hour)}, want(0)},
		{"archived before, later", admin.CheckpointFilter{ArchivedBefore: epoch.Add(4 * time.Hour)}, want(0, 3)},
	}
	for _, tc := range cases {
		got, err := f.s.ListCheckpoints(f.ctx, tc.f, admin.Page{})
		noErr(t, err, "ListCheckpoints "+tc.name)
		mustEqual(t, "ListCheckpoints "+tc.name+" ids", idsOf(got, id), tc.want)
	}
	page, err := f.s.ListCheckpoints(f.ctx, admin.CheckpointFilter{}, admin.Page{Limit: 2, After: want(0, 1, 2, 3, 4)[1]})
	noErr(t, err, "ListCheckpoints paged")
	mustEqual(t, "ListCheckpoints page after the second id", idsOf(page, id), want(0, 1, 2, 3, 4)[2:4])
}

func testCheckpointDeleteMissing(t *testing.T, f *fixture) {
	wantErr(t, f.s.DeleteCheckpoint(f.ctx, newID(prefixBuild)+"/spans/none.jsonl"), admin.ErrNotFound,
		"DeleteCheckpoint of a missing id")
}
