package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// ---- API tokens ----

type tokensData struct {
	Tokens []*admin.APIToken
	// Secret is the value of the token just created, shown this once.
	Secret  string
	Created *admin.APIToken
}

func (h *Handler) tokensPage(c *call) error {
	return h.showTokens(c, c.newView("API tokens", nil), tokensData{})
}

func (h *Handler) showTokens(c *call, v *view, data tokensData) error {
	v.Section = "tokens"
	l, err := h.a.ListTokens(c.ctx, admin.Page{Limit: admin.MaxPageLimit, Desc: true})
	if err != nil {
		return err
	}
	data.Tokens = l.Items
	v.Data = data
	return c.render("tokens", v)
}

func (h *Handler) createToken(c *call) error {
	f := c.r.PostForm
	v := c.newView("API tokens", nil)
	in := admin.NewToken{Name: f.Get("name"), TeamID: f.Get("team")}
	if s := strings.TrimSpace(f.Get("days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 3650 {
			return c.formFailed(&admin.ValidationError{Field: "ttl", Reason: "days must be a whole number from 1 to 3650"},
				func(v *view) error { return h.showTokens(c, v, tokensData{}) }, v)
		}
		in.TTL = time.Duration(n) * 24 * time.Hour
	}
	tok, secret, err := h.a.CreateToken(c.ctx, in)
	if err != nil {
		return c.formFailed(err, func(v *view) error { return h.showTokens(c, v, tokensData{}) }, v)
	}
	// The secret is in this response only: no redirect, no cookie, no log.
	v.status = http.StatusCreated
	return h.showTokens(c, v, tokensData{Secret: secret, Created: tok})
}

func (h *Handler) revokeToken(c *call) error {
	if err := h.a.RevokeToken(c.ctx, c.r.PathValue("token")); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showTokens(c, v, tokensData{}) }, c.newView("API tokens", nil))
	}
	return c.redirect("/tokens")
}

// ---- build queue ----

type queueRow struct {
	Build      *admin.Build
	Project    *admin.Project
	Deployment *admin.Deployment
}

// queueLimit bounds how many recent builds of each deployment the queue
// page reads: queued and running builds are the newest ones.
const queueLimit = 20

func (h *Handler) queuePage(c *call) error {
	v, err := c.teamView("Build queue", nil)
	if err != nil {
		return err
	}
	v.Section = "queue"
	if v.Data, err = h.queue(c, v.Team.ID); err != nil {
		return err
	}
	if c.r.Header.Get("HX-Request") != "" {
		return c.fragment("queue", "rows", v)
	}
	return c.render("queue", v)
}

// queue lists the team's queued and in-flight builds, oldest first (the
// order the workers take them in).
func (h *Handler) queue(c *call, teamID string) ([]queueRow, error) {
	ps, err := h.a.ListProjects(c.ctx, teamID, all)
	if err != nil {
		return nil, err
	}
	var rows []queueRow
	for _, p := range ps.Items {
		ds, err := h.a.ListDeployments(c.ctx, p.ID, all)
		if err != nil {
			return nil, err
		}
		for _, d := range ds.Items {
			bs, err := h.a.ListBuilds(c.ctx, d.ID, admin.Page{Limit: queueLimit, Desc: true})
			if err != nil {
				return nil, err
			}
			for _, b := range bs.Items {
				if b.Status == admin.BuildQueued || b.Status.Active() {
					rows = append(rows, queueRow{Build: b, Project: p, Deployment: d})
				}
			}
		}
	}
	slices.SortFunc(rows, func(a, b queueRow) int { return a.Build.QueuedAt.Compare(b.Build.QueuedAt) })
	return rows, nil
}

// ---- audit log ----

type auditData struct {
	Events []*admin.AuditEvent
	Older  string // the URL of the older page, with the filters; "" on the last
	Base   string // the page's path
}

func (h *Handler) auditPage(c *call) error {
	if !c.platform {
		return &pageError{status: http.StatusForbidden, msg: "only platform admins may read the whole audit log; team owners and admins read their team's"}
	}
	v := c.newView("Audit log", nil)
	v.Section = "audit"
	return h.showAudit(c, v, "", "/audit")
}

func (h *Handler) teamAuditPage(c *call) error {
	v, err := c.teamView("Audit log", nil)
	if err != nil {
		return err
	}
	v.Section = "audit"
	return h.showAudit(c, v, v.Team.ID, "/teams/"+v.Team.ID+"/audit")
}

func (h *Handler) showAudit(c *call, v *view, teamID, base string) error {
	q := c.r.URL.Query()
	f := admin.AuditFilter{TeamID: teamID, ActorID: strings.TrimSpace(q.Get("actor")),
		Action: strings.TrimSpace(q.Get("action")), TargetID: strings.TrimSpace(q.Get("target"))}
	limit := admin.DefaultPageLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > admin.MaxPageLimit {
			return &admin.ValidationError{Field: "limit", Reason: fmt.Sprintf("must be a whole number from 1 to %d", admin.MaxPageLimit)}
		}
		limit = n
	}
	l, err := h.a.ListAudit(c.ctx, f, admin.Page{Limit: limit, Desc: true, After: q.Get("after")})
	if err != nil {
		return err
	}
	v.Form = q
	data := auditData{Events: l.Items, Base: base}
	if l.Next != "" {
		data.Older = c.h.url(base) + "?" + withParam(q, "after", l.Next)
	}
	v.Data = data
	return c.render("audit", v)
}

// ---- license and usage ----

type licenseData struct {
	License  admin.License
	Features []string
	Usage    []usageRow
	Expired  string
}

type usageRow struct {
	Kind  string
	Used  int
	Limit int
}

func (h *Handler) licensePage(c *call) error {
	if !c.platform {
		return &pageError{status: http.StatusForbidden, msg: "only platform admins may see the license and usage"}
	}
	v := c.newView("License and usage", nil)
	v.Section = "license"
	lic := h.a.License()
	data := licenseData{License: lic, Features: lic.Tier.Features()}
	data.Features = append(data.Features, lic.Features...)
	if err := lic.Check(time.Now()); err != nil {
		data.Expired = err.Error()
	}
	teams, projects, running, err := h.usage(c)
	if err != nil {
		return err
	}
	users := 0
	for after := ""; ; {
		l, err := h.a.ListUsers(c.ctx, admin.Page{Limit: admin.MaxPageLimit, After: after})
		if err != nil {
			return err
		}
		users += len(l.Items)
		if l.Next == "" {
			break
		}
		after = l.Next
	}
	data.Usage = []usageRow{{"Teams", teams, lic.Limits.Teams}, {"Projects", projects, lic.Limits.Projects},
		{"Running servers", running, lic.Limits.RunningServers}, {"Users", users, lic.Limits.Users}}
	v.Data = data
	return c.render("license", v)
}

// usage counts the platform's teams, projects and running deployments.
func (h *Handler) usage(c *call) (teams, projects, running int, err error) {
	for after := ""; ; {
		l, err := h.a.ListTeams(c.ctx, admin.Page{Limit: admin.MaxPageLimit, After: after})
		if err != nil {
			return 0, 0, 0, err
		}
		teams += len(l.Items)
		for _, t := range l.Items {
			ps, err := h.a.ListProjects(c.ctx, t.ID, all)
			if err != nil {
				return 0, 0, 0, err
			}
			projects += len(ps.Items)
			for _, p := range ps.Items {
				ds, err := h.a.ListDeployments(c.ctx, p.ID, all)
				if err != nil {
					return 0, 0, 0, err
				}
				for _, d := range ds.Items {
					if d.Status == admin.DeploymentRunning {
						running++
					}
				}
			}
		}
		if l.Next == "" {
			return teams, projects, running, nil
		}
		after = l.Next
	}
}

// withParam returns q, encoded, with key set to value.
func withParam(q url.Values, key, value string) string {
	out := url.Values{}
	for k, vs := range q {
		out[k] = vs
	}
	out.Set(key, value)
	return out.Encode()
}
