package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source"
)

// Defaults for Options.
const (
	DefaultMaxFiles = 20_000
	DefaultMaxBytes = 512 << 20
	DefaultMaxDepth = 3
)

// ConfigPath is the config key naming a project: its slash-separated path
// relative to the projects directory.
const ConfigPath = "path"

// alwaysSkipped are left out of discovery and copies at any depth:
// dependencies, version control, Mastra's build folder and common build
// outputs.
var alwaysSkipped = [...]string{
	"node_modules", ".git", ".mastra",
	"dist", ".output", ".turbo", ".next", "coverage", ".cache",
}

// Options tunes a Source. The zero value (or nil) means defaults.
type Options struct {
	// MaxFiles is the most entries (files, directories and symbolic links)
	// one copy may hold; default DefaultMaxFiles.
	MaxFiles int
	// MaxBytes is the most file content one copy may hold; default
	// DefaultMaxBytes.
	MaxBytes int64
	// MaxDepth is how many directory levels below the projects directory
	// ListProjects looks for projects (1: only its children); default
	// DefaultMaxDepth.
	MaxDepth int
	// Skip lists more file or directory names to leave out of discovery and
	// copies, at any depth, beside node_modules, .git, .mastra, dist,
	// .output, .turbo, .next, coverage and .cache.
	Skip []string
	// Logger receives warnings (a skipped malformed package.json) and debug
	// notes; default: discard.
	Logger *slog.Logger
}

// Source serves the Mastra projects found under one directory. It is safe
// for concurrent use.
type Source struct {
	root     string // absolute, symlinks resolved
	maxFiles int
	maxBytes int64
	maxDepth int
	skip     map[string]bool
	log      *slog.Logger
}

var _ admin.Source = (*Source)(nil)

// New returns a Source serving the projects under root (PROJECTS_DIR), which
// must be an existing directory. opts may be nil.
func New(root string, opts *Options) (*Source, error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.MaxFiles < 0 || opts.MaxBytes < 0 || opts.MaxDepth < 0 {
		return nil, fmt.Errorf("source/local: MaxFiles, MaxBytes and MaxDepth must not be negative: %w", admin.ErrInvalidArgument)
	}
	if root == "" {
		return nil, fmt.Errorf("source/local: projects directory must not be empty: %w", admin.ErrInvalidArgument)
	}
	abs, err := filepath.Abs(root)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("source/local: projects directory %q: %w: %w", root, admin.ErrInvalidArgument, err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("source/local: projects directory %q is not a directory: %w", root, admin.ErrInvalidArgument)
	}
	s := &Source{
		root:     abs,
		maxFiles: cmp.Or(opts.MaxFiles, DefaultMaxFiles),
		maxBytes: cmp.Or(opts.MaxBytes, DefaultMaxBytes),
		maxDepth: cmp.Or(opts.MaxDepth, DefaultMaxDepth),
		skip:     make(map[string]bool),
		log:      opts.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "source/local")
	for _, n := range alwaysSkipped {
		s.skip[n] = true
	}
	for _, n := range opts.Skip {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
			return nil, fmt.Errorf("source/local: Skip entry %q must be a plain file or directory name: %w", n, admin.ErrInvalidArgument)
		}
		s.skip[n] = true
	}
	return s, nil
}

// Type reports admin.SourceLocal.
func (s *Source) Type() admin.SourceType { return admin.SourceLocal }

// Root returns the projects directory, absolute and with symbolic links
// resolved.
func (s *Source) Root() string { return s.root }

// ListProjects returns the Mastra projects found up to Options.MaxDepth
// levels below the projects directory, sorted by path. It does not follow
// symbolic links, skips dot directories and the skipped names, and does not
// look inside a project it found. A directory whose package.json cannot be
// read is skipped with a warning.
func (s *Source) ListProjects(ctx context.Context) ([]admin.ProjectSource, error) {
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return nil, fmt.Errorf("source/local: list projects: %w", err)
	}
	defer r.Close()
	var out []admin.ProjectSource
	if err := s.discover(ctx, r, ".", 0, &out); err != nil {
		return nil, fmt.Errorf("source/local: list projects: %w", err)
	}
	slices.SortFunc(out, func(a, b admin.ProjectSource) int {
		return strings.Compare(a.Config[ConfigPath], b.Config[ConfigPath])
	})
	return out, nil
}

func (s *Source) discover(ctx context.Context, dir *os.Root, rel string, depth int, out *[]admin.ProjectSource) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := source.Inspect(dir.FS())
	if err == nil {
		*out = append(*out, s.projectSource(rel, m))
		return nil
	}
	if npe, ok := errors.AsType[*source.NotProjectError](err); ok && npe.Err != nil {
		s.log.WarnContext(ctx, "skipping directory with an unreadable package.json", "path", rel, "err", err)
	}
	if depth >= s.maxDepth {
		return nil
	}
	entries, err := readDir(dir)
	if err != nil {
		if depth == 0 {
			return err
		}
		s.log.WarnContext(ctx, "skipping unreadable directory", "path", rel, "err", err)
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || s.skip[name] {
			continue
		}
		sub, err := dir.OpenRoot(name)
		if err != nil {
			s.log.WarnContext(ctx, "skipping unreadable directory", "path", path.Join(rel, name), "err", err)
			continue
		}
		err = s.discover(ctx, sub, path.Join(rel, name), depth+1, out)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) projectSource(rel string, m *source.Manifest) admin.ProjectSource {
	name := m.Name
	if name == "" {
		name = path.Base(rel)
		if rel == "." {
			name = filepath.Base(s.root)
		}
	}
	return admin.ProjectSource{
		Name:           name,
		Type:           admin.SourceLocal,
		Config:         map[string]string{ConfigPath: rel},
		PackageManager: m.PackageManager,
		CoreRange:      m.CoreRange,
	}
}

// Validate checks that config["path"] names a Mastra project inside the
// projects directory, symbolic links resolved. Every failure is an
// *admin.ValidationError (field "path", or "config" for an unknown key).
func (s *Source) Validate(ctx context.Context, config map[string]string) error {
	p, err := s.open(ctx, config)
	if err != nil {
		return err
	}
	p.root.Close()
	return nil
}

// project is a validated project, open for reading.
type project struct {
	rel  string   // config path, cleaned
	dir  string   // absolute, symlinks resolved
	root *os.Root // confined to dir
}

// open validates config and opens the project it names.
func (s *Source) open(ctx context.Context, config map[string]string) (*project, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("source/local: %w", err)
	}
	rel, err := checkConfig(config)
	if err != nil {
		return nil, fmt.Errorf("source/local: %w", err)
	}
	invalidPath := func(format string, args ...any) error {
		return fmt.Errorf("source/local: %w", &admin.ValidationError{Field: ConfigPath, Reason: fmt.Sprintf(format, args...)})
	}
	resolved, err := filepath.EvalSymlinks(filepath.Join(s.root, filepath.FromSlash(rel)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, invalidPath("%q does not exist in the projects directory", rel)
	case err != nil:
		return nil, invalidPath("%q cannot be resolved: %v", rel, err)
	}
	inRoot, ok := within(s.root, resolved)
	if !ok {
		return nil, invalidPath("%q resolves outside the projects directory (through a symbolic link)", rel)
	}
	// Open through a Root of the projects directory: whatever changes on
	// disk after the check above, the project cannot lie outside it.
	projects, err := os.OpenRoot(s.root)
	if err != nil {
		return nil, fmt.Errorf("source/local: open projects directory: %w", err)
	}
	defer projects.Close()
	r, err := projects.OpenRoot(filepath.FromSlash(inRoot))
	if err != nil {
		return nil, invalidPath("%q cannot be opened as a directory inside the projects directory: %v", rel, err)
	}
	if _, err := source.Inspect(r.FS()); err != nil {
		r.Close()
		if npe, ok := errors.AsType[*source.NotProjectError](err); ok {
			return nil, invalidPath("%q is not a Mastra project: %s", rel, npe.Reason)
		}
		return nil, fmt.Errorf("source/local: inspect %q: %w", rel, err)
	}
	return &project{rel: rel, dir: resolved, root: r}, nil
}

// checkConfig returns the cleaned project path of a config, or a
// *admin.ValidationError.
func checkConfig(config map[string]string) (string, error) {
	for k := range config {
		if k != ConfigPath {
			return "", &admin.ValidationError{Field: "config", Reason: fmt.Sprintf("unknown key %q (the local source takes only %q)", k, ConfigPath)}
		}
	}
	p, ok := config[ConfigPath]
	invalid := func(format string, args ...any) error {
		return &admin.ValidationError{Field: ConfigPath, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case !ok || p == "":
		return "", invalid("is required: the project's directory relative to the projects directory")
	case len(p) > admin.MaxSourceConfigValue:
		return "", invalid("must be at most %d bytes", admin.MaxSourceConfigValue)
	case strings.ContainsRune(p, 0):
		return "", invalid("must not contain NUL bytes")
	case strings.Contains(p, `\`):
		return "", invalid("%q must use / as separator", p)
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || filepath.VolumeName(p) != "":
		return "", invalid("%q must be relative to the projects directory, not absolute", p)
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", invalid("%q must stay inside the projects directory", p)
	}
	return clean, nil
}

// within reports whether path p lies in (or is) dir, both absolute and
// clean, and returns p relative to dir.
func within(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// readDir lists a directory of r sorted by name.
func readDir(r *os.Root) ([]fs.DirEntry, error) {
	f, err := r.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}
