package bundler

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// buildFaithful runs the build script (runtime/build.mjs) with node: the
// project's @mastra/deployer bundles the wrapper entry into
// outDir/output, writes its package.json and installs its dependencies,
// as `mastra build` does.
func (r *runner) buildFaithful(ctx context.Context, projectDir string, w workDir, mastraEntry, outDir string) error {
	if !isFile(filepath.Join(projectDir, "node_modules", "@mastra", "deployer", "package.json")) {
		return fmt.Errorf("bundler: the faithful build needs @mastra/deployer in node_modules (the mastra CLI brings it): add \"mastra\" to devDependencies, or use Fast: %w",
			&admin.ValidationError{Field: "ProjectDir", Reason: "@mastra/deployer is not installed"})
	}
	args, err := json.Marshal(map[string]string{
		"root":            projectDir,
		"mastraDir":       filepath.Dir(mastraEntry),
		"mastraEntryFile": mastraEntry,
		"entryFile":       w.entry,
		"outputDirectory": outDir,
	})
	if err != nil {
		return fmt.Errorf("bundler: %w", err)
	}
	_, err = r.run(ctx, projectDir, false, r.node, w.build, string(args))
	return err
}
