//go:build linux

package local

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/bundler"
)

// The build output cache keeps one .mastra/output per key under
// CacheDir/outputs/{key}/output (a treeCache). A build whose key matches an
// entry restores it and runs neither the install nor the build. See the
// package documentation for why reuse is safe.

// outputVersion names the way this runner builds in mode (the command or
// the bundler's version, the entry it expects, the layout of an entry).
// Changing any of them changes it, so that entries of another runner or
// bundler are never reused.
func outputVersion(mode BuildMode) string {
	how := "node_modules/.bin/mastra build"
	if mode != BuildPlain {
		how = "bundler " + mode.String() + " " + bundler.Fingerprint()
	}
	return "mastra-admin build output v2: " + how + " -> " + Entry
}

// outputShare reports which files of a cached build output are hard-linked
// rather than copied: those under a node_modules folder (about 160 MB that
// `mastra build` installs and nothing writes to). The bundle itself
// (index.mjs and its chunks, package.json, a few MB) is copied, so that
// nothing a server might write next to its entry point can reach the cache.
func outputShare(rel string) bool {
	return slices.Contains(strings.Split(rel, "/"), "node_modules")
}

// secretFile holds the output cache's random key for HMAC, so that output
// keys, which appear in build logs, cannot be used to test guesses of the
// build's env var values.
const secretFile = ".secret"

// loadSecret reads the cache's secret from root, creating it when missing.
// Concurrent callers, in this process or others sharing the cache, agree on
// one secret: it is written to a temporary file and linked into place. A
// secret that is not 32 bytes (a truncated write) is replaced, under the
// cache's file lock; the entries keyed with the old one are then never hit
// and age out.
func loadSecret(root string, log *slog.Logger) ([]byte, error) {
	path := filepath.Join(root, secretFile)
	read := func() ([]byte, error) {
		b, err := os.ReadFile(path)
		if err == nil && len(b) != 32 {
			err = fmt.Errorf("%w: %s holds %d bytes, want 32", errCorrupt, path, len(b))
		}
		return b, err
	}
	b, err := read()
	if err == nil || !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errCorrupt) {
		return b, err
	}
	if errors.Is(err, errCorrupt) {
		unlock, lerr := lockFile(context.Background(), filepath.Join(root, ".lock"))
		if lerr != nil {
			return nil, lerr
		}
		defer unlock()
		if _, err := read(); errors.Is(err, errCorrupt) { // not replaced meanwhile
			log.Warn("replacing the build output cache's damaged secret", "err", err)
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	tmp, err := os.CreateTemp(root, ".secret-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails
	_, err = tmp.Write(secret)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return read()
}

// outputKey returns the cache key of a build: an HMAC, under the cache's
// secret, of the runner's build version (outputVersion), the dependency
// key (lockfile, package.json, Node and npm versions, platform), the
// source tree, and the environment of the build (names and values) but
// PATH. PATH only finds the tools that run the build, and the ones that
// shape its output, Node and npm, are in the dependency key by version;
// keying it would make every admin started from another shell, or under
// `go test` (which puts GOROOT/bin first), rebuild.
func outputKey(secret []byte, version, depsKey, tree string, env []string) string {
	h := hmac.New(sha256.New, secret)
	part(h, version)
	part(h, depsKey)
	part(h, tree)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			part(h, kv)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// part writes s to h with its length first, so that no two sequences of
// parts hash alike.
func part(h hash.Hash, s string) {
	h.Write([]byte(strconv.Itoa(len(s)) + ":"))
	h.Write([]byte(s))
}

// treeHash returns a SHA-256 over the tree at dir: each entry's relative
// path, type and permission bits, a regular file's content, a symbolic
// link's target. It leaves out .git folders at any depth and the paths in
// skip (absolute): what the build writes (node_modules, .mastra) and the
// runner's own records. Sockets and devices are left out too.
func treeHash(dir string, skip ...string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		if slices.Contains(skip, path) || d.IsDir() && d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode() & (fs.ModeType | fs.ModePerm)
		switch {
		case d.IsDir():
			part(h, "d "+mode.String()+" "+filepath.ToSlash(rel))
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			part(h, "l "+filepath.ToSlash(rel))
			part(h, target)
		case d.Type().IsRegular():
			part(h, "f "+mode.String()+" "+filepath.ToSlash(rel))
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			sum := sha256.New()
			_, err = io.Copy(sum, f)
			f.Close()
			if err != nil {
				return err
			}
			part(h, string(sum.Sum(nil)))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
