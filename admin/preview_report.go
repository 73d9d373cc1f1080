package admin

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Preview states reported to a PreviewReporter.
const (
	// PreviewBuilding: a build of the preview is queued or in flight.
	PreviewBuilding = "building"
	// PreviewAwaitingApproval: a fork's head commit waits for a team
	// member's ApprovePreview.
	PreviewAwaitingApproval = "awaiting-approval"
	// PreviewReady: the newest build succeeded and the URL serves it.
	PreviewReady = "ready"
	// PreviewFailed: the newest build failed (Build.Error says why).
	PreviewFailed = "failed"
	// PreviewCancelled: the newest build was cancelled.
	PreviewCancelled = "cancelled"
	// PreviewClosed: the pull request closed; the preview is torn down.
	PreviewClosed = "closed"
)

// PreviewEvent is one change of a platform-made preview, for the pull
// request's page.
type PreviewEvent struct {
	// Repo is the repository's full name (owner/name).
	Repo       string
	Project    *Project
	Deployment *Deployment
	Preview    *Preview
	// State is one of the Preview* states above.
	State string
	// URL is the preview's public URL.
	URL string
	// BuildID is the preview's newest build: the one building, ready,
	// failed or cancelled; Build is that build (nil for the other states).
	BuildID string
	Build   *Build
}

// PreviewReporter tells a pull request what its preview is doing
// (source/github's Reporter: one sticky comment, a commit status, a GitHub
// Deployment and its status, a check run with an App). The preview worker
// calls ReportPreview once for each state a pull-request preview reaches:
// building, awaiting approval, its build's end (ready, failed, cancelled)
// and closed. The state reported is recorded (Preview.Reported), so a
// change made while no admin ran (a build that ended as its admin
// stopped) is reported by the next one; a failed report is tried again
// each round, except a closed preview's, whose teardown does not wait.
// Its error is logged.
type PreviewReporter interface {
	ReportPreview(ctx context.Context, ev PreviewEvent) error
}

// WithPreviewReporter sets who reports previews back to pull requests.
func WithPreviewReporter(r PreviewReporter) Option {
	return func(c *config) error { c.hooks.reporter = r; return nil }
}

// previewState is what pr is now, with its newest build for the states
// that name one; "" when there is nothing to say (no build yet).
func (a *Admin) previewState(ctx context.Context, pr *Preview) (string, *Build, error) {
	switch {
	case pr.ClosedAt != nil:
		return PreviewClosed, nil, nil
	case pr.AwaitingApproval():
		return PreviewAwaitingApproval, nil, nil
	}
	return a.buildState(ctx, pr.DeploymentID)
}

// buildState is the state of a deployment's newest build (building,
// ready, failed or cancelled) and that build; "" and nil when it has none.
func (a *Admin) buildState(ctx context.Context, deploymentID string) (string, *Build, error) {
	list, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: deploymentID}, Page{Limit: 1, Desc: true})
	if err != nil || len(list) == 0 {
		return "", nil, err
	}
	b := list[0]
	if b.CompletedAt == nil { // an ending build is settled once CompletedAt is set
		return PreviewBuilding, b, nil
	}
	switch b.Status {
	case BuildSucceeded:
		return PreviewReady, b, nil
	case BuildFailed:
		return PreviewFailed, b, nil
	case BuildCancelled:
		return PreviewCancelled, b, nil
	}
	return PreviewBuilding, b, nil
}

// ReportClaimTimeout is how long a report in flight (Preview.Reported
// holding a claim, see reportPreview) keeps the other admins from
// reporting that preview before they take its reporter for dead and
// report its state themselves. It is longer than any reporter's calls
// take (source/github's make a few requests).
const ReportClaimTimeout = 2 * time.Minute

// reportClaimPrefix starts Preview.Reported while a report is in flight:
// "claim {unix nanoseconds} {key last reported}".
const reportClaimPrefix = "claim "

// reportClaim is a report in flight read from Preview.Reported: since when,
// and the state reported before it.
func reportClaim(reported string) (at time.Time, last string, ok bool) {
	rest, ok := strings.CutPrefix(reported, reportClaimPrefix)
	if !ok {
		return time.Time{}, "", false
	}
	ns, last, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.Unix(0, n), last, true
}

// reportPreview tells the reporter, when there is one, the state of a
// pull-request preview when it is not the one last reported, and records
// it (Preview.Reported; pr's version moves on).
//
// Several admin processes run preview workers on one Storage, so a report
// is claimed first: Preview.Reported becomes a claim under the store's
// version check, and only the admin whose claim was stored reports. While
// a claim is fresh no other admin reports anything of that preview, so
// its pull request hears its states once each and in order (a "ready"
// never overwritten by an older "building" still in flight). A failed
// report gives its claim back (the state is tried again next round); a
// claim left by an admin that died is taken over after
// ReportClaimTimeout, so a state is reported at least once. It returns
// true while another admin's report of pr is in flight: pr's teardown
// waits for it, so that the closed state is reported after it.
func (a *Admin) reportPreview(ctx context.Context, ps PreviewStore, pr *Preview) (inFlight bool) {
	r := a.hooks.reporter
	if r == nil || pr.Number == 0 || pr.Repo == "" {
		return false
	}
	last, inFlight := a.lastReport(pr.Reported)
	if inFlight {
		return true
	}
	state, b, err := a.previewState(ctx, pr)
	if err != nil {
		a.logger.WarnContext(ctx, "read a preview's state to report it", "deployment", pr.DeploymentID, "err", err)
		return false
	}
	key := state
	switch {
	case b != nil:
		key += ":" + b.ID
	case state == PreviewAwaitingApproval:
		key += ":" + pr.HeadSHA
	}
	if state == "" || key == last {
		return false
	}
	d, err := a.store.GetDeployment(ctx, pr.DeploymentID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.logger.WarnContext(ctx, "read a preview's deployment to report it", "deployment", pr.DeploymentID, "err", err)
		}
		return false
	}
	p, err := a.store.GetProject(ctx, pr.ProjectID)
	if err != nil {
		a.logger.WarnContext(ctx, "read a preview's project to report it", "deployment", pr.DeploymentID, "err", err)
		return false
	}
	if !a.claimReport(ctx, &previewSlot{ps: ps, pr: pr}, last) {
		// Changed meanwhile (another admin claimed it, a new commit, a
		// close): looked at again next round.
		return false
	}
	ev := PreviewEvent{Repo: pr.Repo, Project: p, Deployment: d, Preview: pr, State: state, URL: d.PublicURL, Build: b}
	if b != nil {
		ev.BuildID = b.ID
	}
	if err := r.ReportPreview(ctx, ev); err != nil {
		a.logger.WarnContext(ctx, "report a preview to its pull request", "deployment", d.ID, "state", state, "err", err)
		key = last // the claim given back: tried again next round
	}
	cur := *pr // pr itself keeps what the caller read: a close that arrived meanwhile is acted on next round
	a.settleReport(ctx, &previewSlot{ps: ps, pr: &cur}, key)
	return false
}

// reportSlot is the record that keeps what was reported of one
// deployment: a pull request's Preview, a branch's BranchReport.
type reportSlot interface {
	// id names the record in logs.
	id() string
	// reported is the record's Reported as last read or written.
	reported() string
	// write stores the record as last read with Reported set, under the
	// store's version check.
	write(ctx context.Context, reported string) error
	// reload reads the record again.
	reload(ctx context.Context) error
}

// lastReport returns the state last reported according to a record's
// Reported, and whether another admin's report of it is in flight (a
// claim younger than ReportClaimTimeout).
func (a *Admin) lastReport(reported string) (last string, inFlight bool) {
	at, before, ok := reportClaim(reported)
	switch {
	case !ok:
		return reported, false
	case a.clock().Sub(at) < ReportClaimTimeout:
		return "", true
	}
	return before, false
}

// claimReport makes this admin the one reporting the slot's deployment: its
// Reported becomes a claim holding last, under the store's version check.
// It reports whether the claim was stored.
func (a *Admin) claimReport(ctx context.Context, slot reportSlot, last string) bool {
	return slot.write(ctx, reportClaimPrefix+strconv.FormatInt(a.clock().UnixNano(), 10)+" "+last) == nil
}

// settleReport replaces this admin's claim on the slot's record with key,
// the state now reported (or the one reported before, when the report
// failed). A webhook may have changed the record while the report was in
// flight: then it is read again and settled as long as it still holds the
// claim, so the others do not wait out ReportClaimTimeout.
func (a *Admin) settleReport(ctx context.Context, slot reportSlot, key string) {
	for range 5 {
		claim := slot.reported()
		err := slot.write(ctx, key)
		if err == nil {
			return
		}
		gerr := slot.reload(ctx)
		if gerr != nil || slot.reported() != claim {
			if ctx.Err() == nil && !errors.Is(gerr, ErrNotFound) {
				a.logger.InfoContext(ctx, "record the state reported", "deployment", slot.id(), "err", errors.Join(err, gerr))
			}
			return
		}
	}
}

// previewSlot is the reportSlot of a Preview.
type previewSlot struct {
	ps PreviewStore
	pr *Preview
}

func (s *previewSlot) id() string       { return s.pr.DeploymentID }
func (s *previewSlot) reported() string { return s.pr.Reported }

func (s *previewSlot) write(ctx context.Context, reported string) error {
	s.pr.Reported = reported
	return s.ps.UpdatePreview(ctx, s.pr)
}

func (s *previewSlot) reload(ctx context.Context) error {
	fresh, err := s.ps.GetPreview(ctx, s.pr.DeploymentID)
	if err == nil {
		*s.pr = *fresh
	}
	return err
}
