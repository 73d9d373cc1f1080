package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// call is one request to a page: who asks, with the principal in ctx.
type call struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	sess session
	me   *admin.User
	// platform is true for a platform admin acting with platform-wide
	// rights (not through a team-scoped token).
	platform bool
	teamID   string // the principal's token scope, if any
}

type handlerFunc func(c *call) error

// view is what every page template gets.
type view struct {
	Title    string
	Prefix   string
	CSRF     string
	Me       *admin.User
	Platform bool
	ReadOnly bool // Options.ReadOnly: no control that changes anything
	Teams    []*admin.Team
	Team     *admin.Team
	Role     admin.Role
	Section  string
	Refresh  string // htmx polling trigger, "every 2000ms"; "" when the user turned refreshing off
	// RefreshChoice is the user's refresh interval (a key of
	// refreshChoices), "" for the dashboard's default.
	RefreshChoice string
	SSO           string
	Error         string            // a message for the whole form
	Errors        map[string]string // field → message
	Form          url.Values        // what was submitted, to show again
	Filters       *filterForm       // a query page's filter form
	Data          any
	status        int // the response status; 0 means 200
}

// Can reports whether the signed-in user may do perm ("deployment:deploy")
// in the page's team (never on a read-only dashboard). Pages hide what
// this denies; the Admin refuses it anyway.
func (v *view) Can(perm string) bool {
	if v.ReadOnly {
		return false
	}
	if v.Platform {
		return true
	}
	return v.Role != "" && admin.RoleAllows(v.Role, admin.Permission(perm))
}

// Value returns the submitted value of a form field.
func (v *view) Value(name string) string { return v.Form.Get(name) }

// parsePages parses each page under templates/ with the
// layout.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		// u builds a dashboard URL: literal parts starting with / are kept,
		// other parts (ids, names) are escaped as one path segment.
		"u": func(parts ...any) string {
			var b strings.Builder
			b.WriteString(h.prefix)
			for _, p := range parts {
				s := fmt.Sprint(p)
				if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "?") {
					b.WriteString(s)
				} else {
					b.WriteString(url.PathEscape(s))
				}
			}
			return b.String()
		},
		"ago":      ago,
		"duration": buildDuration,
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format("2006-01-02 15:04:05 UTC")
			case *time.Time:
				if v != nil {
					return v.UTC().Format("2006-01-02 15:04:05 UTC")
				}
			}
			return "—"
		},
		"roles": func() []admin.Role {
			return []admin.Role{admin.RoleOwner, admin.RoleAdmin, admin.RoleDeveloper, admin.RoleViewer}
		},
		"active":   func(s admin.BuildStatus) bool { return s == admin.BuildQueued || s.Active() },
		"join":     strings.Join,
		"deref":    func(p *time.Time) time.Time { return *p },
		"add":      func(a, b int) int { return a + b },
		"contains": strings.Contains,
		"usd":      func(v *float64) string { return fmt.Sprintf("$%.4f", *v) },
		"yflip":    func(height int, pos float64) float64 { return float64(height) - pos },
	}
}

// ago says how long ago t was, coarsely.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case t.IsZero():
		return "—"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// buildDuration is how long a build ran, or has run so far.
func buildDuration(b *admin.Build) string {
	if b.StartedAt == nil {
		return "—"
	}
	end := time.Now()
	if b.CompletedAt != nil {
		end = *b.CompletedAt
	}
	return end.Sub(*b.StartedAt).Round(100 * time.Millisecond).String()
}

// newView fills what the layout needs.
func (c *call) newView(title string, data any) *view {
	v := &view{Title: title, Prefix: c.h.prefix, CSRF: c.sess.CSRF, Me: c.me, Platform: c.platform, ReadOnly: c.h.ro,
		Refresh: c.refreshTrigger(), RefreshChoice: c.refreshChoice(), SSO: c.h.sso, Data: data,
		Errors: map[string]string{}, Form: url.Values{}}
	if c.me != nil {
		if l, err := c.h.a.ListTeams(c.ctx, admin.Page{Limit: admin.MaxPageLimit}); err == nil {
			v.Teams = l.Items
		}
	}
	return v
}

// refreshCookie remembers, per browser, the refresh interval the user
// chose in the header: a key of refreshChoices. It is not a secret.
const refreshCookie = "mastra_admin_refresh"

// refreshChoices are the refresh intervals a user may choose besides the
// dashboard's default (Options.RefreshInterval); 0 turns refreshing off.
var refreshChoices = map[string]time.Duration{"off": 0, "5s": 5 * time.Second, "30s": 30 * time.Second}

// refreshChoice is the user's choice, "" for the default.
func (c *call) refreshChoice() string {
	if ck, err := c.r.Cookie(refreshCookie); err == nil {
		if _, ok := refreshChoices[ck.Value]; ok {
			return ck.Value
		}
	}
	return ""
}

// refreshTrigger is the htmx trigger of the live parts of pages: every
// chosen interval, or "" (no polling) when the user turned it off.
func (c *call) refreshTrigger() string {
	d := c.h.refresh
	if ch := c.refreshChoice(); ch != "" {
		d = refreshChoices[ch]
	}
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("every %dms", d.Milliseconds())
}

// inTeam sets the page's team and the user's role in it.
func (c *call) inTeam(v *view, t *admin.Team) error {
	v.Team = t
	if c.platform {
		v.Role = admin.RoleOwner
		return nil
	}
	if c.teamID != "" && c.teamID != t.ID {
		return nil // a token of another team: no rights here
	}
	for after := ""; ; {
		l, err := c.h.a.ListMembers(c.ctx, t.ID, admin.Page{Limit: admin.MaxPageLimit, After: after})
		if err != nil {
			return err
		}
		for _, m := range l.Items {
			if m.UserID == c.me.ID {
				v.Role = m.Role
				return nil
			}
		}
		if l.Next == "" {
			return nil
		}
		after = l.Next
	}
}

// render writes the page, with v's status (default 200).
func (c *call) render(page string, v *view) error {
	status := v.status
	if status == 0 {
		status = http.StatusOK
	}
	t, ok := c.h.pages[page]
	if !ok {
		return fmt.Errorf("ui: no page template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("ui: render %s: %w", page, err)
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	_, err := c.w.Write(buf.Bytes())
	return err
}

// fragment writes one named template of a page (an htmx swap target).
func (c *call) fragment(page, name string, v *view) error {
	var buf bytes.Buffer
	if err := c.h.pages[page].ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("ui: render %s/%s: %w", page, name, err)
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Header().Set("Cache-Control", "no-store")
	_, err := c.w.Write(buf.Bytes())
	return err
}

// redirect answers a form post: see the page at path (303).
func (c *call) redirect(path string) error {
	http.Redirect(c.w, c.r, c.h.url(path), http.StatusSeeOther)
	return nil
}

// formFailed shows a form's page again with err next to the field it
// names (a *admin.ValidationError), or above the form. Errors that are not
// about the input are returned as they are.
func (c *call) formFailed(err error, show func(v *view) error, v *view) error {
	var ve *admin.ValidationError
	switch {
	case errors.As(err, &ve):
		v.Errors[ve.Field] = ve.Reason
		v.Error = err.Error()
	case errors.Is(err, admin.ErrAlreadyExists), errors.Is(err, admin.ErrConflict), errors.Is(err, admin.ErrLicense),
		errors.Is(err, admin.ErrForbidden), errors.Is(err, admin.ErrNotFound):
		v.Error = err.Error()
	default:
		return err
	}
	v.Form = c.r.PostForm
	v.status = statusOf(err)
	return show(v)
}

// errorPage shows err as a page.
func (h *Handler) errorPage(c *call, err error) {
	status := statusOf(err)
	if pe, ok := errors.AsType[*pageError](err); ok {
		status = pe.status
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		id := randomToken()[:12]
		h.log.ErrorContext(c.r.Context(), "internal error", "path", c.r.URL.Path, "err", err, "errorId", id)
		msg = "internal error; the server log has the details under error id " + id
	}
	v := c.newView(http.StatusText(status), nil)
	v.Error = msg
	v.status = status
	if rerr := c.render("error", v); rerr != nil {
		h.log.ErrorContext(c.r.Context(), "render error page", "err", rerr)
	}
}
