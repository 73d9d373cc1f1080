//go:build linux

package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// The admin's build orchestrator copies a project into a build directory,
// builds it, starts the server, and later stops it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "build-")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	// Stands for a Mastra project copied by a Source: a small npm project
	// whose "mastra build" writes a fake server.
	if err := runnertest.WriteFakeProject(src); err != nil {
		fmt.Println(err)
		return
	}

	// BuildPlain: the fake project stands in for Mastra, which the default
	// (instrumenting) build needs.
	r, err := local.New(&local.Options{CacheDir: filepath.Join(dir, "cache"), BuildMode: local.BuildPlain})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	phases := map[string]bool{}
	a, err := r.Build(ctx, admin.BuildSpec{Dir: dir, SourceDir: src}, func(phase, stream, text string) {
		phases[phase] = true // a real caller appends to the BuildLogCache
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("entry:", a.Entry, "phases:", phases["install"], phases["build"])

	s, err := r.Start(ctx, admin.StartSpec{Artifact: *a, Env: map[string]string{"OPENAI_API_KEY": "sk-…"}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status:", s.Status, s.Health)

	if err := r.Stop(ctx, s); err != nil {
		fmt.Println(err)
		return
	}
	h, _ := r.Health(ctx, s)
	fmt.Println("after stop:", h)
	// Output:
	// entry: .mastra/output/index.mjs phases: true true
	// status: running healthy
	// after stop: unhealthy
}

// After a restart the admin hands each RunningServer it recorded to a new
// runner: live servers are adopted, dead ones reported.
func ExampleRunner_Reattach() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "build-")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	if err := runnertest.WriteFakeProject(src); err != nil {
		fmt.Println(err)
		return
	}
	opts := &local.Options{CacheDir: filepath.Join(dir, "cache"), BuildMode: local.BuildPlain} // the fake project stands in for Mastra
	before, _ := local.New(opts)
	a, err := before.Build(ctx, admin.BuildSpec{Dir: dir, SourceDir: src}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := before.Start(ctx, admin.StartSpec{Artifact: *a}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	before.Close() // the admin exits; the server keeps running

	after, _ := local.New(opts)
	defer after.Close()
	alive, _ := after.Reattach(ctx, s)
	fmt.Println("adopted:", alive)
	_ = after.Stop(ctx, s)
	alive, _ = after.Reattach(ctx, s)
	fmt.Println("adopted after stop:", alive)
	// Output:
	// adopted: true
	// adopted after stop: false
}
