package bundler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// requireShim defines require in the ESM output, for bundled CommonJS.
const requireShim = "import { createRequire as __mastraAdminCreateRequire } from 'node:module';\n" +
	"const require = __mastraAdminCreateRequire(import.meta.url);"

// buildFast bundles the wrapper entry and the project's source into
// outFile with esbuild, every package left external (resolved from the
// project's node_modules at run time). The deployer's aliases are served
// here: '#mastra' is the project's Mastra module, '#server'
// @mastra/deployer/server, '#tools' an empty list.
func buildFast(projectDir string, w workDir, mastraEntry, outFile string) error {
	if !isFile(filepath.Join(projectDir, "node_modules", "@mastra", "deployer", "package.json")) {
		return fmt.Errorf("bundler: the fast build serves with @mastra/deployer/server, which is not installed in %s (the mastra CLI brings it)", projectDir)
	}
	if err := os.RemoveAll(filepath.Dir(outFile)); err != nil {
		return fmt.Errorf("bundler: %w", err)
	}
	aliases := api.Plugin{
		Name: "mastra-admin-aliases",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `^#(mastra|server|tools)$`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				switch a.Path {
				case "#mastra":
					return api.OnResolveResult{Path: mastraEntry}, nil
				case "#server":
					return api.OnResolveResult{Path: "@mastra/deployer/server", External: true}, nil
				default:
					return api.OnResolveResult{Path: "tools", Namespace: "mastra-admin"}, nil
				}
			})
			b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "mastra-admin"}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
				contents := "export const tools = [];\n"
				return api.OnLoadResult{Contents: &contents, Loader: api.LoaderJS}, nil
			})
		},
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:   []string{w.entry},
		AbsWorkingDir: projectDir,
		Bundle:        true,
		Platform:      api.PlatformNode,
		Format:        api.FormatESModule,
		Target:        api.ES2022,
		Packages:      api.PackagesExternal,
		Outfile:       outFile,
		Write:         true,
		LogLevel:      api.LogLevelSilent,
		Banner:        map[string]string{"js": requireShim},
		Plugins:       []api.Plugin{aliases},
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return fmt.Errorf("bundler: fast build failed:\n%s", strings.Join(msgs, ""))
	}
	return nil
}
