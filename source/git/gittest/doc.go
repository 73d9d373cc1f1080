// Package gittest runs a real git server over HTTP in the test process, for
// the tests of git sources and of what uses them (webhooks, previews).
//
// The server is git's own git-http-backend run through net/http/cgi behind
// Basic auth, serving bare repositories the test makes; Repo commits files
// through a working clone, and UpdateRef makes refs such as
// refs/pull/N/head as GitHub does. No network is involved.
//
//	srv := gittest.NewServer(t, "s3cret")
//	repo := srv.NewRepo(t, "agents")
//	sha := repo.Commit(t, "main", map[string]string{"package.json": "{}"}, "first")
//	repo.UpdateRef(t, "refs/pull/1/head", sha)
//
// The server also speaks the Git LFS API (the batch endpoint of each
// repository, objects downloaded and uploaded through it) behind the same
// auth: AddLFSObject stores an object and gives the pointer file to commit.
//
// # Finding git-http-backend
//
// Backend looks at MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND, then at git's exec
// path (git --exec-path); without it a test is skipped, or failed when
// MASTRA_ADMIN_TEST_REQUIRE_SERVICES=1. LFS finds git-lfs the same way
// (MASTRA_ADMIN_TEST_GIT_LFS, then PATH). scripts/services/git.sh installs
// git and git-lfs with apt when they are missing and exports the
// variables.
package gittest
