package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// previews returns s's PreviewStore, skipping t when s has none (the
// capability is optional).
func (f *fixture) previews(t *testing.T) admin.PreviewStore {
	ps, ok := f.s.(admin.PreviewStore)
	if !ok {
		t.Skip("the store has no admin.PreviewStore capability")
	}
	return ps
}

func (f *fixture) newPreview(d *admin.Deployment, n int) *admin.Preview {
	at := f.now()
	return &admin.Preview{DeploymentID: d.ID, ProjectID: d.ProjectID, Number: n, Branch: fmt.Sprintf("feature-%d", n),
		HeadSHA: strings.Repeat("a", 40), HeadRepo: "acme/agents", Repo: "acme/agents", CreatedAt: at, UpdatedAt: at, Version: 1}
}

// previewTests check the optional admin.PreviewStore, and the commit fields
// of builds that versioned sources record.
var previewTests = []test{
	{"BuildCommitRoundTrips", func(t *testing.T, f *fixture) {
		_, _, d := f.addChain()
		b := f.newBuild(d)
		b.Commit, b.CommitAuthor, b.CommitMessage = strings.Repeat("c", 40), "Ada <ada@example.com>", "fix: ünïcode\n\nbody"
		noErr(t, f.s.CreateBuild(f.ctx, b), "CreateBuild")
		got, err := f.s.GetBuild(f.ctx, b.ID)
		noErr(t, err, "GetBuild")
		if got.Commit != b.Commit || got.CommitAuthor != b.CommitAuthor || got.CommitMessage != b.CommitMessage {
			t.Errorf("GetBuild commit = %q %q %q, want %q %q %q", got.Commit, got.CommitAuthor, got.CommitMessage,
				b.Commit, b.CommitAuthor, b.CommitMessage)
		}
		got.Commit = strings.Repeat("d", 40)
		noErr(t, f.s.UpdateBuild(f.ctx, got), "UpdateBuild")
		again, err := f.s.GetBuild(f.ctx, b.ID)
		noErr(t, err, "GetBuild")
		if again.Commit != got.Commit {
			t.Errorf("UpdateBuild did not store Commit: %q, want %q", again.Commit, got.Commit)
		}
	}},
	{"DeliveryOnce", func(t *testing.T, f *fixture) {
		ps := f.previews(t)
		d := &admin.WebhookDelivery{ID: "github:72d3162e-cc78-11e3-81ab-4c9367dc0958", Provider: "github", Event: "push", ReceivedAt: f.now()}
		noErr(t, ps.RecordDelivery(f.ctx, d), "RecordDelivery")
		if err := ps.RecordDelivery(f.ctx, d); !errors.Is(err, admin.ErrAlreadyExists) {
			t.Errorf("RecordDelivery of a redelivery = %v, want ErrAlreadyExists", err)
		}
		noErr(t, ps.DeleteDelivery(f.ctx, d.ID), "DeleteDelivery")
		if err := ps.DeleteDelivery(f.ctx, d.ID); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("DeleteDelivery of a forgotten delivery = %v, want ErrNotFound", err)
		}
		noErr(t, ps.RecordDelivery(f.ctx, d), "RecordDelivery after DeleteDelivery")
		other := *d
		other.ID = "gitea:72d3162e-cc78-11e3-81ab-4c9367dc0958"
		noErr(t, ps.RecordDelivery(f.ctx, &other), "RecordDelivery of another provider's id")
	}},
	{"DeleteDeliveriesBefore", func(t *testing.T, f *fixture) {
		ps := f.previews(t)
		old, cut, recent := f.now(), f.now(), f.now()
		noErr(t, ps.RecordDelivery(f.ctx, &admin.WebhookDelivery{ID: "github:old", Provider: "github", Event: "push", ReceivedAt: old}), "RecordDelivery")
		noErr(t, ps.RecordDelivery(f.ctx, &admin.WebhookDelivery{ID: "github:new", Provider: "github", Event: "push", ReceivedAt: recent}), "RecordDelivery")
		n, err := ps.DeleteDeliveriesBefore(f.ctx, cut)
		noErr(t, err, "DeleteDeliveriesBefore")
		if n != 1 {
			t.Errorf("DeleteDeliveriesBefore deleted %d, want 1", n)
		}
		if err := ps.RecordDelivery(f.ctx, &admin.WebhookDelivery{ID: "github:old", Provider: "github", Event: "push", ReceivedAt: recent}); err != nil {
			t.Errorf("a forgotten delivery id cannot be recorded again: %v", err)
		}
		if err := ps.RecordDelivery(f.ctx, &admin.WebhookDelivery{ID: "github:new", Provider: "github", Event: "push", ReceivedAt: recent}); !errors.Is(err, admin.ErrAlreadyExists) {
			t.Errorf("a kept delivery id was forgotten: %v", err)
		}
	}},
	{"PreviewLifecycle", func(t *testing.T, f *fixture) {
		ps := f.previews(t)
		_, p, d := f.addChain()
		d2 := f.addDeployment(p.ID)
		pr := f.newPreview(d, 7)
		pr.Fork, pr.Reported = true, "awaiting-approval:"
		noErr(t, ps.CreatePreview(f.ctx, pr), "CreatePreview")
		if err := ps.CreatePreview(f.ctx, f.newPreview(d, 8)); !errors.Is(err, admin.ErrAlreadyExists) {
			t.Errorf("a second preview of one deployment = %v, want ErrAlreadyExists", err)
		}
		missing := f.newPreview(&admin.Deployment{ID: newID(prefixDeployment), ProjectID: p.ID}, 9)
		if err := ps.CreatePreview(f.ctx, missing); !errors.Is(err, admin.ErrConflict) {
			t.Errorf("a preview of a missing deployment = %v, want ErrConflict", err)
		}
		got, err := ps.GetPreview(f.ctx, d.ID)
		noErr(t, err, "GetPreview")
		if !reflect.DeepEqual(got, pr) {
			t.Errorf("GetPreview = %+v, want %+v", got, pr)
		}
		got.HeadSHA, got.ApprovedSHA, got.UpdatedAt, got.ClosedAt = strings.Repeat("b", 40), strings.Repeat("b", 40), f.now(), f.ptr()
		got.Reported, got.Repo = "closed", "acme/renamed"
		noErr(t, ps.UpdatePreview(f.ctx, got), "UpdatePreview")
		if again, err := ps.GetPreview(f.ctx, d.ID); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("GetPreview after UpdatePreview = %+v, %v; want %+v", again, err, got)
		}
		stale := *pr
		if err := ps.UpdatePreview(f.ctx, &stale); !errors.Is(err, admin.ErrConflict) {
			t.Errorf("UpdatePreview with a stale version = %v, want ErrConflict", err)
		}
		second := f.newPreview(d2, 0)
		noErr(t, ps.CreatePreview(f.ctx, second), "CreatePreview")
		list, err := ps.ListPreviews(f.ctx, p.ID, admin.Page{})
		noErr(t, err, "ListPreviews")
		if len(list) != 2 || list[0].DeploymentID > list[1].DeploymentID {
			t.Errorf("ListPreviews = %d previews, want both in deployment id order", len(list))
		}
		noErr(t, f.s.DeleteDeployment(f.ctx, d.ID), "DeleteDeployment")
		if _, err := ps.GetPreview(f.ctx, d.ID); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("the preview outlived its deployment: %v", err)
		}
		noErr(t, f.s.DeleteProject(f.ctx, p.ID), "DeleteProject")
		if list, err := ps.ListPreviews(f.ctx, "", admin.Page{}); err != nil || len(list) != 0 {
			t.Errorf("previews outlived their project: %v %v", list, err)
		}
		if err := ps.UpdatePreview(f.ctx, got); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("UpdatePreview of a deleted preview = %v, want ErrNotFound", err)
		}
	}},
	{"BranchReportLifecycle", func(t *testing.T, f *fixture) {
		rs, ok := f.s.(admin.BranchReportStore)
		if !ok {
			t.Skip("the store has no admin.BranchReportStore capability")
		}
		_, p, d := f.addChain()
		d2 := f.addDeployment(p.ID)
		at := f.now()
		r := &admin.BranchReport{DeploymentID: d.ID, ProjectID: p.ID, Repo: "acme/agents", CreatedAt: at, UpdatedAt: at, Version: 1}
		noErr(t, rs.CreateBranchReport(f.ctx, r), "CreateBranchReport")
		if err := rs.CreateBranchReport(f.ctx, r); !errors.Is(err, admin.ErrAlreadyExists) {
			t.Errorf("a second branch report of one deployment = %v, want ErrAlreadyExists", err)
		}
		missing := *r
		missing.DeploymentID = newID(prefixDeployment)
		if err := rs.CreateBranchReport(f.ctx, &missing); !errors.Is(err, admin.ErrConflict) {
			t.Errorf("a branch report of a missing deployment = %v, want ErrConflict", err)
		}
		got, err := rs.GetBranchReport(f.ctx, d.ID)
		noErr(t, err, "GetBranchReport")
		if !reflect.DeepEqual(got, r) {
			t.Errorf("GetBranchReport = %+v, want %+v", got, r)
		}
		got.Repo, got.Reported, got.UpdatedAt = "acme/renamed", "ready:bld_1", f.now()
		noErr(t, rs.UpdateBranchReport(f.ctx, got), "UpdateBranchReport")
		if again, err := rs.GetBranchReport(f.ctx, d.ID); err != nil || !reflect.DeepEqual(again, got) || again.Version != 2 {
			t.Errorf("GetBranchReport after UpdateBranchReport = %+v, %v; want %+v at version 2", again, err, got)
		}
		stale := *r
		if err := rs.UpdateBranchReport(f.ctx, &stale); !errors.Is(err, admin.ErrConflict) {
			t.Errorf("UpdateBranchReport with a stale version = %v, want ErrConflict", err)
		}
		second := *r
		second.DeploymentID, second.Version = d2.ID, 1
		noErr(t, rs.CreateBranchReport(f.ctx, &second), "CreateBranchReport")
		list, err := rs.ListBranchReports(f.ctx, p.ID, admin.Page{})
		noErr(t, err, "ListBranchReports")
		if len(list) != 2 || list[0].DeploymentID > list[1].DeploymentID {
			t.Errorf("ListBranchReports = %d records, want both in deployment id order", len(list))
		}
		if list, err := rs.ListBranchReports(f.ctx, p.ID, admin.Page{Limit: 1, After: list[0].DeploymentID}); err != nil || len(list) != 1 {
			t.Errorf("ListBranchReports after the first = %d records, %v; want 1", len(list), err)
		}
		noErr(t, f.s.DeleteDeployment(f.ctx, d.ID), "DeleteDeployment")
		if _, err := rs.GetBranchReport(f.ctx, d.ID); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("the branch report outlived its deployment: %v", err)
		}
		noErr(t, f.s.DeleteProject(f.ctx, p.ID), "DeleteProject")
		if list, err := rs.ListBranchReports(f.ctx, "", admin.Page{}); err != nil || len(list) != 0 {
			t.Errorf("branch reports outlived their project: %v %v", list, err)
		}
		if err := rs.UpdateBranchReport(f.ctx, got); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("UpdateBranchReport of a deleted record = %v, want ErrNotFound", err)
		}
	}},
	{"PullRequestNewestWins", func(t *testing.T, f *fixture) {
		ps := f.previews(t)
		_, p, _ := f.addChain()
		_, other, _ := f.addChain()
		t0, t1, t2 := f.now(), f.now(), f.now()
		record := func(projectID string, n int, open bool, sha byte, at time.Time, want bool, what string) {
			t.Helper()
			got, err := ps.RecordPullRequest(f.ctx, &admin.PullRequestState{ProjectID: projectID, Number: n, Open: open,
				HeadSHA: strings.Repeat(string(sha), 40), EventAt: at})
			noErr(t, err, "RecordPullRequest "+what)
			if got != want {
				t.Errorf("RecordPullRequest %s = %v, want %v", what, got, want)
			}
		}
		record(p.ID, 1, true, 'a', t1, true, "the first event")
		record(p.ID, 1, true, 'b', t0, false, "an older synchronize")
		record(p.ID, 1, false, 'a', t2, true, "a newer close")
		record(p.ID, 1, true, 'a', t1, false, "the open delivered after the close")
		record(p.ID, 1, true, 'c', t2, false, "an open as old as the close")
		record(p.ID, 1, false, 'a', t2, true, "the close again")
		record(other.ID, 1, true, 'a', t0, true, "another project's PR 1")
		record(p.ID, 2, true, 'a', t0, true, "another PR")
		record(p.ID, 2, true, 'b', t0, true, "a synchronize as old as the open")
		if _, err := ps.RecordPullRequest(f.ctx, &admin.PullRequestState{ProjectID: newID(prefixProject), Number: 1,
			Open: true, HeadSHA: strings.Repeat("a", 40), EventAt: t0}); !errors.Is(err, admin.ErrConflict) {
			t.Errorf("RecordPullRequest of a missing project = %v, want ErrConflict", err)
		}
		// The states go with their project (no foreign key blocks it).
		noErr(t, f.s.DeleteProject(f.ctx, p.ID), "DeleteProject with pull request states")
	}},
	{"EnvVarScopeRoundTrips", func(t *testing.T, f *fixture) {
		_, p, _ := f.addChain()
		at := f.now()
		p.EnvVars = []admin.EnvVar{
			{Name: "API_URL", KeyID: "k1", Sealed: []byte("sealed-for-every-deployment"), UpdatedAt: at},
			{Name: "API_URL", Scope: admin.EnvScopePreview, KeyID: "k1", Sealed: []byte("sealed-for-previews"), UpdatedAt: at},
		}
		noErr(t, f.s.UpdateProject(f.ctx, p), "UpdateProject")
		got, err := f.s.GetProject(f.ctx, p.ID)
		noErr(t, err, "GetProject")
		if len(got.EnvVars) != 2 || got.EnvVars[0].Scope != "" || got.EnvVars[1].Scope != admin.EnvScopePreview ||
			string(got.EnvVars[1].Sealed) != "sealed-for-previews" {
			t.Errorf("GetProject env vars = %+v, want the unscoped and the preview-scoped API_URL", got.EnvVars)
		}
	}},
}
