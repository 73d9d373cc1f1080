package local_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/source/local"
)

func Example() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "projects-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	for name, data := range map[string]string{
		"support/package.json":             `{"name": "support-agent", "dependencies": {"@mastra/core": "^1.71.0"}}`,
		"support/pnpm-lock.yaml":           "lockfileVersion: '9.0'\n",
		"support/src/mastra/index.ts":      "export const mastra = {};\n",
		"support/node_modules/x/index.js":  "left out of copies\n",
		"teams/search/package.json":        `{"name": "search", "devDependencies": {"@mastra/core": "0.24.9"}}`,
		"teams/search/src/mastra/index.js": "export const mastra = {};\n",
		"website/package.json":             `{"name": "website", "dependencies": {"next": "15.0.0"}}`,
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Println(err)
			return
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}

	src, err := local.New(root, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	projects, err := src.ListProjects(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range projects {
		fmt.Printf("%s: %s (%s, @mastra/core %s)\n", p.Config["path"], p.Name, p.PackageManager, p.CoreRange)
	}

	// Copy the first project into a build directory.
	builds, err := os.MkdirTemp("", "builds-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(builds)
	dir, err := src.GetProjectPath(ctx, projects[0].Config, "", filepath.Join(builds, "b_1", "src"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fmt.Println("copied", p)
		}
		return err
	})
	// Output:
	// support: support-agent (pnpm, @mastra/core ^1.71.0)
	// teams/search: search (npm, @mastra/core 0.24.9)
	// copied package.json
	// copied pnpm-lock.yaml
	// copied src/mastra/index.ts
}
