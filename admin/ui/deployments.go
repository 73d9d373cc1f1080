package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// deploymentData is what the deployment page shows.
type deploymentData struct {
	Project    *admin.Project
	Deployment *admin.Deployment
	Builds     []*admin.Build
	Servers    []*admin.RunningServer
	Overrides  []admin.EnvVarInfo
	// Production is the project's production deployment, which a build
	// of this one can be promoted to; nil on production's own page.
	Production *admin.Deployment
}

// deploymentView reads the deployment of the path, its project and team.
func (c *call) deploymentView() (*view, *admin.Project, *admin.Deployment, error) {
	d, err := c.h.a.GetDeployment(c.ctx, c.r.PathValue("deployment"))
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := c.h.a.GetProject(c.ctx, d.ProjectID)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := c.h.a.GetTeam(c.ctx, p.TeamID)
	if err != nil {
		return nil, nil, nil, err
	}
	v := c.newView(p.Name+" / "+d.Slug, nil)
	v.Section = "overview"
	return v, p, d, c.inTeam(v, t)
}

func (h *Handler) deploymentData(c *call, p *admin.Project, d *admin.Deployment) (deploymentData, error) {
	out := deploymentData{Project: p, Deployment: d}
	bs, err := h.a.ListBuilds(c.ctx, d.ID, admin.Page{Limit: 50, Desc: true})
	if err != nil {
		return out, err
	}
	out.Builds = bs.Items
	ss, err := h.a.ListServers(c.ctx, d.ID, admin.Page{Limit: 10, Desc: true})
	if err != nil {
		return out, err
	}
	out.Servers = ss.Items
	if out.Overrides, err = h.a.ListDeploymentEnvVars(c.ctx, d.ID); err != nil {
		return out, err
	}
	if d.Type != admin.DeploymentProduction {
		all, err := h.a.ListDeployments(c.ctx, p.ID, admin.Page{Limit: admin.MaxPageLimit})
		if err != nil {
			return out, err
		}
		for _, o := range all.Items {
			if o.Type == admin.DeploymentProduction {
				out.Production = o
			}
		}
	}
	return out, nil
}

func (h *Handler) deploymentPage(c *call) error {
	v, p, d, err := c.deploymentView()
	if err != nil {
		return err
	}
	return h.showDeployment(c, v, p, d)
}

func (h *Handler) showDeployment(c *call, v *view, p *admin.Project, d *admin.Deployment) error {
	data, err := h.deploymentData(c, p, d)
	if err != nil {
		return err
	}
	v.Data = data
	return c.render("deployment", v)
}

func (h *Handler) deploymentSummary(c *call) error {
	v, p, d, err := c.deploymentView()
	if err != nil {
		return err
	}
	data, err := h.deploymentData(c, p, d)
	if err != nil {
		return err
	}
	v.Data = data
	return c.fragment("deployment", "summary", v)
}

// deploymentAction runs one action on the deployment of the path; on
// failure the deployment page shows why.
func (h *Handler) deploymentAction(c *call, act func(v *view, p *admin.Project, d *admin.Deployment) (string, error)) error {
	v, p, d, err := c.deploymentView()
	if err != nil {
		return err
	}
	next, err := act(v, p, d)
	if err != nil {
		return c.formFailed(err, func(v *view) error {
			if d, err = h.a.GetDeployment(c.ctx, d.ID); err != nil {
				return err
			}
			return h.showDeployment(c, v, p, d)
		}, v)
	}
	return c.redirect(next)
}

func (h *Handler) deploy(c *call) error {
	return h.deploymentAction(c, func(_ *view, _ *admin.Project, d *admin.Deployment) (string, error) {
		b, err := h.a.Deploy(c.ctx, d.ID)
		if err != nil {
			return "", err
		}
		return "/builds/" + b.ID, nil
	})
}

// redeploy is the handler of a form that deploys the build it names
// again to the deployment of the path with deploy (Admin.Rollback,
// Admin.Promote), then shows the new build.
func (h *Handler) redeploy(deploy func(ctx context.Context, deploymentID, buildID string) (*admin.Build, error)) func(*call) error {
	return func(c *call) error {
		return h.deploymentAction(c, func(_ *view, _ *admin.Project, d *admin.Deployment) (string, error) {
			b, err := deploy(c.ctx, d.ID, c.r.PostForm.Get("build"))
			if err != nil {
				return "", err
			}
			return "/builds/" + b.ID, nil
		})
	}
}

func (h *Handler) stop(c *call) error {
	return h.deploymentAction(c, func(_ *view, _ *admin.Project, d *admin.Deployment) (string, error) {
		return "/deployments/" + d.ID, h.a.StopDeployment(c.ctx, d.ID)
	})
}

func (h *Handler) deleteDeployment(c *call) error {
	return h.deploymentAction(c, func(_ *view, p *admin.Project, d *admin.Deployment) (string, error) {
		return "/projects/" + p.ID, h.a.DeleteDeployment(c.ctx, d.ID)
	})
}

// approvePreview approves the head commit of a fork's pull-request
// preview (the commit the page showed), which builds it.
func (h *Handler) approvePreview(c *call) error {
	return h.deploymentAction(c, func(_ *view, p *admin.Project, d *admin.Deployment) (string, error) {
		_, err := h.a.ApprovePreview(c.ctx, d.ID, c.r.PostForm.Get("commit"))
		return "/projects/" + p.ID, err
	})
}

func (h *Handler) setOverride(c *call) error {
	return h.deploymentAction(c, func(_ *view, _ *admin.Project, d *admin.Deployment) (string, error) {
		f := c.r.PostForm
		_, err := h.a.SetDeploymentEnvVars(c.ctx, d.ID, map[string]string{strings.TrimSpace(f.Get("name")): f.Get("value")})
		return "/deployments/" + d.ID, err
	})
}

func (h *Handler) deleteOverride(c *call) error {
	return h.deploymentAction(c, func(_ *view, _ *admin.Project, d *admin.Deployment) (string, error) {
		return "/deployments/" + d.ID, h.a.DeleteDeploymentEnvVar(c.ctx, d.ID, c.r.PostForm.Get("name"))
	})
}

// ---- builds ----

type buildData struct {
	Project    *admin.Project
	Deployment *admin.Deployment
	Build      *admin.Build
}

func (c *call) buildView() (*view, buildData, error) {
	b, err := c.h.a.GetBuild(c.ctx, c.r.PathValue("build"))
	if err != nil {
		return nil, buildData{}, err
	}
	d, err := c.h.a.GetDeployment(c.ctx, b.DeploymentID)
	if err != nil {
		return nil, buildData{}, err
	}
	p, err := c.h.a.GetProject(c.ctx, b.ProjectID)
	if err != nil {
		return nil, buildData{}, err
	}
	t, err := c.h.a.GetTeam(c.ctx, p.TeamID)
	if err != nil {
		return nil, buildData{}, err
	}
	v := c.newView("Build "+b.ID, nil)
	v.Section = "overview"
	data := buildData{Project: p, Deployment: d, Build: b}
	v.Data = data
	return v, data, c.inTeam(v, t)
}

func (h *Handler) buildPage(c *call) error {
	v, _, err := c.buildView()
	if err != nil {
		return err
	}
	return c.render("build", v)
}

func (h *Handler) buildStatus(c *call) error {
	v, _, err := c.buildView()
	if err != nil {
		return err
	}
	return c.fragment("build", "status", v)
}

func (h *Handler) cancelBuild(c *call) error {
	v, data, err := c.buildView()
	if err != nil {
		return err
	}
	if err := h.a.CancelBuild(c.ctx, data.Build.ID); err != nil {
		return c.formFailed(err, func(v *view) error {
			b, err := h.a.GetBuild(c.ctx, data.Build.ID)
			if err != nil {
				return err
			}
			data.Build = b
			v.Data = data
			return c.render("build", v)
		}, v)
	}
	return c.redirect("/builds/" + data.Build.ID)
}

// logEvent is one line of the live log as the page's script reads it.
type logEvent struct {
	Seq     int64  `json:"seq"`
	Time    string `json:"time"`
	Phase   string `json:"phase,omitempty"`
	Stream  string `json:"stream,omitempty"`
	Text    string `json:"text"`
	Dropped int64  `json:"dropped,omitempty"`
}

// endEvent ends the live log: the build's final state.
type endEvent struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// logStream serves a build's log as server-sent events: what the log
// cache holds from ?from= (or the Last-Event-ID a reconnecting browser
// sends) on, then new lines live, then an "end" event with the build's
// status. It follows Admin.FollowBuildLogs as the signed-in user.
func (h *Handler) logStream(c *call) error {
	id := c.r.PathValue("build")
	from := int64(0)
	if s := c.r.Header.Get("Last-Event-ID"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			from = n + 1
		}
	} else if s := c.r.URL.Query().Get("from"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return &admin.ValidationError{Field: "from", Reason: "must be a line number, 0 or more"}
		}
		from = n
	}
	ctx, cancel := mergeDone(c.ctx, h.closing)
	defer cancel()
	done, err := h.startStream()
	if err != nil {
		return err
	}
	defer done()
	lines, err := h.a.FollowBuildLogs(ctx, id, from)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(c.w)
	hd := c.w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	send := func(event, id string, v any) bool {
		b, _ := json.Marshal(v) // plain structs of strings and numbers
		if id != "" {
			if _, err := fmt.Fprintf(c.w, "id: %s\n", id); err != nil {
				return false
			}
		}
		if _, err := fmt.Fprintf(c.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for l, err := range lines {
		if err != nil {
			if ctx.Err() == nil {
				send("failure", "", map[string]string{"error": err.Error()})
			}
			return nil
		}
		if !send("line", strconv.FormatInt(l.Seq, 10), logEvent{Seq: l.Seq, Time: l.Time.UTC().Format(time.TimeOnly),
			Phase: l.Phase, Stream: l.Stream, Text: l.Text, Dropped: l.Dropped}) {
			return nil
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	b, err := h.a.GetBuild(c.ctx, id)
	if err != nil {
		send("failure", "", map[string]string{"error": err.Error()})
		return nil
	}
	send("end", "", endEvent{Status: string(b.Status), Error: b.Error})
	return nil
}

// logDownload serves an ended build's log as a text file, one line per
// log line: time, phase, stream and text.
func (h *Handler) logDownload(c *call) error {
	id := c.r.PathValue("build")
	b, err := h.a.GetBuild(c.ctx, id)
	if err != nil {
		return err
	}
	if !b.Status.Terminal() {
		return fmt.Errorf("build %s is %s: its log can be downloaded when it ends (the page shows it live): %w",
			b.ID, b.Status, admin.ErrConflict)
	}
	ctx, cancel := mergeDone(c.ctx, h.closing)
	defer cancel()
	lines, err := h.a.FollowBuildLogs(ctx, id, 0)
	if err != nil {
		return err
	}
	hd := c.w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="build-`+b.ID+`.log"`)
	hd.Set("Cache-Control", "no-store")
	for l, err := range lines {
		if err != nil {
			// The status line is out: all that is left is to say so in the file.
			fmt.Fprintf(c.w, "\n[log incomplete: %v]\n", err)
			return nil
		}
		stream := l.Stream
		if stream == "" {
			stream = "-"
		}
		if _, err := fmt.Fprintf(c.w, "%s [%s] %s %s\n", l.Time.UTC().Format(time.RFC3339Nano), l.Phase, stream, l.Text); err != nil {
			return nil
		}
	}
	return nil
}

// mergeDone returns a context done when ctx or other is.
func mergeDone(ctx, other context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(other, cancel)
	return ctx, func() { stop(); cancel() }
}
