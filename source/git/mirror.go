package git

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/command"
)

// errEmptyRepository reports a repository without a default branch.
var errEmptyRepository = errors.New("empty repository")

// gitEnv is the environment of the git commands of one operation, and the
// secrets to keep out of errors.
type gitEnv struct {
	env     []string
	secrets []string
}

// env builds the environment of git commands for repository u: no
// inherited configuration, no prompts, only http(s) transports, and the
// credentials as an Authorization header scoped to u's scheme and host.
func (s *Source) env(ctx context.Context, u *url.URL) (*gitEnv, error) {
	e := &gitEnv{env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.cache,
		"LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
	}}
	cfg := [][2]string{
		{"protocol.allow", "never"},
		{"protocol.https.allow", "always"},
		{"credential.helper", ""},
		{"core.hooksPath", os.DevNull},
		{"advice.detachedHead", "false"},
		{"init.defaultBranch", "main"},
		// No detached background maintenance: it would outlive the
		// command holding its output open.
		{"gc.auto", "0"},
		{"maintenance.auto", "false"},
	}
	if s.allowHTTP {
		cfg = append(cfg, [2]string{"protocol.http.allow", "always"})
	}
	if s.lfs != "" {
		q := strconv.Quote(s.lfs)
		cfg = append(cfg,
			[2]string{"filter.lfs.process", q + " filter-process"},
			[2]string{"filter.lfs.smudge", q + " smudge -- %f"},
			[2]string{"filter.lfs.clean", q + " clean -- %f"},
			[2]string{"filter.lfs.required", "true"})
	}
	if s.creds != nil {
		c, err := s.creds(ctx, u.String())
		if err != nil {
			return nil, fmt.Errorf("source/git: credentials for %s: %w", u.Redacted(), err)
		}
		if c.Username != "" || c.Password != "" {
			if strings.ContainsFunc(c.Username+c.Password, isControl) {
				return nil, fmt.Errorf("source/git: credentials for %s hold control characters: %w", u.Redacted(), admin.ErrInvalidArgument)
			}
			basic := base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
			scope := u.Scheme + "://" + u.Host + "/"
			cfg = append(cfg, [2]string{"http." + scope + ".extraHeader", "Authorization: Basic " + basic})
			e.secrets = append(e.secrets, basic)
			if len(c.Password) >= 4 {
				e.secrets = append(e.secrets, c.Password)
			}
		}
	}
	e.env = append(e.env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(cfg)))
	for i, kv := range cfg {
		e.env = append(e.env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	return e, nil
}

// redact removes the secrets from text.
func (e *gitEnv) redact(text string) string {
	for _, s := range e.secrets {
		text = strings.ReplaceAll(text, s, "[redacted]")
	}
	return text
}

// gitFailure is a failed git command: what it printed, secrets removed.
type gitFailure struct {
	args   string
	status string
	output []string
	cause  error // a context error, or nil
}

func (f *gitFailure) Error() string {
	msg := "git " + f.args + ": " + f.status
	if len(f.output) > 0 {
		msg += ": " + strings.Join(f.output, " | ")
	}
	return msg
}

func (f *gitFailure) Unwrap() error { return f.cause }

// mentions reports whether the command's output holds any of the texts.
func (f *gitFailure) mentions(texts ...string) bool {
	for _, l := range f.output {
		for _, t := range texts {
			if strings.Contains(l, t) {
				return true
			}
		}
	}
	return false
}

// run runs git with args in dir under the per-command timeout and returns
// its standard output. A failure is a *gitFailure.
func (s *Source) run(ctx context.Context, e *gitEnv, dir string, args ...string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	out, err := command.Run(cctx, command.Cmd{Phase: "git", Path: s.git, Args: args, Dir: dir, Env: e.env, Capture: true})
	if err == nil {
		return string(out), nil
	}
	f := &gitFailure{args: e.redact(strings.Join(args, " ")), status: "failed"}
	if ce, ok := errors.AsType[*command.Error](err); ok {
		f.status = e.redact(ce.Err.Error())
		for _, l := range ce.Output {
			f.output = append(f.output, e.redact(l))
		}
	} else {
		f.status = e.redact(err.Error())
	}
	switch {
	case ctx.Err() != nil:
		f.cause = ctx.Err()
	case cctx.Err() != nil:
		f.cause = fmt.Errorf("timed out after %v: %w", s.timeout, cctx.Err())
	}
	return "", f
}

// withCheckout locks u's mirror, fetches ref into it, checks the commit
// out into a fresh temporary work tree (with submodules), unlocks, and
// calls fn with the work tree and the commit; the work tree is removed
// afterwards.
func (s *Source) withCheckout(ctx context.Context, u *url.URL, ref string, fn func(dir string, rev *admin.Revision) error) error {
	e, err := s.env(ctx, u)
	if err != nil {
		return err
	}
	key := repoKey(u)
	mirror := filepath.Join(s.cache, "mirrors", key+".git")
	work, err := os.MkdirTemp(filepath.Join(s.cache, "work"), key+"-")
	if err != nil {
		return fmt.Errorf("source/git: %w", err)
	}
	defer s.removeWork(e, mirror, work)
	dir := filepath.Join(work, repoName(u))
	rev, err := s.checkout(ctx, e, u, mirror, ref, dir)
	if err != nil {
		return err
	}
	return fn(dir, rev)
}

// removeWork deletes a temporary work tree and, under the mirror's lock,
// forgets it in the mirror.
func (s *Source) removeWork(e *gitEnv, mirror, work string) {
	if err := os.RemoveAll(work); err != nil {
		s.log.Warn("remove temporary checkout", "dir", work, "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unlock, err := lockFile(ctx, mirror+".lock")
	if err != nil {
		return
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(mirror, "worktrees")); err == nil {
		if _, err := s.run(ctx, e, mirror, "worktree", "prune"); err != nil {
			s.log.Warn("prune work trees", "mirror", mirror, "err", err)
		}
	}
}

// gitLocks are the lock files git makes in a mirror while it changes it.
var gitLocks = []string{"shallow.lock", "packed-refs.lock", "config.lock", "HEAD.lock", "index.lock",
	filepath.FromSlash(fetchedRef + ".lock")}

// removeStaleLocks removes the lock files a git process left in mirror
// when it was killed in the middle of a change (an Admin closed during a
// fetch cancels its context, which kills git): every git that works in a
// mirror runs under the mirror's flock, held by the caller, so none is
// running now, and a lock file left would fail every later fetch ("Unable
// to create …/shallow.lock: File exists").
func removeStaleLocks(mirror string) error {
	for _, name := range gitLocks {
		if err := os.Remove(filepath.Join(mirror, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove a stale %s: %w", name, err)
		}
	}
	return nil
}

// checkout does the locked part of withCheckout.
func (s *Source) checkout(ctx context.Context, e *gitEnv, u *url.URL, mirror, ref, dir string) (*admin.Revision, error) {
	unlock, err := lockFile(ctx, mirror+".lock")
	if err != nil {
		return nil, fmt.Errorf("source/git: lock the mirror of %s: %w", u.Redacted(), err)
	}
	defer unlock()
	if err := removeStaleLocks(mirror); err != nil {
		return nil, fmt.Errorf("source/git: the mirror of %s: %w", u.Redacted(), err)
	}
	if _, err := os.Stat(filepath.Join(mirror, "HEAD")); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(mirror, 0o700); err != nil {
			return nil, fmt.Errorf("source/git: %w", err)
		}
		// Re-running init on a half-made mirror is harmless.
		if _, err := s.run(ctx, e, mirror, "init", "--quiet", "--bare"); err != nil {
			return nil, fmt.Errorf("source/git: make the mirror of %s: %w", u.Redacted(), err)
		}
		if _, err := s.run(ctx, e, mirror, "config", "remote.origin.url", u.String()); err != nil {
			return nil, fmt.Errorf("source/git: make the mirror of %s: %w", u.Redacted(), err)
		}
	}
	sha, err := s.fetch(ctx, e, u, mirror, ref)
	if err != nil {
		return nil, err
	}
	if _, err := s.run(ctx, e, mirror, "worktree", "add", "--quiet", "--detach", dir, sha); err != nil {
		return nil, fmt.Errorf("source/git: check out %s of %s: %w", sha, u.Redacted(), err)
	}
	head, err := s.run(ctx, e, dir, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return nil, fmt.Errorf("source/git: verify the checkout of %s: %w", u.Redacted(), err)
	}
	if strings.TrimSpace(head) != sha {
		return nil, fmt.Errorf("source/git: checked out %s of %s, not the fetched %s: %w",
			strings.TrimSpace(head), u.Redacted(), sha, admin.ErrConflict)
	}
	if s.submodules {
		if _, err := os.Stat(filepath.Join(dir, ".gitmodules")); err == nil {
			if _, err := s.run(ctx, e, dir, "submodule", "update", "--init", "--recursive", "--depth", "1"); err != nil {
				return nil, fmt.Errorf("source/git: submodules of %s at %s: %w", u.Redacted(), sha, err)
			}
		}
	}
	info, err := s.run(ctx, e, dir, "log", "-1", "--no-show-signature", "--format=%H%x00%an <%ae>%x00%aI%x00%B", sha)
	if err != nil {
		return nil, fmt.Errorf("source/git: read commit %s of %s: %w", sha, u.Redacted(), err)
	}
	parts := strings.SplitN(info, "\x00", 4)
	if len(parts) != 4 || parts[0] != sha {
		return nil, fmt.Errorf("source/git: unexpected commit information for %s of %s", sha, u.Redacted())
	}
	rev := &admin.Revision{Commit: sha, Author: parts[1], Message: capMessage(strings.TrimSpace(parts[3]))}
	if t, err := time.Parse(time.RFC3339, parts[2]); err == nil {
		rev.Time = t.UTC()
	}
	return rev, nil
}

// fetchedRef is where a fetch lands in the mirror. The mirror's lock
// makes one name enough.
const fetchedRef = "refs/mastra/fetched"

// fetch fetches ref shallowly into the mirror and returns its commit id.
func (s *Source) fetch(ctx context.Context, e *gitEnv, u *url.URL, mirror, ref string) (string, error) {
	var candidates []string
	switch {
	case ref == "":
		candidates = []string{"HEAD"}
	case isSHA(ref), strings.HasPrefix(ref, "refs/"):
		candidates = []string{ref}
	default:
		candidates = []string{"refs/heads/" + ref, "refs/tags/" + ref}
	}
	for _, c := range candidates {
		_, err := s.run(ctx, e, mirror, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
			"--no-recurse-submodules", "--depth=1", u.String(), "+"+c+":"+fetchedRef)
		if f, ok := errors.AsType[*gitFailure](err); ok && f.cause == nil &&
			f.mentions("couldn't find remote ref", "not our ref", "unadvertised object", "no such remote ref") {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("source/git: fetch %q from %s: %w", ref, u.Redacted(), err)
		}
		out, err := s.run(ctx, e, mirror, "rev-parse", "--verify", fetchedRef+"^{commit}")
		if err != nil {
			return "", fmt.Errorf("source/git: %q of %s is not a commit: %w", ref, u.Redacted(), err)
		}
		sha := strings.TrimSpace(out)
		if isSHA(ref) && sha != ref {
			return "", fmt.Errorf("source/git: fetched %s for commit %s of %s: %w", sha, ref, u.Redacted(), admin.ErrConflict)
		}
		return sha, nil
	}
	if ref == "" {
		return "", errEmptyRepository
	}
	return "", fmt.Errorf("source/git: no branch, tag or commit %q in %s: %w", ref, u.Redacted(), admin.ErrNotFound)
}

// repoName is the last path segment of a repository URL, without .git.
func repoName(u *url.URL) string {
	name := strings.TrimSuffix(path.Base(u.Path), ".git")
	if name == "" || name == "." || name == "/" || name == ".." {
		return "repo"
	}
	return name
}

// capMessage cuts a commit message to admin.MaxCommitMessage bytes at a
// UTF-8 boundary.
func capMessage(m string) string {
	if len(m) <= admin.MaxCommitMessage {
		return m
	}
	m = m[:admin.MaxCommitMessage]
	for !utf8.ValidString(m) {
		m = m[:len(m)-1]
	}
	return m
}
