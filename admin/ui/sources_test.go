package ui_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
)

// TestNewProjectSources: the new-project page offers the projects of
// every configured source, here the local directory and a git repository
// (git's own http-backend in process), and a project is created from the
// repository in Chromium, with the source and config the picker showed.
func TestNewProjectSources(t *testing.T) {
	const token = "git-token"
	srv := gittest.NewServer(t, token)
	repo := srv.NewRepo(t, "agents")
	if err := runnertest.WriteFakeProject(filepath.Join(repo.WorkDir(), "agent")); err != nil {
		t.Fatal(err)
	}
	repo.CommitAll(t, "main", "the agent")
	src, err := git.New(&git.Options{CacheDir: t.TempDir(), AllowHTTP: true, Repositories: []string{repo.URL},
		Credentials: func(context.Context, string) (git.Credentials, error) {
			return git.Credentials{Username: gittest.Username, Password: token}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, apitest.ProjectPath)); err != nil {
		t.Fatal(err)
	}
	e := openEnv(t, "/ui", projects, &runnerlocal.Options{BuildMode: runnerlocal.BuildPlain}, nil, admin.WithSource(src))
	root, tok := e.user(t, "root@example.com")
	as := apitest.As(root.ID)
	team, err := e.a.CreateTeam(as, admin.NewTeam{Name: "Crew"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signIn(t, ctx, e, tok)

	fromGit := `input[name="source"][value="git?` + url.Values{"path": {"agent"}, "url": {repo.URL}}.Encode() + `"]`
	visit(t, ctx, e.ui+"/teams/"+team.ID+"/projects/new", fromGit)
	if n := get(t, ctx, "the local choice", chromedp.Evaluate[int](
		`document.querySelectorAll('input[name="source"][value="local?path=`+apitest.ProjectPath+`"]').length`)); n != 1 {
		t.Fatalf("the local source's project is offered %d times, want once", n)
	}
	screenshot(t, ctx, "new-project-sources")
	run(t, ctx, "choose the repository's project", chromedp.Click(chromedp.CSS(fromGit)),
		chromedp.SendKeys(chromedp.CSS("#project-name"), "From Git"))
	press(t, ctx, "", "create-project", `#deployments tr[data-deployment="production"]`)
	ps, err := e.a.ListProjects(as, team.ID, admin.Page{})
	if err != nil || len(ps.Items) != 1 {
		t.Fatalf("projects: %v %v", ps.Items, err)
	}
	p := ps.Items[0]
	if p.Name != "From Git" || p.SourceType != admin.SourceGit || p.SourceConfig["url"] != repo.URL || p.SourceConfig["path"] != "agent" {
		t.Fatalf("project %s from %s %v, want From Git from git {url %s, path agent}", p.Name, p.SourceType, p.SourceConfig, repo.URL)
	}
}
