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
	list, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: pr.DeploymentID}, Page{Limit: 1, Desc: true})
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
	last := pr.Reported
	if at, before, ok := reportClaim(pr.Reported); ok {
		if a.clock().Sub(at) < ReportClaimTimeout {
			return true
		}
		last = before
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
	pr.Reported = reportClaimPrefix + strconv.FormatInt(a.clock().UnixNano(), 10) + " " + last
	if err := ps.UpdatePreview(ctx, pr); err != nil {
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
	a.settleReport(ctx, ps, pr, key)
	return false
}

// settleReport replaces this admin's claim on pr with key, the state now
// reported (or the one reported before, when the report failed). A
// webhook may have changed pr while the report was in flight: then it is
// read again and settled as long as it still holds the claim, so the
// others do not wait out ReportClaimTimeout.
// pr itself keeps what the caller read (a close that arrived meanwhile is
// acted on next round, after its own report).
func (a *Admin) settleReport(ctx context.Context, ps PreviewStore, pr *Preview, key string) {
	cur := *pr
	for range 5 {
		claim := cur.Reported
		cur.Reported = key
		err := ps.UpdatePreview(ctx, &cur)
		if err == nil {
			return
		}
		fresh, gerr := ps.GetPreview(ctx, pr.DeploymentID)
		if gerr != nil || fresh.Reported != claim {
			if ctx.Err() == nil && !errors.Is(gerr, ErrNotFound) {
				a.logger.InfoContext(ctx, "record a preview's reported state", "deployment", pr.DeploymentID, "err", errors.Join(err, gerr))
			}
			return
		}
		cur = *fresh
	}
}
