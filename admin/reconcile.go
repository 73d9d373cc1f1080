package admin

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultReconcileInterval is how often, by default, the reconciler
// compares previews with their repositories.
const DefaultReconcileInterval = 5 * time.Minute

// RefState is what a repository holds now, as the preview reconciler
// needs it.
type RefState struct {
	// Branches are the repository's branch names.
	Branches map[string]bool
	// OpenPulls are the numbers of its open pull requests; nil when the
	// source cannot tell (plain git: refs/pull/N/head outlive their pull
	// request), and then pull-request previews are left alone.
	OpenPulls map[int]bool
}

// RefStateSource is an optional Source capability for the preview
// reconciler: source/git lists branches, source/github also open pull
// requests.
type RefStateSource interface {
	RefState(ctx context.Context, config map[string]string) (*RefState, error)
}

// reconcileState paces the reconciler, and wakes the preview worker.
type reconcileState struct {
	mu   sync.Mutex
	last time.Time
	// wake asks the preview worker for a round (wakePreviews).
	wake chan struct{}
}

// reconcilePreviews, run from the preview worker at most every
// PreviewOptions.ReconcileInterval, tears down the platform-made previews
// whose pull request is no longer open or whose branch is gone: the
// webhook that should have said so may have been lost. It never touches a
// deployment without a Preview record.
func (a *Admin) reconcilePreviews(ctx context.Context, ps PreviewStore, list []*Preview) {
	st := a.hooks.state
	if st == nil {
		return
	}
	st.mu.Lock()
	now := a.clock()
	due := now.Sub(st.last) >= a.previewOptions().ReconcileInterval
	if due {
		st.last = now
	}
	st.mu.Unlock()
	if !due {
		return
	}
	states := map[string]*RefState{} // by project
	for _, pr := range list {
		if pr.ClosedAt != nil {
			continue
		}
		rs, ok := states[pr.ProjectID]
		if !ok {
			rs = a.refState(ctx, pr.ProjectID)
			states[pr.ProjectID] = rs
		}
		if rs == nil {
			continue
		}
		gone := ""
		switch {
		case pr.Number > 0 && rs.OpenPulls != nil && !rs.OpenPulls[pr.Number]:
			gone = fmt.Sprintf("pull request #%d is no longer open", pr.Number)
		case pr.Number == 0 && rs.Branches != nil && !rs.Branches[pr.Branch]:
			gone = fmt.Sprintf("branch %s no longer exists", pr.Branch)
		}
		if gone == "" {
			continue
		}
		at := a.clock()
		pr.ClosedAt, pr.UpdatedAt = &at, at
		if err := ps.UpdatePreview(ctx, pr); err != nil {
			continue // changed meanwhile: looked at again next time
		}
		a.logger.InfoContext(ctx, "reconciler tears down a preview", "deployment", pr.DeploymentID, "why", gone)
	}
}

// refState asks the project's source what its repository holds; nil when
// it cannot say.
func (a *Admin) refState(ctx context.Context, projectID string) *RefState {
	p, err := a.store.GetProject(ctx, projectID)
	if err != nil {
		return nil
	}
	src, err := a.sourceOf(p.SourceType)
	if err != nil {
		return nil
	}
	rss, ok := src.(RefStateSource)
	if !ok {
		return nil
	}
	rs, err := rss.RefState(ctx, p.SourceConfig)
	if err != nil {
		a.logger.WarnContext(ctx, "reconciler: read the repository's refs", "project", p.ID, "err", err)
		return nil
	}
	return rs
}
