package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v88/github"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source/git"
)

// Config keys of a GitHub project.
const (
	// ConfigRepo is the repository's full name, "owner/name".
	ConfigRepo = "repo"
	// ConfigPath is the project's directory in the repository (optional).
	ConfigPath = "path"
)

// App identifies a GitHub App installation: the source then works with
// short-lived installation tokens (ghinstallation), refreshed as needed.
type App struct {
	AppID          int64
	InstallationID int64
	// PrivateKey is the App's PEM private key.
	PrivateKey []byte
}

// Options configures a Source. Exactly one of Token and App is required.
type Options struct {
	// Token is a personal access token (the fallback when no App is set).
	Token string
	// App authenticates as a GitHub App installation.
	App *App
	// BaseURL is the REST API's URL for GitHub Enterprise Server, e.g.
	// https://ghe.example.com/api/v3/; empty for github.com.
	BaseURL string
	// GitURL is where repositories are cloned from, e.g.
	// https://ghe.example.com/; default https://github.com/ or, with
	// BaseURL, its scheme and host.
	GitURL string
	// HTTPClient carries the API requests; default http.DefaultClient's
	// transport.
	HTTPClient *http.Client
	// Git tunes the git source the checkouts go through (cache directory,
	// timeouts, submodules); its Credentials, AllowedHosts and
	// Repositories are set by this source. AllowHTTP is kept (tests).
	Git git.Options
	// Logger receives debug notes; default: discard.
	Logger *slog.Logger
}

// Source serves Mastra projects from the GitHub repositories a token or
// an App installation reaches. It is safe for concurrent use.
type Source struct {
	client *gh.Client
	tokens func(ctx context.Context) (string, error)
	gitURL *url.URL
	git    *git.Source
	log    *slog.Logger
	// appMode: an App installation (else a personal token).
	appMode bool
}

var (
	_ admin.Source         = (*Source)(nil)
	_ admin.RevisionSource = (*Source)(nil)
)

// New returns a Source. It fails with admin.ErrInvalidArgument for
// options it cannot use (no or two credentials, a bad App key, bad URLs).
func New(opts *Options) (*Source, error) {
	if opts == nil {
		opts = &Options{}
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("source/github: %w", &admin.ValidationError{Field: "options", Reason: fmt.Sprintf(format, args...)})
	}
	if (opts.Token == "") == (opts.App == nil) {
		return nil, invalid("set exactly one of Token (a personal access token) and App (an App installation)")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	base := http.DefaultTransport
	if hc.Transport != nil {
		base = hc.Transport
	}
	s := &Source{log: cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)).With("component", "source/github")}
	var copts []gh.ClientOptionsFunc
	if opts.App != nil {
		tr, err := ghinstallation.New(base, opts.App.AppID, opts.App.InstallationID, opts.App.PrivateKey)
		if err != nil {
			return nil, invalid("App: %v", err)
		}
		if opts.BaseURL != "" {
			tr.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
		}
		s.tokens, s.appMode = tr.Token, true
		copts = append(copts, gh.WithHTTPClient(&http.Client{Transport: tr, Timeout: hc.Timeout}))
	} else {
		tok := opts.Token
		s.tokens = func(context.Context) (string, error) { return tok, nil }
		copts = append(copts, gh.WithHTTPClient(hc), gh.WithAuthToken(tok))
	}
	gitURL := "https://github.com/"
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, invalid("BaseURL %q is not an http(s) URL", opts.BaseURL)
		}
		copts = append(copts, gh.WithEnterpriseURLs(opts.BaseURL, opts.BaseURL))
		gitURL = u.Scheme + "://" + u.Host + "/"
	}
	if opts.GitURL != "" {
		gitURL = opts.GitURL
	}
	var err error
	if s.gitURL, err = url.Parse(strings.TrimSuffix(gitURL, "/") + "/"); err != nil || s.gitURL.Host == "" {
		return nil, invalid("GitURL %q is not a URL", gitURL)
	}
	if s.client, err = gh.NewClient(copts...); err != nil {
		return nil, invalid("%v", err)
	}
	gopts := opts.Git
	gopts.AllowedHosts = []string{s.gitURL.Host}
	gopts.Repositories = nil
	gopts.Credentials = func(ctx context.Context, _ string) (git.Credentials, error) {
		t, err := s.tokens(ctx)
		if err != nil {
			return git.Credentials{}, fmt.Errorf("GitHub token: %w", err)
		}
		return git.Credentials{Username: "x-access-token", Password: t}, nil
	}
	if gopts.Logger == nil {
		gopts.Logger = opts.Logger
	}
	if s.git, err = git.New(&gopts); err != nil {
		return nil, fmt.Errorf("source/github: %w", err)
	}
	return s, nil
}

// Type reports admin.SourceGitHub.
func (s *Source) Type() admin.SourceType { return admin.SourceGitHub }

// Repository is one repository the source reaches.
type Repository struct {
	FullName      string `json:"fullName"`
	DefaultBranch string `json:"defaultBranch"`
	Private       bool   `json:"private"`
	CloneURL      string `json:"cloneUrl"`
}

// ListRepositories lists the repositories the token or the App
// installation reaches, sorted by full name: what the source picker
// offers.
func (s *Source) ListRepositories(ctx context.Context) ([]Repository, error) {
	var out []Repository
	add := func(r *gh.Repository) {
		out = append(out, Repository{FullName: r.GetFullName(), DefaultBranch: r.GetDefaultBranch(),
			Private: r.GetPrivate(), CloneURL: s.cloneURL(r.GetFullName())})
	}
	opt := gh.ListOptions{PerPage: 100}
	for {
		var resp *gh.Response
		if s.isApp() {
			list, r, err := s.client.Apps.ListRepos(ctx, &opt)
			if err != nil {
				return nil, fmt.Errorf("source/github: list the installation's repositories: %w", mapError(err))
			}
			for _, repo := range list.Repositories {
				add(repo)
			}
			resp = r
		} else {
			list, r, err := s.client.Repositories.ListByAuthenticatedUser(ctx, &gh.RepositoryListByAuthenticatedUserOptions{ListOptions: opt})
			if err != nil {
				return nil, fmt.Errorf("source/github: list the token's repositories: %w", mapError(err))
			}
			for _, repo := range list {
				add(repo)
			}
			resp = r
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	slices.SortFunc(out, func(a, b Repository) int { return strings.Compare(a.FullName, b.FullName) })
	return out, nil
}

func (s *Source) isApp() bool { return s.appMode }

// ListProjects lists the Mastra projects on the default branch of every
// repository the source reaches (each repository is fetched shallowly).
func (s *Source) ListProjects(ctx context.Context) ([]admin.ProjectSource, error) {
	repos, err := s.ListRepositories(ctx)
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(repos))
	for i, r := range repos {
		urls[i] = r.CloneURL
	}
	found, errs := s.git.ListProjectsOfEach(ctx, urls)
	var out []admin.ProjectSource
	for i, r := range repos {
		if errs[i] != nil {
			s.log.WarnContext(ctx, "look for projects", "repo", r.FullName, "err", errs[i])
			continue
		}
		for _, p := range found[i] {
			cfg := map[string]string{ConfigRepo: r.FullName}
			if v, ok := p.Config[git.ConfigPath]; ok {
				cfg[ConfigPath] = v
			}
			p.Type, p.Config = admin.SourceGitHub, cfg
			out = append(out, p)
		}
	}
	return out, nil
}

// Validate checks that config names a Mastra project on the default
// branch of a repository the source reaches.
func (s *Source) Validate(ctx context.Context, config map[string]string) error {
	gc, err := s.gitConfig(config)
	if err != nil {
		return err
	}
	return s.git.Validate(ctx, gc)
}

// GetProjectPath copies the project at ref into targetDir, as
// source/git does.
func (s *Source) GetProjectPath(ctx context.Context, config map[string]string, ref, targetDir string) (string, error) {
	dir, _, err := s.GetProjectRevision(ctx, config, ref, targetDir)
	return dir, err
}

// GetProjectRevision copies the project at ref into targetDir and returns
// the commit copied, as source/git does.
func (s *Source) GetProjectRevision(ctx context.Context, config map[string]string, ref, targetDir string) (string, *admin.Revision, error) {
	gc, err := s.gitConfig(config)
	if err != nil {
		return "", nil, err
	}
	return s.git.GetProjectRevision(ctx, gc, ref, targetDir)
}

// Close closes the git source.
func (s *Source) Close() error { return s.git.Close() }

var repoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)

// gitConfig turns a GitHub config into the git source's.
func (s *Source) gitConfig(config map[string]string) (map[string]string, error) {
	invalid := func(field, format string, args ...any) error {
		return fmt.Errorf("source/github: %w", &admin.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if len(config) == 0 {
		return nil, invalid("config", "is empty: %q (owner/name) is required", ConfigRepo)
	}
	for _, k := range slices.Sorted(maps.Keys(config)) {
		if k != ConfigRepo && k != ConfigPath {
			return nil, invalid("config", "unknown key %q (the GitHub source takes %q and %q)", k, ConfigRepo, ConfigPath)
		}
	}
	repo := config[ConfigRepo]
	if !repoRE.MatchString(repo) || strings.HasSuffix(repo, "/.") || strings.HasSuffix(repo, "/..") {
		return nil, invalid(ConfigRepo, "%q is not a repository full name (owner/name)", repo)
	}
	gc := map[string]string{git.ConfigURL: s.cloneURL(repo)}
	if p, ok := config[ConfigPath]; ok {
		gc[git.ConfigPath] = p
	}
	return gc, nil
}

func (s *Source) cloneURL(fullName string) string { return s.gitURL.String() + fullName + ".git" }

// mapError maps GitHub API errors to admin sentinels.
func mapError(err error) error {
	if er, ok := errors.AsType[*gh.ErrorResponse](err); ok && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w: %w", admin.ErrForbidden, err)
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", admin.ErrNotFound, err)
		}
	}
	return err
}

var _ admin.RefStateSource = (*Source)(nil)

// RefState lists the repository's branches and open pull requests, for
// the Admin's preview reconciler.
func (s *Source) RefState(ctx context.Context, config map[string]string) (*admin.RefState, error) {
	gc, err := s.gitConfig(config)
	if err != nil {
		return nil, err
	}
	rs, err := s.git.RefState(ctx, gc)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(config[ConfigRepo], "/")
	rs.OpenPulls = map[int]bool{}
	opt := &gh.PullRequestListOptions{State: "open", ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		list, resp, err := s.client.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return nil, fmt.Errorf("source/github: list the open pull requests of %s: %w", config[ConfigRepo], mapError(err))
		}
		for _, pr := range list {
			rs.OpenPulls[pr.GetNumber()] = true
		}
		if resp == nil || resp.NextPage == 0 {
			return rs, nil
		}
		opt.Page = resp.NextPage
	}
}
