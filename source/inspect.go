package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// MaxPackageJSONSize is the largest package.json Inspect reads.
const MaxPackageJSONSize = 1 << 20

// CorePackage is the npm package whose presence marks a Mastra project.
const CorePackage = "@mastra/core"

// Package managers Inspect reports.
const (
	NPM  = "npm"
	PNPM = "pnpm"
	Yarn = "yarn"
	Bun  = "bun"
)

// entryFiles are the Mastra entry points, in the order they are looked for.
var entryFiles = [...]string{"src/mastra/index.ts", "src/mastra/index.js", "src/mastra/index.mjs"}

// lockfiles map a lockfile to its package manager, in the order they are
// looked for.
var lockfiles = [...]struct{ file, manager string }{
	{"bun.lock", Bun},
	{"bun.lockb", Bun},
	{"pnpm-lock.yaml", PNPM},
	{"yarn.lock", Yarn},
	{"package-lock.json", NPM},
	{"npm-shrinkwrap.json", NPM},
}

// Manifest is what Inspect learns about a Mastra project.
type Manifest struct {
	// Name is package.json's "name"; empty when it has none.
	Name string
	// CoreRange is the declared @mastra/core version range, as written.
	CoreRange string
	// PackageManager is npm, pnpm, yarn or bun.
	PackageManager string
	// Entry is the slash path of the Mastra entry file, e.g.
	// src/mastra/index.ts.
	Entry string
}

// NotProjectError explains why a directory is not a Mastra project. It wraps
// admin.ErrInvalidArgument, and Err when set.
type NotProjectError struct {
	// Reason says what is missing or wrong, e.g. "no package.json".
	Reason string
	// Err is set when a file exists but could not be read or parsed: a
	// malformed package.json rather than a directory that is simply
	// something else.
	Err error
}

func (e *NotProjectError) Error() string {
	if e.Err != nil {
		return "not a Mastra project: " + e.Reason + ": " + e.Err.Error()
	}
	return "not a Mastra project: " + e.Reason
}

// Unwrap makes errors.Is(err, admin.ErrInvalidArgument) true, and exposes
// the cause.
func (e *NotProjectError) Unwrap() []error {
	if e.Err != nil {
		return []error{admin.ErrInvalidArgument, e.Err}
	}
	return []error{admin.ErrInvalidArgument}
}

// packageJSON is the part of package.json Inspect reads.
type packageJSON struct {
	Name            string            `json:"name"`
	PackageManager  string            `json:"packageManager"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

// Inspect reports whether the root of fsys is a Mastra project and what it
// declares. Give it a file system confined to the project (os.Root.FS), so
// that symbolic links cannot lead it outside. It returns a *NotProjectError
// when the directory is not a Mastra project.
func Inspect(fsys fs.FS) (*Manifest, error) {
	pkg, err := readPackageJSON(fsys)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Name: pkg.Name}
	var ok bool
	if m.CoreRange, ok = pkg.Dependencies[CorePackage]; !ok {
		if m.CoreRange, ok = pkg.DevDependencies[CorePackage]; !ok {
			return nil, &NotProjectError{Reason: "package.json does not depend on " + CorePackage}
		}
	}
	for _, f := range entryFiles {
		if isRegular(fsys, f) {
			m.Entry = f
			break
		}
	}
	if m.Entry == "" {
		return nil, &NotProjectError{Reason: "no src/mastra/index.ts|js|mjs"}
	}
	m.PackageManager = packageManager(fsys, pkg.PackageManager)
	return m, nil
}

func readPackageJSON(fsys fs.FS) (*packageJSON, error) {
	f, err := fsys.Open("package.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NotProjectError{Reason: "no package.json"}
	}
	if err != nil {
		return nil, &NotProjectError{Reason: "cannot open package.json", Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &NotProjectError{Reason: "cannot stat package.json", Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &NotProjectError{Reason: "package.json is not a regular file", Err: fmt.Errorf("its mode is %v", st.Mode())}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPackageJSONSize+1))
	if err != nil {
		return nil, &NotProjectError{Reason: "cannot read package.json", Err: err}
	}
	if len(data) > MaxPackageJSONSize {
		return nil, &NotProjectError{Reason: fmt.Sprintf("package.json is larger than %d bytes", MaxPackageJSONSize),
			Err: errors.New("file too large")}
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, &NotProjectError{Reason: "package.json is not valid", Err: err}
	}
	return &pkg, nil
}

// packageManager returns the manager named by the packageManager field
// ("pnpm@9.1.0"), else the one whose lockfile is present, else npm.
func packageManager(fsys fs.FS, field string) string {
	name, _, _ := strings.Cut(field, "@")
	switch name {
	case NPM, PNPM, Yarn, Bun:
		return name
	}
	for _, l := range lockfiles {
		if isRegular(fsys, l.file) {
			return l.manager
		}
	}
	return NPM
}

func isRegular(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && st.Mode().IsRegular()
}
