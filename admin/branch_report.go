package admin

import (
	"context"
	"errors"
	"time"
)

// BranchReport is what the preview worker last told the BranchReporter of
// one deployment that follows a branch of a repository (production,
// staging, a branch preview): each state of its newest build is reported
// once, whichever admin process sees it first, and one that changed while
// no admin ran is reported after a restart, as Preview.Reported does for
// pull requests. The record is made when a push webhook first deploys the
// deployment; it goes with its deployment.
type BranchReport struct {
	// DeploymentID is the deployment's id (the record's key).
	DeploymentID string `json:"deploymentId"`
	ProjectID    string `json:"projectId"`
	// Repo is the repository's full name (owner/name), as the webhooks
	// name it: where the builds are reported.
	Repo string `json:"repo"`
	// Reported is the state last reported ("{state}:{build id}"), or a
	// report in flight (see ReportClaimTimeout).
	Reported  string    `json:"reported,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// BranchReportStore is an optional Storage capability (storage/sqlite and
// storage/postgres have it) that reporting branch builds needs. Create,
// Get and Update follow the rules of Storage; a BranchReport goes with its
// deployment (DeleteDeployment, DeleteProject).
type BranchReportStore interface {
	// CreateBranchReport stores r; ErrAlreadyExists when its deployment
	// has one, ErrConflict when the deployment or project does not exist.
	CreateBranchReport(ctx context.Context, r *BranchReport) error
	GetBranchReport(ctx context.Context, deploymentID string) (*BranchReport, error)
	// ListBranchReports lists a project's records (every project's with
	// ""), ordered by DeploymentID.
	ListBranchReports(ctx context.Context, projectID string, page Page) ([]*BranchReport, error)
	UpdateBranchReport(ctx context.Context, r *BranchReport) error
}

// BranchBuildEvent is one state of the newest build of a deployment that
// follows a branch, for the repository's commit page.
type BranchBuildEvent struct {
	// Repo is the repository's full name (owner/name).
	Repo       string
	Project    *Project
	Deployment *Deployment
	// State is PreviewBuilding, PreviewReady, PreviewFailed or
	// PreviewCancelled.
	State string
	// URL is the deployment's public URL.
	URL string
	// Build is the deployment's newest build; Build.Commit is the commit
	// it built.
	Build *Build
}

// BranchReporter tells a repository what the builds of the deployments
// that follow its branches did (source/github's Reporter: a commit status
// and a GitHub Deployment in the deployment's environment). A PreviewReporter (WithPreviewReporter) that is also a
// BranchReporter gets, from the preview worker, each state of the newest
// build of every deployment a push webhook deployed: building (unless the
// build ended before the worker's next round), then its end (ready,
// failed or cancelled), once each, in order, across admin processes and
// restarts. A failed report is tried again each round; its
// error is logged.
type BranchReporter interface {
	ReportBranchBuild(ctx context.Context, ev BranchBuildEvent) error
}

// branchReporting returns the store and the reporter of branch builds, or
// false when either is missing.
func (a *Admin) branchReporting() (BranchReportStore, BranchReporter, bool) {
	rs, ok := a.store.(BranchReportStore)
	r, rok := a.hooks.reporter.(BranchReporter)
	return rs, r, ok && rok
}

// trackBranch makes the builds of d, which a push to a branch of repo
// deployed, reported to repo from now on.
func (a *Admin) trackBranch(ctx context.Context, d *Deployment, repo string) {
	rs, _, ok := a.branchReporting()
	if !ok || repo == "" {
		return
	}
	now := a.clock()
	err := rs.CreateBranchReport(ctx, &BranchReport{DeploymentID: d.ID, ProjectID: d.ProjectID, Repo: repo, CreatedAt: now, UpdatedAt: now, Version: 1})
	if errors.Is(err, ErrAlreadyExists) {
		cur, gerr := rs.GetBranchReport(ctx, d.ID)
		if gerr != nil || cur.Repo == repo {
			return
		}
		cur.Repo, cur.UpdatedAt = repo, now // the repository was renamed
		err = rs.UpdateBranchReport(ctx, cur)
	}
	if err != nil && !errors.Is(err, ErrConflict) {
		a.logger.WarnContext(ctx, "record where a deployment's builds are reported", "deployment", d.ID, "err", err)
	}
}

// reportBranches reports every tracked deployment whose newest build
// changed state (reportBranch).
func (a *Admin) reportBranches(ctx context.Context) {
	rs, r, ok := a.branchReporting()
	if !ok {
		return
	}
	for page := (Page{Limit: 500}); ; {
		list, err := rs.ListBranchReports(ctx, "", page)
		if err != nil {
			if ctx.Err() == nil {
				a.logger.WarnContext(ctx, "list branch reports", "err", err)
			}
			return
		}
		for _, rep := range list {
			a.reportBranch(ctx, rs, r, rep)
		}
		if len(list) < page.Limit {
			return
		}
		page.After = list[len(list)-1].DeploymentID
	}
}

// reportBranch tells r the state of rep's deployment's newest build when
// it is not the one last reported, under a claim as reportPreview does.
func (a *Admin) reportBranch(ctx context.Context, rs BranchReportStore, r BranchReporter, rep *BranchReport) {
	last, inFlight := a.lastReport(rep.Reported)
	if inFlight {
		return
	}
	state, b, err := a.buildState(ctx, rep.DeploymentID)
	if err != nil {
		a.logger.WarnContext(ctx, "read a deployment's build to report it", "deployment", rep.DeploymentID, "err", err)
		return
	}
	if b == nil {
		return
	}
	key := state + ":" + b.ID
	if key == last {
		return
	}
	d, err := a.store.GetDeployment(ctx, rep.DeploymentID)
	if err != nil {
		return // gone: its record goes with it
	}
	p, err := a.store.GetProject(ctx, rep.ProjectID)
	if err != nil {
		return
	}
	slot := &branchSlot{rs: rs, rep: rep}
	if !a.claimReport(ctx, slot, last) {
		return // changed meanwhile: looked at again next round
	}
	if err := r.ReportBranchBuild(ctx, BranchBuildEvent{Repo: rep.Repo, Project: p, Deployment: d, State: state,
		URL: d.PublicURL, Build: b}); err != nil {
		a.logger.WarnContext(ctx, "report a build to its repository", "deployment", d.ID, "state", state, "err", err)
		key = last // the claim given back: tried again next round
	}
	a.settleReport(ctx, slot, key)
}

// branchSlot is the reportSlot of a BranchReport.
type branchSlot struct {
	rs  BranchReportStore
	rep *BranchReport
}

func (s *branchSlot) id() string       { return s.rep.DeploymentID }
func (s *branchSlot) reported() string { return s.rep.Reported }

func (s *branchSlot) write(ctx context.Context, reported string) error {
	s.rep.Reported = reported
	return s.rs.UpdateBranchReport(ctx, s.rep)
}

func (s *branchSlot) reload(ctx context.Context) error {
	fresh, err := s.rs.GetBranchReport(ctx, s.rep.DeploymentID)
	if err == nil {
		s.rep = fresh
	}
	return err
}
