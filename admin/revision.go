package admin

import (
	"context"
	"time"
)

// Revision is the commit a versioned Source copied for a build.
type Revision struct {
	// Commit is the full commit id checked out and verified.
	Commit string `json:"commit"`
	// Author is the commit's author, "Name <email>".
	Author string `json:"author,omitempty"`
	// Message is the commit message, at most MaxCommitMessage bytes.
	Message string `json:"message,omitempty"`
	// Time is the commit's author date.
	Time time.Time `json:"time,omitzero"`
}

// MaxCommitMessage is the most bytes of a commit message a Revision (and
// Build.CommitMessage) keeps; a longer message is cut at a UTF-8 boundary.
const MaxCommitMessage = 4 << 10

// RevisionSource is an optional Source capability: a versioned Source
// (git, GitHub) implements it to say which commit it copied, so that the
// build records it (Build.Commit, CommitAuthor, CommitMessage). It behaves
// as GetProjectPath and also returns that commit.
type RevisionSource interface {
	GetProjectRevision(ctx context.Context, config map[string]string, ref, targetDir string) (string, *Revision, error)
}
