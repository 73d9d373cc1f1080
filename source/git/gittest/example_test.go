package gittest_test

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
)

// A test makes a repository on an in-process git server, commits to it,
// and makes a pull request's head ref as GitHub does.
func TestExample(t *testing.T) {
	srv := gittest.NewServer(t, "s3cret")
	repo := srv.NewRepo(t, "agents")
	repo.Commit(t, "main", map[string]string{"README.md": "hello\n"}, "first")
	head := repo.Commit(t, "feature", map[string]string{"tool.ts": "export {};\n"}, "a tool")
	repo.UpdateRef(t, "refs/pull/1/head", head)
	got := gittest.Git(t, repo.Dir, "rev-parse", "refs/pull/1/head")
	if got != head {
		t.Fatalf("refs/pull/1/head is %s, want %s", got, head)
	}
}
