package runnertest_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// WriteFakeProject writes an npm project that builds without the network.
func ExampleWriteFakeProject() {
	dir, _ := os.MkdirTemp("", "fake-")
	defer os.RemoveAll(dir)
	if err := runnertest.WriteFakeProject(dir); err != nil {
		fmt.Println(err)
		return
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			fmt.Println(rel)
		}
		return err
	})
	// Output:
	// package-lock.json
	// package.json
	// src/mastra/index.ts
	// vendor/fake-mastra-1.0.0.tgz
	// vendor/fake-mastra-core-1.0.0.tgz
}
