package git

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source/local"
)

// Config keys of a git project.
const (
	// ConfigURL is the repository's https URL (http only with
	// Options.AllowHTTP), without credentials, query or fragment.
	ConfigURL = "url"
	// ConfigPath is the project's slash-separated directory inside the
	// repository; optional, the repository's root when absent.
	ConfigPath = "path"
)

// Defaults for Options.
const (
	DefaultTimeout = 10 * time.Minute
)

// Credentials authenticate git's HTTP requests with Basic auth. For GitHub
// tokens (personal or App installation), Username is "x-access-token".
type Credentials struct {
	Username string
	Password string
}

// CredentialsFunc returns the credentials for a repository URL, or zero
// Credentials for anonymous access. It is called before each git operation
// that talks to the server, so short-lived tokens stay fresh.
type CredentialsFunc func(ctx context.Context, repoURL string) (Credentials, error)

// Options tunes a Source. The zero value (or nil) means defaults.
type Options struct {
	// CacheDir holds the per-repository mirrors and the temporary
	// checkouts; default {os.UserCacheDir}/mastra-admin/git. Several
	// processes may share it: each mirror is locked with flock(2).
	CacheDir string
	// Repositories are the repository URLs ListProjects looks in (at their
	// default branch).
	Repositories []string
	// Credentials, when set, gives the credentials of a repository. They
	// reach git as an HTTP header scoped to the repository's scheme and
	// host, through the process environment: never in a URL, an argument,
	// a log line or an error.
	Credentials CredentialsFunc
	// AllowHTTP accepts http:// repository URLs (plain text: for servers on
	// a trusted network and tests). Off by default: https only.
	AllowHTTP bool
	// AllowedHosts, when not empty, is the only hosts (host or host:port)
	// repository URLs may name.
	AllowedHosts []string
	// Timeout bounds each git command; default DefaultTimeout.
	Timeout time.Duration
	// NoSubmodules leaves submodules out of checkouts (by default they are
	// checked out, shallow, recursively).
	NoSubmodules bool
	// GitPath is the git executable; default "git" found in PATH.
	GitPath string
	// GitLFSPath is the git-lfs executable; default "git-lfs" in PATH when
	// present. When neither is found, LFS files stay pointer files.
	GitLFSPath string
	// MaxFiles and MaxBytes bound one copy, as in source/local.
	MaxFiles int
	MaxBytes int64
	// Logger receives debug notes; default: discard.
	Logger *slog.Logger
}

// Source serves Mastra projects from git repositories over HTTP(S). It is
// safe for concurrent use, and several processes may share its CacheDir.
type Source struct {
	cache      string
	repos      []string
	creds      CredentialsFunc
	allowHTTP  bool
	hosts      map[string]bool
	timeout    time.Duration
	submodules bool
	git        string
	lfs        string
	localOpts  local.Options
	log        *slog.Logger
	listed     listed
}

var (
	_ admin.Source         = (*Source)(nil)
	_ admin.RevisionSource = (*Source)(nil)
)

// New returns a Source. It fails when git cannot be found, the cache
// directory cannot be made, or a listed repository URL is invalid.
func New(opts *Options) (*Source, error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.Timeout < 0 || opts.MaxFiles < 0 || opts.MaxBytes < 0 {
		return nil, fmt.Errorf("source/git: Timeout, MaxFiles and MaxBytes must not be negative: %w", admin.ErrInvalidArgument)
	}
	s := &Source{
		creds:      opts.Credentials,
		allowHTTP:  opts.AllowHTTP,
		hosts:      map[string]bool{},
		timeout:    cmp.Or(opts.Timeout, DefaultTimeout),
		submodules: !opts.NoSubmodules,
		localOpts:  local.Options{MaxFiles: opts.MaxFiles, MaxBytes: opts.MaxBytes, Logger: opts.Logger},
		log:        opts.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "source/git")
	for _, h := range opts.AllowedHosts {
		s.hosts[strings.ToLower(h)] = true
	}
	var err error
	if s.git, err = exec.LookPath(cmp.Or(opts.GitPath, "git")); err != nil {
		return nil, fmt.Errorf("source/git: git executable: %w: %w", admin.ErrNotSupported, err)
	}
	if opts.GitLFSPath != "" {
		if s.lfs, err = exec.LookPath(opts.GitLFSPath); err != nil {
			return nil, fmt.Errorf("source/git: git-lfs executable: %w: %w", admin.ErrInvalidArgument, err)
		}
	} else if p, err := exec.LookPath("git-lfs"); err == nil {
		s.lfs = p
	}
	s.cache = opts.CacheDir
	if s.cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("source/git: no CacheDir given and no user cache directory: %w", err)
		}
		s.cache = filepath.Join(dir, "mastra-admin", "git")
	}
	if s.cache, err = filepath.Abs(s.cache); err != nil {
		return nil, fmt.Errorf("source/git: cache directory: %w", err)
	}
	for _, d := range []string{"mirrors", "work"} {
		if err := os.MkdirAll(filepath.Join(s.cache, d), 0o700); err != nil {
			return nil, fmt.Errorf("source/git: cache directory: %w", err)
		}
	}
	for _, r := range opts.Repositories {
		u, err := s.checkURL(r)
		if err != nil {
			return nil, fmt.Errorf("source/git: Repositories: %w", err)
		}
		s.repos = append(s.repos, u.String())
	}
	return s, nil
}

// Type reports admin.SourceGit.
func (s *Source) Type() admin.SourceType { return admin.SourceGit }

// ListProjects lists the Mastra projects on the default branch of each of
// Options.Repositories, each with the config {url, path}. An empty
// repository holds none.
func (s *Source) ListProjects(ctx context.Context) ([]admin.ProjectSource, error) {
	found, errs := s.ListProjectsOfEach(ctx, s.repos)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(found...), nil
}

// listConcurrency is how many repositories ListProjectsOfEach lists at
// once: each listing is mostly waiting on the git server.
const listConcurrency = 4

// ListProjectsOfEach is ListProjectsOf for each of repoURLs, listConcurrency
// at a time: found[i] and errs[i] are repoURLs[i]'s.
func (s *Source) ListProjectsOfEach(ctx context.Context, repoURLs []string) (found [][]admin.ProjectSource, errs []error) {
	found, errs = make([][]admin.ProjectSource, len(repoURLs)), make([]error, len(repoURLs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, listConcurrency)
	for i, repo := range repoURLs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			found[i], errs[i] = s.ListProjectsOf(ctx, repo)
		})
	}
	wg.Wait()
	return found, errs
}

// ListProjectsOf lists the Mastra projects on the default branch of the
// repository at repoURL (none for an empty repository), each with the
// config {url, path}.
func (s *Source) ListProjectsOf(ctx context.Context, repoURL string) ([]admin.ProjectSource, error) {
	u, err := s.checkURL(repoURL)
	if err != nil {
		return nil, fmt.Errorf("source/git: %w", err)
	}
	repo := u.String()
	head, err := s.remoteHead(ctx, u)
	if err != nil {
		return nil, err
	}
	if head == "" {
		return nil, nil // empty repository
	}
	if found, ok := s.listed.get(repo, head); ok {
		return found, nil
	}
	var out []admin.ProjectSource
	var commit string
	err = s.withCheckout(ctx, u, "", func(dir string, rev *admin.Revision) error {
		commit = rev.Commit
		l, err := local.New(dir, &s.localOpts)
		if err != nil {
			return err
		}
		found, err := l.ListProjects(ctx)
		if err != nil {
			return err
		}
		for _, p := range found {
			rel := p.Config[local.ConfigPath]
			p.Type = admin.SourceGit
			p.Config = map[string]string{ConfigURL: repo}
			if rel != "" && rel != "." {
				p.Config[ConfigPath] = rel
			}
			out = append(out, p)
		}
		return nil
	})
	if errors.Is(err, errEmptyRepository) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.listed.put(repo, commit, out)
	return out, nil
}

// Validate checks that config names a Mastra project on the default branch
// of a repository the source can reach. A config it cannot use gives an
// *admin.ValidationError naming the key.
func (s *Source) Validate(ctx context.Context, config map[string]string) error {
	u, rel, err := s.checkConfig(config)
	if err != nil {
		return err
	}
	err = s.withCheckout(ctx, u, "", func(dir string, _ *admin.Revision) error {
		l, err := local.New(dir, &s.localOpts)
		if err != nil {
			return err
		}
		return l.Validate(ctx, map[string]string{local.ConfigPath: rel})
	})
	if errors.Is(err, errEmptyRepository) {
		return fmt.Errorf("source/git: %w", &admin.ValidationError{Field: ConfigURL, Reason: fmt.Sprintf("%s is an empty repository", u.Redacted())})
	}
	return err
}

// GetProjectPath copies the project at ref into targetDir; see
// GetProjectRevision.
func (s *Source) GetProjectPath(ctx context.Context, config map[string]string, ref, targetDir string) (string, error) {
	dir, _, err := s.GetProjectRevision(ctx, config, ref, targetDir)
	return dir, err
}

// GetProjectRevision fetches ref shallowly into the repository's mirror,
// checks it out (with submodules, and LFS files when git-lfs is present)
// into a temporary work tree, verifies that the commit checked out is the
// one the ref named, and copies the project into targetDir as source/local
// copies (node_modules, .git and .mastra left out, no link leading out of
// the project). ref is a branch, a tag, a full commit SHA, or a full ref
// name such as refs/pull/42/head; "" means the default branch. An unknown
// ref gives admin.ErrNotFound. It returns the directory holding
// package.json and the commit copied.
func (s *Source) GetProjectRevision(ctx context.Context, config map[string]string, ref, targetDir string) (string, *admin.Revision, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, fmt.Errorf("source/git: %w", err)
	}
	u, rel, err := s.checkConfig(config)
	if err != nil {
		return "", nil, err
	}
	if err := checkRef(ref); err != nil {
		return "", nil, err
	}
	var out string
	var rev *admin.Revision
	err = s.withCheckout(ctx, u, ref, func(dir string, r *admin.Revision) error {
		l, err := local.New(dir, &s.localOpts)
		if err != nil {
			return err
		}
		out, err = l.GetProjectPath(ctx, map[string]string{local.ConfigPath: rel}, "", targetDir)
		if err != nil {
			return fixLocalError(err)
		}
		rev = r
		return nil
	})
	if errors.Is(err, errEmptyRepository) {
		err = fmt.Errorf("source/git: %s has no commits: %w", u.Redacted(), admin.ErrNotFound)
	}
	if err != nil {
		return "", nil, err
	}
	return out, rev, nil
}

// fixLocalError names the config key of this source in a validation error
// that source/local raised about its own "path".
func fixLocalError(err error) error {
	if ve, ok := errors.AsType[*admin.ValidationError](err); ok && ve.Field == local.ConfigPath {
		ve.Reason = strings.ReplaceAll(ve.Reason, "projects directory", "repository")
	}
	return err
}

// Close releases nothing (the cache stays on disk for the next process)
// and is there for symmetry with other sources.
func (s *Source) Close() error { return nil }

// checkConfig validates config and returns the repository URL and the
// cleaned project path ("." for the root).
func (s *Source) checkConfig(config map[string]string) (*url.URL, string, error) {
	invalid := func(field, format string, args ...any) error {
		return fmt.Errorf("source/git: %w", &admin.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if len(config) == 0 {
		return nil, "", invalid("config", "is empty: %q (the repository URL) is required", ConfigURL)
	}
	for _, k := range slices.Sorted(maps.Keys(config)) {
		if k != ConfigURL && k != ConfigPath {
			return nil, "", invalid("config", "unknown key %q (the git source takes %q and %q)", k, ConfigURL, ConfigPath)
		}
	}
	u, err := s.checkURL(config[ConfigURL])
	if err != nil {
		return nil, "", fmt.Errorf("source/git: %w", err)
	}
	rel := "."
	if p, ok := config[ConfigPath]; ok {
		switch {
		case p == "":
			return nil, "", invalid(ConfigPath, "must not be empty when given (leave it out for the repository's root)")
		case len(p) > admin.MaxSourceConfigValue:
			return nil, "", invalid(ConfigPath, "must be at most %d bytes", admin.MaxSourceConfigValue)
		case strings.ContainsFunc(p, isControl):
			return nil, "", invalid(ConfigPath, "must not contain control characters")
		case strings.Contains(p, `\`):
			return nil, "", invalid(ConfigPath, "%q must use / as separator", p)
		case strings.HasPrefix(p, "/"):
			return nil, "", invalid(ConfigPath, "%q must be relative to the repository's root, not absolute", p)
		}
		rel = path.Clean(p)
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, "", invalid(ConfigPath, "%q must stay inside the repository", p)
		}
	}
	return u, rel, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// checkURL accepts an https (or, with AllowHTTP, http) repository URL with
// a host and a path, without credentials, query or fragment.
func (s *Source) checkURL(raw string) (*url.URL, error) {
	invalid := func(format string, args ...any) error {
		return &admin.ValidationError{Field: ConfigURL, Reason: fmt.Sprintf(format, args...)}
	}
	if raw == "" {
		return nil, invalid("is required: the repository's https URL")
	}
	if len(raw) > admin.MaxSourceConfigValue {
		return nil, invalid("must be at most %d bytes", admin.MaxSourceConfigValue)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return isControl(r) || r == ' ' }) {
		return nil, invalid("must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalid("is not a URL")
	}
	switch {
	case u.Scheme == "http" && !s.allowHTTP:
		return nil, invalid("%q is plain http: use https (or set Options.AllowHTTP)", u.Redacted())
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, invalid("must be an https URL, not %q", raw)
	case u.User != nil:
		return nil, invalid("must not carry credentials (configure Options.Credentials)")
	case u.Host == "" || u.Hostname() == "":
		return nil, invalid("%q has no host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, invalid("%q must not have a query or fragment", raw)
	case u.Opaque != "" || u.Path == "" || u.Path == "/":
		return nil, invalid("%q names no repository", raw)
	case strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") || strings.Contains(u.Path, "/./"):
		return nil, invalid("%q must not have . or .. path segments", raw)
	case len(s.hosts) > 0 && !s.hosts[strings.ToLower(u.Host)] && !s.hosts[strings.ToLower(u.Hostname())]:
		return nil, invalid("host %q is not one of the allowed hosts", u.Host)
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// checkRef refuses refs git could take for an option or a pattern.
func checkRef(ref string) error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("source/git: %w", &admin.ValidationError{Field: "ref", Reason: fmt.Sprintf(format, args...)})
	}
	switch {
	case ref == "":
		return nil
	case len(ref) > 255:
		return invalid("is longer than 255 bytes")
	case strings.HasPrefix(ref, "-"):
		return invalid("%q must not start with '-'", ref)
	case strings.ContainsFunc(ref, func(r rune) bool {
		return isControl(r) || strings.ContainsRune(" ~^:?*[\\", r)
	}), strings.Contains(ref, ".."), strings.Contains(ref, "@{"), strings.Contains(ref, "//"),
		strings.HasSuffix(ref, "/"), strings.HasSuffix(ref, ".lock"), strings.HasSuffix(ref, "."):
		return invalid("%q is not a valid branch, tag, commit or ref name", ref)
	}
	return nil
}

// isSHA reports whether ref is a full SHA-1 or SHA-256 commit id.
func isSHA(ref string) bool {
	if len(ref) != 40 && len(ref) != 64 {
		return false
	}
	_, err := hex.DecodeString(ref)
	return err == nil && strings.ToLower(ref) == ref
}

// repoKey names a repository's mirror in the cache.
func repoKey(u *url.URL) string {
	sum := sha256.Sum256([]byte(strings.TrimSuffix(u.String(), ".git")))
	return hex.EncodeToString(sum[:12])
}

var _ admin.RefStateSource = (*Source)(nil)

// RefState lists the repository's branches (git ls-remote --heads), for
// the Admin's preview reconciler. Plain git cannot tell open pull
// requests from closed ones, so OpenPulls is nil.
func (s *Source) RefState(ctx context.Context, config map[string]string) (*admin.RefState, error) {
	u, _, err := s.checkConfig(config)
	if err != nil {
		return nil, err
	}
	e, err := s.env(ctx, u)
	if err != nil {
		return nil, err
	}
	out, err := s.run(ctx, e, s.cache, "ls-remote", "--heads", u.String())
	if err != nil {
		return nil, fmt.Errorf("source/git: list the branches of %s: %w", u.Redacted(), err)
	}
	rs := &admin.RefState{Branches: map[string]bool{}}
	for line := range strings.Lines(out) {
		_, ref, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if name, isHead := strings.CutPrefix(ref, "refs/heads/"); ok && isHead {
			rs.Branches[name] = true
		}
	}
	return rs, nil
}
