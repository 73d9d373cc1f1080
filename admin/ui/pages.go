package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// all is a page of the largest size the Admin allows.
var all = admin.Page{Limit: admin.MaxPageLimit}

func (h *Handler) home(c *call) error {
	l, err := h.a.ListTeams(c.ctx, admin.Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(l.Items) == 0 {
		return c.redirect("/teams")
	}
	return c.redirect("/teams/" + l.Items[0].ID)
}

// ---- teams ----

func (h *Handler) teamsPage(c *call) error { return c.render("teams", c.newView("Teams", nil)) }

func (h *Handler) createTeam(c *call) error {
	t, err := h.a.CreateTeam(c.ctx, admin.NewTeam{Name: c.r.PostForm.Get("name"), Slug: strings.TrimSpace(c.r.PostForm.Get("slug"))})
	if err != nil {
		v := c.newView("Teams", nil)
		return c.formFailed(err, func(v *view) error { return c.render("teams", v) }, v)
	}
	return c.redirect("/teams/" + t.ID)
}

// teamView reads the team of the path and the user's role in it.
func (c *call) teamView(title string, data any) (*view, error) {
	t, err := c.h.a.GetTeam(c.ctx, c.r.PathValue("team"))
	if err != nil {
		return nil, err
	}
	v := c.newView(title, data)
	return v, c.inTeam(v, t)
}

// projectCard is a project on the team overview.
type projectCard struct {
	Project    *admin.Project
	Production *admin.Deployment
	LastBuild  *admin.Build
}

func (h *Handler) teamPage(c *call) error {
	v, err := c.teamView("", nil)
	if err != nil {
		return err
	}
	v.Title, v.Section = v.Team.Name, "overview"
	ps, err := h.a.ListProjects(c.ctx, v.Team.ID, all)
	if err != nil {
		return err
	}
	cards := make([]projectCard, 0, len(ps.Items))
	for _, p := range ps.Items {
		card := projectCard{Project: p}
		ds, err := h.a.ListDeployments(c.ctx, p.ID, all)
		if err != nil {
			return err
		}
		for _, d := range ds.Items {
			if d.Type == admin.DeploymentProduction {
				card.Production = d
				bs, err := h.a.ListBuilds(c.ctx, d.ID, admin.Page{Limit: 1, Desc: true})
				if err != nil {
					return err
				}
				if len(bs.Items) > 0 {
					card.LastBuild = bs.Items[0]
				}
			}
		}
		cards = append(cards, card)
	}
	v.Data = cards
	return c.render("team", v)
}

// ---- projects ----

func (h *Handler) newProjectPage(c *call) error {
	v, err := c.teamView("New project", nil)
	if err != nil {
		return err
	}
	return h.showNewProject(c, v)
}

// sourceGroup is one configured Source on the new-project page: the
// projects it offers, or why it could not list them.
type sourceGroup struct {
	Type     admin.SourceType
	Projects []sourceChoice
	Err      string
}

// sourceChoice is one project a Source offers; Value is the radio
// button's value: the source type and its config (see sourceValue).
type sourceChoice struct {
	admin.ProjectSource
	Value string
}

// sourceTypes are the Source types the page asks for projects, in order.
var sourceTypes = []admin.SourceType{admin.SourceLocal, admin.SourceGitHub, admin.SourceGit}

// sourceValue encodes a project source as one form value:
// "{type}?{config as a query string}".
func sourceValue(t admin.SourceType, config map[string]string) string {
	q := url.Values{}
	for k, v := range config {
		q.Set(k, v)
	}
	return string(t) + "?" + q.Encode()
}

// parseSource reads what sourceValue wrote. The Admin validates the
// config against the Source, as for the API.
func parseSource(v string) (admin.SourceType, map[string]string, bool) {
	t, query, ok := strings.Cut(v, "?")
	if !ok || !admin.SourceType(t).Valid() {
		return "", nil, false
	}
	q, err := url.ParseQuery(query)
	if err != nil || len(q) == 0 {
		return "", nil, false
	}
	config := map[string]string{}
	for k, vs := range q {
		if len(vs) != 1 {
			return "", nil, false
		}
		config[k] = vs[0]
	}
	return admin.SourceType(t), config, true
}

func (h *Handler) showNewProject(c *call, v *view) error {
	v.Section = "overview"
	// The sources are asked at once: GitHub and git answer over the network.
	found, errs := make([][]admin.ProjectSource, len(sourceTypes)), make([]error, len(sourceTypes))
	var wg sync.WaitGroup
	for i, t := range sourceTypes {
		wg.Go(func() { found[i], errs[i] = h.a.DiscoverProjects(c.ctx, t) })
	}
	wg.Wait()
	var groups []sourceGroup
	for i, t := range sourceTypes {
		err := errs[i]
		switch {
		case errors.Is(err, admin.ErrNotSupported):
			continue // not configured
		case err != nil:
			// One unreachable source (GitHub down) leaves the others usable.
			h.log.WarnContext(c.ctx, "list a source's projects", "source", t, "err", err)
			groups = append(groups, sourceGroup{Type: t, Err: err.Error()})
			continue
		}
		g := sourceGroup{Type: t}
		for _, f := range found[i] {
			g.Projects = append(g.Projects, sourceChoice{ProjectSource: f, Value: sourceValue(t, f.Config)})
		}
		groups = append(groups, g)
	}
	v.Data = groups
	return c.render("newproject", v)
}

func (h *Handler) createProject(c *call) error {
	v, err := c.teamView("New project", nil)
	if err != nil {
		return err
	}
	f := c.r.PostForm
	in := admin.NewProject{Name: f.Get("name"), Slug: strings.TrimSpace(f.Get("slug")),
		DefaultBranch: strings.TrimSpace(f.Get("defaultBranch"))}
	t, config, ok := parseSource(f.Get("source"))
	if !ok {
		v.Errors["sourceConfig"] = "choose one of the projects the sources offer"
		v.Form, v.status = f, http.StatusUnprocessableEntity
		return h.showNewProject(c, v)
	}
	in.SourceType, in.SourceConfig = t, config
	p, err := h.a.CreateProject(c.ctx, v.Team.ID, in)
	if errors.Is(err, admin.ErrNotSupported) { // a source this Admin has not
		v.Errors["sourceConfig"] = err.Error()
		v.Form, v.status = f, http.StatusUnprocessableEntity
		return h.showNewProject(c, v)
	}
	if err != nil {
		return c.formFailed(err, func(v *view) error { return h.showNewProject(c, v) }, v)
	}
	return c.redirect("/projects/" + p.ID)
}

// projectData is what the project page shows.
type projectData struct {
	Project     *admin.Project
	Deployments []deploymentRow
	Previews    []previewRow
}

// previewRow is a preview deployment the platform made for a pull
// request or a branch (one with an admin.Preview record).
type previewRow struct {
	deploymentRow
	Preview *admin.Preview
	// NeedsApproval: a fork's head commit no team member approved yet.
	NeedsApproval bool
}

type deploymentRow struct {
	Deployment *admin.Deployment
	Current    *admin.Build // the build serving, if any
	Latest     *admin.Build // the newest build, if any
}

// projectView reads the project of the path, its team and the user's role.
func (c *call) projectView(title string) (*view, *admin.Project, error) {
	p, err := c.h.a.GetProject(c.ctx, c.r.PathValue("project"))
	if err != nil {
		return nil, nil, err
	}
	t, err := c.h.a.GetTeam(c.ctx, p.TeamID)
	if err != nil {
		return nil, nil, err
	}
	v := c.newView(title, nil)
	v.Section = "overview"
	return v, p, c.inTeam(v, t)
}

func (h *Handler) deploymentRows(c *call, p *admin.Project) ([]deploymentRow, error) {
	ds, err := h.a.ListDeployments(c.ctx, p.ID, all)
	if err != nil {
		return nil, err
	}
	rows := make([]deploymentRow, 0, len(ds.Items))
	for _, d := range ds.Items {
		row := deploymentRow{Deployment: d}
		bs, err := h.a.ListBuilds(c.ctx, d.ID, admin.Page{Limit: 1, Desc: true})
		if err != nil {
			return nil, err
		}
		if len(bs.Items) > 0 {
			row.Latest = bs.Items[0]
		}
		if d.CurrentBuildID != "" {
			if row.Latest != nil && row.Latest.ID == d.CurrentBuildID {
				row.Current = row.Latest
			} else if row.Current, err = h.a.GetBuild(c.ctx, d.CurrentBuildID); err != nil {
				return nil, err
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (h *Handler) projectPage(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	return h.showProject(c, v, p)
}

func (h *Handler) showProject(c *call, v *view, p *admin.Project) error {
	rows, err := h.deploymentRows(c, p)
	if err != nil {
		return err
	}
	previews, err := h.previews(c, rows)
	if err != nil {
		return err
	}
	v.Title, v.Data = p.Name, projectData{Project: p, Deployments: rows, Previews: previews}
	return c.render("project", v)
}

// previews returns the preview deployments among rows that have a
// Preview record (hand-made previews have none; nor has an Admin whose
// Storage keeps no previews).
func (h *Handler) previews(c *call, rows []deploymentRow) ([]previewRow, error) {
	var out []previewRow
	for _, r := range rows {
		if r.Deployment.Type != admin.DeploymentPreview {
			continue
		}
		pr, err := h.a.GetPreview(c.ctx, r.Deployment.ID)
		switch {
		case errors.Is(err, admin.ErrNotFound):
			continue
		case errors.Is(err, admin.ErrNotSupported):
			return nil, nil
		case err != nil:
			return nil, err
		}
		out = append(out, previewRow{deploymentRow: r, Preview: pr, NeedsApproval: pr.Fork && pr.ClosedAt == nil && pr.ApprovedSHA != pr.HeadSHA})
	}
	return out, nil
}

func (h *Handler) deploymentsFragment(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	rows, err := h.deploymentRows(c, p)
	if err != nil {
		return err
	}
	v.Data = projectData{Project: p, Deployments: rows}
	return c.fragment("project", "deployments", v)
}

func (h *Handler) createDeployment(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	f := c.r.PostForm
	d, err := h.a.CreateDeployment(c.ctx, p.ID, admin.NewDeployment{Type: admin.DeploymentType(f.Get("type")),
		Branch: strings.TrimSpace(f.Get("branch")), Slug: strings.TrimSpace(f.Get("slug"))})
	if err != nil {
		return c.formFailed(err, func(v *view) error { return h.showProject(c, v, p) }, v)
	}
	return c.redirect("/deployments/" + d.ID)
}

func (h *Handler) deleteProject(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	if err := h.a.DeleteProject(c.ctx, p.ID); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showProject(c, v, p) }, v)
	}
	return c.redirect("/teams/" + p.TeamID)
}

// ---- env vars ----

type envData struct {
	Project *admin.Project
	Vars    []admin.EnvVarInfo
}

func (h *Handler) envPage(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	return h.showEnv(c, v, p)
}

func (h *Handler) showEnv(c *call, v *view, p *admin.Project) error {
	vars, err := h.a.ListEnvVars(c.ctx, p.ID)
	if err != nil {
		return err
	}
	v.Title, v.Data = p.Name+": environment variables", envData{Project: p, Vars: vars}
	return c.render("env", v)
}

func (h *Handler) setEnv(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	f := c.r.PostForm
	if _, err := h.a.SetEnvVars(c.ctx, p.ID, map[string]string{strings.TrimSpace(f.Get("name")): f.Get("value")}); err != nil {
		err = c.formFailed(err, func(v *view) error { return h.showEnv(c, v, p) }, v)
		return err
	}
	return c.redirect("/projects/" + p.ID + "/env")
}

func (h *Handler) deleteEnv(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	if err := h.a.DeleteEnvVar(c.ctx, p.ID, c.r.PostForm.Get("name")); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showEnv(c, v, p) }, v)
	}
	return c.redirect("/projects/" + p.ID + "/env")
}

// ---- members ----

type membersData struct {
	Members []memberRow
}

type memberRow struct {
	Member *admin.TeamMember
	User   *admin.User // nil when the viewer may not read the user
}

func (h *Handler) membersPage(c *call) error {
	v, err := c.teamView("Members", nil)
	if err != nil {
		return err
	}
	return h.showMembers(c, v)
}

func (h *Handler) showMembers(c *call, v *view) error {
	v.Section = "members"
	ms, err := h.a.ListMembers(c.ctx, v.Team.ID, all)
	if err != nil {
		return err
	}
	rows := make([]memberRow, 0, len(ms.Items))
	for _, m := range ms.Items {
		row := memberRow{Member: m}
		if u, err := h.a.GetUser(c.ctx, m.UserID); err == nil {
			row.User = u
		}
		rows = append(rows, row)
	}
	v.Data = membersData{Members: rows}
	return c.render("members", v)
}

// userID resolves what the add-member form names: a user id, or, for
// platform admins (who may list users), an e-mail.
func (h *Handler) userID(c *call, s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "@") {
		return s, nil
	}
	if !c.platform {
		return "", &admin.ValidationError{Field: "user", Reason: "only platform admins may add members by e-mail; give the user's id"}
	}
	for after := ""; ; {
		l, err := h.a.ListUsers(c.ctx, admin.Page{Limit: admin.MaxPageLimit, After: after})
		if err != nil {
			return "", err
		}
		if i := slices.IndexFunc(l.Items, func(u *admin.User) bool { return strings.EqualFold(u.Email, s) }); i >= 0 {
			return l.Items[i].ID, nil
		}
		if l.Next == "" {
			return "", &admin.ValidationError{Field: "user", Reason: "no user has the e-mail " + s}
		}
		after = l.Next
	}
}

func (h *Handler) addMember(c *call) error {
	v, err := c.teamView("Members", nil)
	if err != nil {
		return err
	}
	show := func(v *view) error { return h.showMembers(c, v) }
	id, err := h.userID(c, c.r.PostForm.Get("user"))
	if err == nil {
		_, err = h.a.AddMember(c.ctx, v.Team.ID, id, admin.Role(c.r.PostForm.Get("role")))
	}
	if err != nil {
		return c.formFailed(err, show, v)
	}
	return c.redirect("/teams/" + v.Team.ID + "/members")
}

func (h *Handler) setRole(c *call) error {
	v, err := c.teamView("Members", nil)
	if err != nil {
		return err
	}
	f := c.r.PostForm
	if _, err := h.a.SetMemberRole(c.ctx, v.Team.ID, f.Get("user"), admin.Role(f.Get("role"))); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showMembers(c, v) }, v)
	}
	return c.redirect("/teams/" + v.Team.ID + "/members")
}

func (h *Handler) removeMember(c *call) error {
	v, err := c.teamView("Members", nil)
	if err != nil {
		return err
	}
	if err := h.a.RemoveMember(c.ctx, v.Team.ID, c.r.PostForm.Get("user")); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showMembers(c, v) }, v)
	}
	return c.redirect("/teams/" + v.Team.ID + "/members")
}
