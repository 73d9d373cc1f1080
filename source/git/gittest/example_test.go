package gittest_test

import (
	"strings"
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

// A test commits a file tracked by Git LFS: the server holds the object,
// the repository the pointer file; git-lfs fetches the object through the
// server's batch API when a clone checks the file out.
func TestExampleLFS(t *testing.T) {
	srv := gittest.NewServer(t, "s3cret")
	repo := srv.NewRepo(t, "weights")
	pointer := srv.AddLFSObject([]byte("large model weights"))
	repo.Commit(t, "main", map[string]string{
		".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n",
		"model.bin":      pointer,
	}, "weights")
	oid := strings.TrimPrefix(strings.Split(pointer, "\n")[1], "oid sha256:")
	if data, ok := srv.LFSObject(oid); !ok || string(data) != "large model weights" {
		t.Fatalf("the server holds %q for %s", data, oid)
	}
}
