//go:build linux

package local

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
)

// The dependency cache keeps one installed node_modules tree per key under
// CacheDir/deps/{key}/node_modules (a treeCache). See the package
// documentation for why reuse is safe.

// installScripts are the root package.json scripts npm ci runs. A project
// with any of them may change files outside node_modules while installing,
// which a restored tree would skip, so such projects are not cached.
var installScripts = []string{"preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare"}

// depsKey returns the cache key of the project's installed dependencies:
// a hash of package-lock.json, package.json, the Node and npm versions and
// the platform. It returns "" and the reason when the tree must not be
// cached: when the lockfile does not pin every package by content hash
// (links, git or directory dependencies) or the project runs install
// scripts of its own.
func depsKey(dir string, pkgJSON []byte, m *manifest, nodeVersion, npmVersion string) (string, string) {
	for _, s := range installScripts {
		if _, ok := m.Scripts[s]; ok {
			return "", fmt.Sprintf("package.json has a %q script", s)
		}
	}
	lockPath := filepath.Join(dir, "package-lock.json")
	if !isFile(lockPath) {
		lockPath = filepath.Join(dir, "npm-shrinkwrap.json")
	}
	var lock npmLock
	lockBytes, err := readJSON(lockPath, &lock)
	if err != nil {
		return "", fmt.Sprintf("lockfile: %v", err)
	}
	if lock.LockfileVersion < 2 || lock.Packages == nil {
		return "", fmt.Sprintf("lockfileVersion %d has no packages section", lock.LockfileVersion)
	}
	for name, p := range lock.Packages {
		if name == "" || p.InBundle {
			continue
		}
		if p.Link || p.Integrity == "" {
			return "", fmt.Sprintf("%s is not pinned by an integrity hash", name)
		}
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte("mastra-admin deps v1"), lockBytes, pkgJSON,
		[]byte(nodeVersion), []byte(npmVersion), []byte(runtime.GOOS + "/" + runtime.GOARCH)} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":"))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], ""
}
