package bundler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/bundler"
)

// ExampleDetectCoreVersion reads the version from the lockfile when the
// dependencies are not installed yet.
func ExampleDetectCoreVersion() {
	dir, _ := os.MkdirTemp("", "project")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{"@mastra/core":"^1.71.0"}}`), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "package-lock.json"),
		[]byte(`{"lockfileVersion":3,"packages":{"node_modules/@mastra/core":{"version":"1.71.2"}}}`), 0o644)

	v, source, err := bundler.DetectCoreVersion(dir)
	fmt.Println(v, source, err)
	// Output: 1.71.2 package-lock.json <nil>
}

// ExampleBuild shows the refusal of a Mastra version no generation covers:
// nothing is built, and the error names what is supported.
func ExampleBuild() {
	dir, _ := os.MkdirTemp("", "project")
	defer os.RemoveAll(dir)
	_ = os.MkdirAll(filepath.Join(dir, "src", "mastra"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "src", "mastra", "index.ts"), []byte("export const mastra = {};\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{"@mastra/core":"0.1.0"}}`), 0o644)

	_, err := bundler.Build(context.Background(), bundler.Options{
		ProjectDir: dir, ProjectID: "proj_1", DeploymentID: "dep_1", BuildID: "build_1",
		Node: os.Args[0], // not run: the version is refused first
	})
	var unsupported *bundler.UnsupportedVersionError
	fmt.Println(errors.As(err, &unsupported), errors.Is(err, admin.ErrNotSupported), unsupported.Version)
	for _, r := range unsupported.Supported {
		fmt.Println(r[:22])
	}
	// Output:
	// true true 0.1.0
	// >=1.20.0-0, <2.0.0-0 (
	// >=0.18.0-0, <1.0.0-0 (
}
