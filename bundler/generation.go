package bundler

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// A generation is one observability API of @mastra/core that the bundler
// can instrument: which core versions have it, the runtime module that
// installs the FileExporter and FileLogger on it, the wrapper entry that
// starts the server, and the packages that runtime imports beyond the
// project's own dependencies.
//
// Adding a generation takes one file declaring it (see generation_v1.go),
// its two runtime files (runtime/{name}.mjs and runtime/entry-{name}.mjs),
// and one line in generations.
type generation struct {
	// name is short and stable ("v1"): it names the runtime files.
	name string
	// versions is the @mastra/core range this generation covers.
	versions string
	// summary says what the generation uses, for errors and docs.
	summary string
	// deps are packages the runtime imports that the project may lack.
	deps []runtimeDep
}

// runtimeDep is a package the runtime imports, added to the build copy
// when the project does not have it.
type runtimeDep struct {
	name string
	// versions bounds the versions considered; the newest whose
	// peerDependencies admit the project's @mastra/core is installed.
	versions string
}

// generations lists every supported generation, newest first.
var generations = []*generation{generationV1, generationV0}

// runtimeFile is the generation's instrumentation module.
func (g *generation) runtimeFile() string { return g.name + ".mjs" }

// entryFile is the generation's wrapper entry.
func (g *generation) entryFile() string { return "entry-" + g.name + ".mjs" }

// UnsupportedVersionError reports a @mastra/core version no generation
// covers. It wraps admin.ErrNotSupported.
type UnsupportedVersionError struct {
	Version *semver.Version
	// Source is where the version was found (see DetectCoreVersion).
	Source string
	// Supported lists the supported ranges, newest first.
	Supported []string
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("bundler: @mastra/core %s (from %s) is not supported: supported versions are %s",
		e.Version, e.Source, strings.Join(e.Supported, "; "))
}

// Unwrap makes errors.Is(err, admin.ErrNotSupported) hold.
func (e *UnsupportedVersionError) Unwrap() error { return admin.ErrNotSupported }

// SupportedVersions lists the @mastra/core ranges the bundler can
// instrument, each with what it uses, newest first.
func SupportedVersions() []string {
	out := make([]string, 0, len(generations))
	for _, g := range generations {
		out = append(out, fmt.Sprintf("%s (%s: %s)", g.versions, g.name, g.summary))
	}
	return out
}

// generationFor returns the generation covering v.
func generationFor(v *semver.Version, source string) (*generation, error) {
	for _, g := range generations {
		c, err := semver.NewConstraint(g.versions)
		if err != nil {
			return nil, fmt.Errorf("bundler: generation %s: bad range %q: %w", g.name, g.versions, err)
		}
		if c.Check(v) {
			return g, nil
		}
	}
	return nil, &UnsupportedVersionError{Version: v, Source: source, Supported: SupportedVersions()}
}

// CheckProject tells, before the project's dependencies are installed,
// whether Build could instrument it: it detects the @mastra/core version
// as Build does (DetectCoreVersion: here mostly from the lockfile or the
// declared range) and returns an *UnsupportedVersionError when no
// generation covers it, so that a runner can refuse the build before
// downloading anything. It returns nil when the version is supported or
// cannot be told yet; Build checks again after the install.
func CheckProject(projectDir string) error {
	v, source, err := DetectCoreVersion(projectDir)
	if err != nil {
		return nil
	}
	_, err = generationFor(v, source)
	return err
}
