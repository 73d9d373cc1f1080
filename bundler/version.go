package bundler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// corePackage is the package whose version picks the API generation.
const corePackage = "@mastra/core"

// maxJSON caps the size of package.json and lockfiles read here.
const maxJSON = 64 << 20

// Sources DetectCoreVersion reports.
const (
	SourceInstalled = "node_modules/@mastra/core/package.json"
	SourceLockfile  = "package-lock.json"
	SourceManifest  = "package.json"
)

// DetectCoreVersion tells which @mastra/core version the project in
// projectDir uses, and where it learnt it (source):
//
//  1. the installed node_modules/@mastra/core/package.json (SourceInstalled);
//  2. package-lock.json or npm-shrinkwrap.json, packages["node_modules/@mastra/core"]
//     (or, for lockfileVersion 1, dependencies["@mastra/core"]) (SourceLockfile);
//  3. the range declared in package.json (dependencies, devDependencies or
//     peerDependencies): its floor, the lowest version the range admits
//     (SourceManifest, followed by the range).
//
// It fails with an error wrapping admin.ErrInvalidArgument when none of
// them names a version, or when a file it reads is not valid JSON.
func DetectCoreVersion(projectDir string) (*semver.Version, string, error) {
	installed := filepath.Join(projectDir, "node_modules", "@mastra", "core", "package.json")
	var pkg struct {
		Version string `json:"version"`
	}
	switch err := readJSON(installed, &pkg); {
	case err == nil:
		v, err := semver.StrictNewVersion(pkg.Version)
		if err != nil {
			return nil, "", invalidProject("%s has version %q, which is not a semantic version", SourceInstalled, pkg.Version)
		}
		return v, SourceInstalled, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", invalidProject("%s: %v", SourceInstalled, err)
	}

	for _, name := range []string{"package-lock.json", "npm-shrinkwrap.json"} {
		var lock struct {
			Packages map[string]struct {
				Version string `json:"version"`
			} `json:"packages"`
			Dependencies map[string]struct {
				Version string `json:"version"`
			} `json:"dependencies"`
		}
		err := readJSON(filepath.Join(projectDir, name), &lock)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", invalidProject("%s: %v", name, err)
		}
		version := lock.Packages["node_modules/"+corePackage].Version
		if version == "" {
			version = lock.Dependencies[corePackage].Version
		}
		if version == "" {
			break // the lockfile does not know @mastra/core: try package.json
		}
		v, err := semver.StrictNewVersion(version)
		if err != nil {
			return nil, "", invalidProject("%s records %s %q, which is not a semantic version", name, corePackage, version)
		}
		return v, name, nil
	}

	var manifest struct {
		Dependencies     map[string]string `json:"dependencies"`
		DevDependencies  map[string]string `json:"devDependencies"`
		PeerDependencies map[string]string `json:"peerDependencies"`
	}
	if err := readJSON(filepath.Join(projectDir, "package.json"), &manifest); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", invalidProject("no package.json in %s", projectDir)
		}
		return nil, "", invalidProject("package.json: %v", err)
	}
	for _, deps := range []map[string]string{manifest.Dependencies, manifest.DevDependencies, manifest.PeerDependencies} {
		if r, ok := deps[corePackage]; ok {
			v, err := RangeFloor(r)
			if err != nil {
				return nil, "", invalidProject("package.json declares %s %q: %v; install the dependencies first", corePackage, r, err)
			}
			return v, fmt.Sprintf("%s range %q", SourceManifest, r), nil
		}
	}
	return nil, "", invalidProject("%s is not installed, locked or declared in package.json: is this a Mastra project?", corePackage)
}

func invalidProject(format string, args ...any) error {
	return fmt.Errorf("bundler: detect %s version: %w", corePackage,
		&admin.ValidationError{Field: "ProjectDir", Reason: fmt.Sprintf(format, args...)})
}

// readJSON decodes a JSON file of at most maxJSON bytes.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJSON+1))
	if err != nil {
		return err
	}
	if len(b) > maxJSON {
		return fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), maxJSON)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is not valid JSON: %w", filepath.Base(path), err)
	}
	return nil
}

// comparator matches one comparator of an npm range: an operator and a
// version that may have wildcards ("1.x", "2", "*").
var comparator = regexp.MustCompile(`^(\^|~|>=|<=|>|<|=)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?)$`)

// RangeFloor returns the lowest version an npm version range admits, found
// among the versions its comparators name ("^1.2.3" → 1.2.3, ">=1.2 <2" →
// 1.2.0, "1.x || >=2.1.0" → 1.0.0, ">1.2.3" → 1.2.4). It fails for what is
// not a version range (a dist-tag such as "latest", a URL, a path, "*")
// and for a range that admits none of those versions.
func RangeFloor(r string) (*semver.Version, error) {
	r = strings.TrimSpace(r)
	if r == "" || r == "*" || strings.EqualFold(r, "x") || strings.Contains(r, ":") || strings.Contains(r, "/") {
		return nil, fmt.Errorf("%q names no version", r)
	}
	c, err := semver.NewConstraint(r)
	if err != nil {
		return nil, fmt.Errorf("%q is not a version range: %v", r, err)
	}
	var candidates []*semver.Version
	for _, alt := range strings.Split(r, "||") {
		// "1.2.3 - 2.0.0" (hyphen range): the first version is its floor.
		fields := strings.FieldsFunc(strings.ReplaceAll(alt, " - ", " "), func(c rune) bool { return c == ' ' || c == ',' || c == '\t' })
		// Operators written apart from their version (">= 1.2.3").
		for i := 0; i < len(fields); i++ {
			if strings.Trim(fields[i], "^~<>=") == "" && i+1 < len(fields) {
				fields[i+1] = fields[i] + fields[i+1]
				fields = slices.Delete(fields, i, i+1)
			}
		}
		for _, f := range fields {
			m := comparator.FindStringSubmatch(f)
			if m == nil {
				continue
			}
			op, ver := m[1], m[2]
			if op == "<" || op == "<=" {
				continue // an upper bound: its floor is 0.0.0, tried below
			}
			v, err := wildcardVersion(ver)
			if err != nil {
				continue
			}
			if op == ">" {
				next := v.IncPatch()
				v = &next
			}
			candidates = append(candidates, v)
		}
	}
	candidates = append(candidates, semver.New(0, 0, 0, "", ""))
	slices.SortFunc(candidates, func(a, b *semver.Version) int { return a.Compare(b) })
	for _, v := range candidates {
		if c.Check(v) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no version satisfies %q", r)
}

// wildcardVersion parses "1", "1.2", "1.x", "1.2.*" with missing or wild
// parts as 0.
func wildcardVersion(s string) (*semver.Version, error) {
	main, pre, _ := strings.Cut(s, "-")
	parts := strings.Split(main, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	for i, p := range parts {
		if p == "x" || p == "X" || p == "*" {
			parts[i] = "0"
		}
	}
	v := strings.Join(parts, ".")
	if pre != "" {
		v += "-" + pre
	}
	return semver.StrictNewVersion(v)
}
