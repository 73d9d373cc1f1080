package admin

import (
	"context"
	"strings"
)

// copySource copies the project's code for build b into target. With a
// RevisionSource it records the commit copied on b (Commit, CommitAuthor,
// CommitMessage) and in the build's log.
func (a *Admin) copySource(ctx context.Context, src Source, p *Project, b *Build, target string, logf LogFunc) (string, error) {
	rs, ok := src.(RevisionSource)
	if !ok {
		return src.GetProjectPath(ctx, p.SourceConfig, b.Ref, target)
	}
	dir, rev, err := rs.GetProjectRevision(ctx, p.SourceConfig, b.Ref, target)
	if err != nil || rev == nil {
		return dir, err
	}
	subject, _, _ := strings.Cut(rev.Message, "\n")
	logf("copy", "", "commit "+rev.Commit+" by "+rev.Author+": "+subject)
	err = a.updateBuild(ctx, b, func(b *Build) error {
		if b.Status == BuildCancelled {
			return errCancelled
		}
		b.Commit, b.CommitAuthor, b.CommitMessage = rev.Commit, rev.Author, capCommitMessage(rev.Message)
		return nil
	})
	return dir, err
}

// capCommitMessage cuts m to MaxCommitMessage bytes at a UTF-8 boundary.
func capCommitMessage(m string) string {
	if len(m) <= MaxCommitMessage {
		return m
	}
	return strings.ToValidUTF8(m[:MaxCommitMessage], "")
}
