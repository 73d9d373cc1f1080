package bundler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// ensureDeps makes the packages gen's runtime imports resolvable from
// projectDir: a package the project already has is used as it is; a missing
// one is installed into the build copy with `npm install --no-save` at the
// newest version whose peerDependencies admit the project's @mastra/core.
// package.json and the lockfile are not changed.
func (r *runner) ensureDeps(ctx context.Context, projectDir string, gen *generation, core *semver.Version) error {
	for _, dep := range gen.deps {
		if v, peer, err := installedVersion(projectDir, dep.name); err == nil {
			if peer != "" && !admits(peer, core) {
				r.log.note(fmt.Sprintf("warning: the project's %s %s declares @mastra/core %q, which does not admit %s", dep.name, v, peer, core))
			}
			r.log.note(fmt.Sprintf("using the project's %s %s", dep.name, v))
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("bundler: %s: %w", dep.name, err)
		}
		if !isFile(filepath.Join(projectDir, "package-lock.json")) && !isFile(filepath.Join(projectDir, "npm-shrinkwrap.json")) &&
			(isFile(filepath.Join(projectDir, "pnpm-lock.yaml")) || isFile(filepath.Join(projectDir, "yarn.lock")) ||
				isFile(filepath.Join(projectDir, "bun.lock")) || isFile(filepath.Join(projectDir, "bun.lockb"))) {
			return fmt.Errorf("bundler: the %s runtime needs %s, which this project (not installed with npm) lacks: add it to the project's dependencies: %w",
				gen.name, dep.name, admin.ErrNotSupported)
		}
		npm, err := r.npm()
		if err != nil {
			return err
		}
		version, err := r.pickVersion(ctx, npm, projectDir, dep, core)
		if err != nil {
			return err
		}
		if err := privateFile(filepath.Join(projectDir, "node_modules", ".package-lock.json")); err != nil {
			return fmt.Errorf("bundler: install %s: %w", dep.name, err)
		}
		start := time.Now()
		spec := dep.name + "@" + version.String()
		if _, err := r.run(ctx, projectDir, false, npm, "install", "--no-save", "--no-audit", "--no-fund",
			"--prefer-offline", "--loglevel=warn", spec); err != nil {
			return err
		}
		if _, _, err := installedVersion(projectDir, dep.name); err != nil {
			return fmt.Errorf("bundler: npm installed %s but %s is not resolvable from %s: %w", spec, dep.name, projectDir, err)
		}
		r.log.note(fmt.Sprintf("added %s to the build copy (not saved to package.json) in %s", spec, time.Since(start).Round(time.Millisecond)))
	}
	return nil
}

// installedVersion reads node_modules/{name}/package.json: the version and
// the @mastra/core peer range it declares.
func installedVersion(projectDir, name string) (string, string, error) {
	var pkg struct {
		Version string            `json:"version"`
		Peer    map[string]string `json:"peerDependencies"`
	}
	if err := readJSON(filepath.Join(projectDir, "node_modules", filepath.FromSlash(name), "package.json"), &pkg); err != nil {
		return "", "", err
	}
	return pkg.Version, pkg.Peer[corePackage], nil
}

// admits reports whether the npm range r admits v.
func admits(r string, v *semver.Version) bool {
	c, err := semver.NewConstraint(r)
	return err == nil && c.Check(v)
}

// pickVersion asks the registry (through npm, so the project's .npmrc and
// the npm cache apply) for dep's versions and their peerDependencies, and
// returns the newest whose @mastra/core peer range admits core.
func (r *runner) pickVersion(ctx context.Context, npm, projectDir string, dep runtimeDep, core *semver.Version) (*semver.Version, error) {
	out, err := r.run(ctx, projectDir, true, npm, "view", "--json", "--prefer-offline", "--loglevel=error",
		dep.name+"@"+dep.versions, "version", "peerDependencies")
	if err != nil {
		return nil, err
	}
	v, err := newestAdmitting(strings.NewReader(out), core)
	if err != nil {
		return nil, fmt.Errorf("bundler: %s@%s: %w", dep.name, dep.versions, err)
	}
	r.log.note(fmt.Sprintf("%s %s is the newest release for @mastra/core %s", dep.name, v, core))
	return v, nil
}

// npmVersionInfo is one element of `npm view --json … version
// peerDependencies`.
type npmVersionInfo struct {
	Version string            `json:"version"`
	Peer    map[string]string `json:"peerDependencies"`
}

// newestAdmitting parses `npm view --json … version peerDependencies`
// (an object for one matching version, an array for several) and returns
// the newest stable-or-prerelease version whose @mastra/core peer range
// admits core; a version without such a peer range does not qualify.
func newestAdmitting(r io.Reader, core *semver.Version) (*semver.Version, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var infos []npmVersionInfo
	if err := json.Unmarshal(b, &infos); err != nil {
		var one npmVersionInfo
		if err2 := json.Unmarshal(b, &one); err2 != nil {
			return nil, fmt.Errorf("cannot read npm view output: %v", err)
		}
		infos = []npmVersionInfo{one}
	}
	var best *semver.Version
	for _, info := range infos {
		v, err := semver.StrictNewVersion(info.Version)
		if err != nil {
			continue
		}
		if peer := info.Peer[corePackage]; peer == "" || !admits(peer, core) {
			continue
		}
		if v.Prerelease() != "" && core.Prerelease() == "" {
			continue // a stable core gets a stable package
		}
		if best == nil || v.GreaterThan(best) {
			best = v
		}
	}
	if best == nil {
		return nil, fmt.Errorf("none of its %d releases declares a @mastra/core peer range admitting %s: %w", len(infos), core, admin.ErrNotSupported)
	}
	return best, nil
}

// privateFile gives path a content of its own when it is a hard link, so
// that writing it cannot change the other links (a runner's dependency
// cache shares installed files by hard links; npm rewrites
// node_modules/.package-lock.json in place).
func privateFile(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if linkCount(fi) <= 1 || !fi.Mode().IsRegular() {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp := path + ".mastra-admin-tmp"
	if err := os.WriteFile(tmp, b, fi.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
