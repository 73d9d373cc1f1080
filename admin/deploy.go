package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/internal/tree"
)

// DefaultArtifactEntry is where a Mastra build leaves its server entry,
// relative to the artifact directory. Rollbacks start it again from a kept
// build directory.
const DefaultArtifactEntry = ".mastra/output/index.mjs"

// requireDeployProviders reports which provider a deploy lacks.
func (a *Admin) requireDeployProviders() error {
	for name, p := range map[string]any{"Runner (admin.WithRunner)": a.runner, "Router (admin.WithRouter)": a.router,
		"BuildLogCache (admin.WithBuildLogCache)": a.logs, "FileStorage (admin.WithFileStorage)": a.files} {
		if p == nil {
			return fmt.Errorf("deploy needs a %s: %w", name, ErrNotSupported)
		}
	}
	return nil
}

// buildDir is the folder of one build.
func (a *Admin) buildDir(buildID string) string { return filepath.Join(a.buildRoot, buildID) }

// Deploy queues a build of the deployment and returns it at once; the
// build workers pick it up from Storage. A queued older build of the same
// deployment is cancelled (superseded). It needs a license in force, and
// the license's running-server limit is checked when the deployment has no
// server yet.
func (a *Admin) Deploy(ctx context.Context, deploymentID string) (b *Build, err error) {
	return a.enqueue(ctx, "deployment.deploy", deploymentID, TriggerManual, nil)
}

// Rollback queues a redeploy of an earlier successful build of the same
// deployment, starting its kept artifact again without rebuilding. It fails
// with ErrConflict when that build's artifact is no longer retained.
func (a *Admin) Rollback(ctx context.Context, deploymentID, buildID string) (b *Build, err error) {
	return a.enqueue(ctx, "deployment.rollback", deploymentID, TriggerRollback, func(d *Deployment) (*Build, error) {
		// A build of another deployment is not found either, so that the
		// caller learns nothing about deployments they may not see.
		src, err := a.store.GetBuild(ctx, buildID)
		if err == nil && src.DeploymentID != d.ID {
			err = ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("build %s of deployment %s: %w", buildID, d.Slug, err)
		}
		return src, a.checkArtifact(src, d)
	})
}

// Promote queues a deploy of a successful build of another deployment of
// the same project (staging's tested build to production, say) without
// building again: the new build (trigger promote) copies that build's
// artifact into its own directory, so the two deployments share no files
// (a project's local database file, say), and starts it with this
// deployment's environment variables. A build of another project is not
// found; one of this very deployment is refused (that is a Rollback). It
// fails with ErrConflict when the build's artifact is no longer retained.
func (a *Admin) Promote(ctx context.Context, deploymentID, buildID string) (b *Build, err error) {
	return a.enqueue(ctx, "deployment.promote", deploymentID, TriggerPromote, func(d *Deployment) (*Build, error) {
		src, err := a.store.GetBuild(ctx, buildID)
		if err == nil && src.ProjectID != d.ProjectID {
			err = ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("build %s of project %s: %w", buildID, d.ProjectID, err)
		}
		if src.DeploymentID == d.ID {
			return nil, invalid("buildId", "build %s is already deployment %s's own: roll back to it instead", buildID, d.Slug)
		}
		return src, a.checkArtifact(src, d)
	})
}

// checkArtifact checks that src, the build a rollback or promotion to d
// deploys again, succeeded and that its artifact is still kept.
func (a *Admin) checkArtifact(src *Build, d *Deployment) error {
	if src.Status != BuildSucceeded {
		return invalid("buildId", "build %s is not a successful build (it is %s)", src.ID, src.Status)
	}
	if _, err := os.Stat(filepath.Join(a.buildDir(src.ArtifactBuildID()), "src", DefaultArtifactEntry)); err != nil {
		return fmt.Errorf("the artifact of build %s is no longer retained: %w", src.ID, ErrConflict)
	}
	return nil
}

// enqueue queues a build of deploymentID. source, when set, returns the
// build whose artifact the new one deploys again (a rollback's, a
// promotion's); the new build records it with its ref and commit.
func (a *Admin) enqueue(ctx context.Context, action, deploymentID string, trigger BuildTrigger,
	source func(*Deployment) (*Build, error)) (b *Build, err error) {
	return a.enqueueRef(ctx, action, deploymentID, trigger, "", source)
}

// enqueueRef is enqueue building ref (a commit id) instead of the
// deployment's branch when ref is set.
func (a *Admin) enqueueRef(ctx context.Context, action, deploymentID string, trigger BuildTrigger, ref string,
	source func(*Deployment) (*Build, error)) (b *Build, err error) {
	o := a.begin(action, "deployment", deploymentID, "")
	defer func() {
		if b != nil {
			o.ev.Metadata["build"] = b.ID
		}
		o.end(ctx, err)
	}()
	d, p, err := a.deploymentFor(ctx, deploymentID, PermDeploy)
	if err != nil {
		return nil, err
	}
	o.ev.TeamID = p.TeamID
	if err := a.checkServerLimit(ctx, d.ID); err != nil {
		return nil, err
	}
	if err := a.requireDeployProviders(); err != nil {
		return nil, err
	}
	now := a.clock()
	b = &Build{ID: NewID(prefixBuild, now), DeploymentID: d.ID, ProjectID: p.ID, Trigger: trigger,
		Status: BuildQueued, QueuedAt: now, UpdatedAt: now, Version: 1}
	if p.SourceType != SourceLocal { // a local source has no versions
		b.Ref = d.Branch
		if b.Ref, err = a.previewRef(ctx, d, ref); err != nil {
			return nil, err
		}
	}
	if source != nil {
		src, err := source(d)
		if err != nil {
			return nil, err
		}
		// A rollback to a rollback deploys the artifact the latter did.
		b.SourceBuildID = src.ArtifactBuildID()
		b.Ref, b.Commit, b.CommitAuthor, b.CommitMessage = src.Ref, src.Commit, src.CommitAuthor, src.CommitMessage
		o.ev.Metadata["source_build"] = src.ID
	}
	if err := a.store.CreateBuild(ctx, b); err != nil {
		return nil, err
	}
	a.supersede(ctx, b)
	a.wakeWorkers()
	return b, nil
}

// supersede cancels the queued builds of b's deployment queued before b.
func (a *Admin) supersede(ctx context.Context, b *Build) {
	queued, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: b.DeploymentID, Statuses: []BuildStatus{BuildQueued}}, Page{})
	if err != nil {
		a.logger.WarnContext(ctx, "list queued builds to supersede", "deployment", b.DeploymentID, "err", err)
		return
	}
	for _, old := range queued {
		if old.ID >= b.ID {
			continue
		}
		old.Status, old.Error = BuildCancelled, "superseded by build "+b.ID
		now := a.clock()
		old.CompletedAt, old.UpdatedAt = &now, now
		// A conflict means a worker claimed it meanwhile: it then runs.
		if err := a.store.UpdateBuild(ctx, old); err != nil && !errors.Is(err, ErrConflict) {
			a.logger.WarnContext(ctx, "supersede build", "build", old.ID, "err", err)
		}
	}
}

// checkServerLimit is the license gate on deploying: it refuses every
// deploy once the license is no longer in force, and a first server for a
// deployment when the license's running-server limit is reached.
func (a *Admin) checkServerLimit(ctx context.Context, deploymentID string) error {
	if err := a.licenseInForce(); err != nil {
		return err
	}
	live := []ServerStatus{ServerStarting, ServerRunning}
	mine, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: deploymentID, Statuses: live}, Page{Limit: 1})
	if err != nil || len(mine) > 0 {
		return err
	}
	all, err := a.store.ListServers(ctx, ServerFilter{Statuses: live}, Page{})
	if err != nil {
		return err
	}
	return a.license.CheckLimit(LimitRunningServers, len(all))
}

// CancelBuild cancels a queued or in-flight build. A build in flight stops at
// its next step (its process group is killed); the server it replaces keeps
// serving. Cancelling an ended build is ErrConflict.
func (a *Admin) CancelBuild(ctx context.Context, buildID string) (err error) {
	o := a.begin("build.cancel", "build", buildID, "")
	defer func() { o.end(ctx, err) }()
	return retryConflict(ctx, func() error {
		b, p, err := a.buildFor(ctx, buildID, PermDeploy)
		if err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if !b.Status.CanTransition(BuildCancelled) {
			return transitionError("build", b.ID, b.Status, BuildCancelled)
		}
		b.Status, b.Error = BuildCancelled, "cancelled by "+actorName(ctx)
		now := a.clock()
		b.UpdatedAt = now
		if b.StartedAt == nil {
			b.CompletedAt = &now
		}
		if err := a.store.UpdateBuild(ctx, b); err != nil {
			return err
		}
		a.cancelInflight(b.ID)
		return nil
	})
}

// StopDeployment stops a deployment's servers and takes its route down to
// 503 until the next deploy.
func (a *Admin) StopDeployment(ctx context.Context, deploymentID string) (err error) {
	o := a.begin("deployment.stop", "deployment", deploymentID, "")
	defer func() { o.end(ctx, err) }()
	d, p, err := a.deploymentFor(ctx, deploymentID, PermDeploy)
	if err != nil {
		return err
	}
	o.ev.TeamID = p.TeamID
	if err := a.requireDeployProviders(); err != nil {
		return err
	}
	if err := a.router.SetRoute(ctx, a.route(p, d, "")); err != nil {
		return err
	}
	if err := a.stopServers(ctx, d.ID, ""); err != nil {
		return err
	}
	return a.setDeploymentStatus(ctx, d.ID, DeploymentStopped, nil)
}

// buildFor loads a build and its project and checks perm. Like projectFor,
// it answers callers without a valid principal with their authentication
// error whether or not the build exists.
func (a *Admin) buildFor(ctx context.Context, id string, perm Permission) (*Build, *Project, error) {
	b, err := a.store.GetBuild(ctx, id)
	if err != nil {
		if _, werr := a.whoami(ctx); werr != nil {
			return nil, nil, werr
		}
		return nil, nil, err
	}
	_, p, err := a.deploymentFor(ctx, b.DeploymentID, perm)
	if err != nil {
		return nil, nil, err
	}
	return b, p, nil
}

// GetBuild returns a build.
func (a *Admin) GetBuild(ctx context.Context, id string) (*Build, error) {
	b, _, err := a.buildFor(ctx, id, PermProjectRead)
	return b, err
}

// ListBuilds lists a deployment's builds, newest first unless page says
// otherwise.
func (a *Admin) ListBuilds(ctx context.Context, deploymentID string, page Page) (List[*Build], error) {
	if _, _, err := a.deploymentFor(ctx, deploymentID, PermProjectRead); err != nil {
		return List[*Build]{}, err
	}
	return paginate(page, func(pg Page) ([]*Build, error) {
		return a.store.ListBuilds(ctx, BuildFilter{DeploymentID: deploymentID}, pg)
	}, func(b *Build) string { return b.ID })
}

// ListServers lists a deployment's server records.
func (a *Admin) ListServers(ctx context.Context, deploymentID string, page Page) (List[*RunningServer], error) {
	if _, _, err := a.deploymentFor(ctx, deploymentID, PermProjectRead); err != nil {
		return List[*RunningServer]{}, err
	}
	return paginate(page, func(pg Page) ([]*RunningServer, error) {
		return a.store.ListServers(ctx, ServerFilter{DeploymentID: deploymentID}, pg)
	}, func(s *RunningServer) string { return s.ID })
}

// FollowBuildLogs yields a build's log from line from on: what the log
// cache holds, then new lines live until the build ends. After the cache
// has let go of an ended build, the lines come from the flushed build.log
// (numbered by their place in that file).
func (a *Admin) FollowBuildLogs(ctx context.Context, buildID string, from int64) (iter.Seq2[LogLine, error], error) {
	b, err := a.GetBuild(ctx, buildID)
	if err != nil {
		return nil, err
	}
	if a.logs == nil {
		return nil, fmt.Errorf("no BuildLogCache configured: %w", ErrNotSupported)
	}
	if from < 0 {
		return nil, invalid("from", "must not be negative")
	}
	if b.Status.Terminal() && b.LogPath != "" && a.files != nil {
		held, err := a.logs.Lines(ctx, buildID, 0, 1)
		if err != nil {
			return nil, err
		}
		if len(held) == 0 {
			return a.readStoredLog(ctx, b.LogPath, from), nil
		}
	}
	return a.logs.Follow(ctx, buildID, from), nil
}

// readStoredLog yields the lines of a flushed build.log from line from on.
func (a *Admin) readStoredLog(ctx context.Context, path string, from int64) iter.Seq2[LogLine, error] {
	return func(yield func(LogLine, error) bool) {
		rc, err := a.files.Read(ctx, path)
		if err != nil {
			yield(LogLine{}, err)
			return
		}
		defer rc.Close()
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := int64(0); sc.Scan(); n++ {
			if n < from {
				continue
			}
			if !yield(ParseLogLine(n, sc.Text()), nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(LogLine{}, err)
		}
	}
}

// ParseLogLine reads back a FormatLogLine line; a line that is not in that
// form comes back whole as Text.
func ParseLogLine(seq int64, s string) LogLine {
	l := LogLine{Seq: seq, Text: s}
	ts, rest, ok := strings.Cut(s, " [")
	if !ok {
		return l
	}
	phase, rest, ok := strings.Cut(rest, "] ")
	if !ok {
		return l
	}
	t, err := parseLogTime(ts)
	if err != nil {
		return l
	}
	l.Time, l.Phase = t, phase
	if phase == "-" {
		l.Phase = ""
	}
	if stream, text, ok := strings.Cut(rest, ": "); ok && (stream == "stdout" || stream == "stderr") {
		l.Stream, rest = stream, text
	}
	l.Text = unescapeLog.Replace(rest)
	return l
}

func parseLogTime(s string) (time.Time, error) { return time.Parse(logTimeLayout, s) }

// promoteArtifact copies the artifact of the build b promotes into b's own
// directory and returns it: files under node_modules hard-linked (nothing
// writes them at run time), every other file copied, so that the two
// deployments' servers share no file either may write.
func (a *Admin) promoteArtifact(b *Build, dir string, logf LogFunc) (*Artifact, error) {
	from, to := filepath.Join(a.buildDir(b.SourceBuildID), "src"), filepath.Join(dir, "src")
	logf("admin", "", "promoting the artifact of build "+b.SourceBuildID)
	// A copy left by an admin that died while promoting is made again.
	if err := os.RemoveAll(to); err != nil {
		return nil, fmt.Errorf("promote: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("promote: %w", err)
	}
	start := time.Now()
	if err := tree.Link(from, to, inNodeModules, nil); err != nil {
		return nil, fmt.Errorf("copy the artifact of build %s: %w", b.SourceBuildID, err)
	}
	logf("admin", "", "copied the artifact in "+time.Since(start).Round(time.Millisecond).String())
	return &Artifact{Dir: to, Entry: DefaultArtifactEntry}, nil
}

// inNodeModules reports whether the slash-separated relative path rel is
// inside a node_modules directory.
func inNodeModules(rel string) bool {
	return strings.HasPrefix(rel, "node_modules/") || strings.Contains(rel, "/node_modules/")
}
