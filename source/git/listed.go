package git

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"sync"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// maxListed bounds how many repositories' project lists a Source keeps.
const maxListed = 1024

// listed remembers, per repository, the projects found at one commit of
// its default branch, so that listing a repository whose default branch
// has not moved costs one git ls-remote instead of a fetch, a checkout and
// a scan of the work tree (the new-project page lists every repository of
// a GitHub installation each time it is shown).
type listed struct {
	mu    sync.Mutex
	repos map[string]listedRepo // by repository URL
}

type listedRepo struct {
	commit   string
	projects []admin.ProjectSource
}

// get returns the projects found at commit of repo, if remembered. The
// caller owns the result.
func (l *listed) get(repo, commit string) ([]admin.ProjectSource, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.repos[repo]
	if !ok || r.commit != commit {
		return nil, false
	}
	return cloneProjects(r.projects), true
}

// put remembers the projects found at commit of repo. When full, it
// forgets an arbitrary other repository: a forgotten one is listed again.
func (l *listed) put(repo, commit string, projects []admin.ProjectSource) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.repos == nil {
		l.repos = map[string]listedRepo{}
	}
	if _, ok := l.repos[repo]; !ok && len(l.repos) >= maxListed {
		for k := range l.repos {
			delete(l.repos, k)
			break
		}
	}
	l.repos[repo] = listedRepo{commit: commit, projects: cloneProjects(projects)}
}

func cloneProjects(ps []admin.ProjectSource) []admin.ProjectSource {
	out := make([]admin.ProjectSource, len(ps))
	for i, p := range ps {
		p.Config = maps.Clone(p.Config)
		out[i] = p
	}
	return out
}

// remoteHead returns the commit the default branch (HEAD) of u points at,
// "" for an empty repository.
func (s *Source) remoteHead(ctx context.Context, u *url.URL) (string, error) {
	e, err := s.env(ctx, u)
	if err != nil {
		return "", err
	}
	out, err := s.run(ctx, e, s.cache, "ls-remote", u.String(), "HEAD")
	if err != nil {
		return "", fmt.Errorf("source/git: read the default branch of %s: %w", u.Redacted(), err)
	}
	for line := range strings.Lines(out) {
		sha, ref, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && ref == "HEAD" && isSHA(sha) {
			return sha, nil
		}
	}
	return "", nil
}
