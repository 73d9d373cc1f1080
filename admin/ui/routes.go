package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
)

// routes registers every page. Paths are relative to the prefix.
func (h *Handler) routes() {
	h.mux.Handle("GET /static/", h.static)
	h.public("GET /login", h.loginPage)
	h.public("POST /login", h.login)
	h.public("GET /auth/sso", h.ssoPage)
	h.public("POST /logout", h.logout)

	h.page("GET /{$}", h.home)
	h.page("GET /teams", h.teamsPage)
	h.page("POST /teams", h.createTeam)
	h.page("GET /teams/{team}", h.teamPage)
	h.page("GET /teams/{team}/projects/new", h.newProjectPage)
	h.page("POST /teams/{team}/projects", h.createProject)
	h.page("GET /teams/{team}/members", h.membersPage)
	h.page("POST /teams/{team}/members", h.addMember)
	h.page("POST /teams/{team}/members/role", h.setRole)
	h.page("POST /teams/{team}/members/remove", h.removeMember)
	h.page("POST /teams/{team}/rename", h.renameTeam)
	h.page("POST /teams/{team}/delete", h.deleteTeam)
	h.page("GET /teams/{team}/queue", h.queuePage)
	h.page("GET /teams/{team}/audit", h.teamAuditPage)

	h.page("GET /projects/{project}", h.projectPage)
	h.page("GET /projects/{project}/deployments", h.deploymentsFragment)
	h.page("POST /projects/{project}/deployments", h.createDeployment)
	h.page("POST /projects/{project}/delete", h.deleteProject)
	h.page("GET /projects/{project}/env", h.envPage)
	h.page("POST /projects/{project}/env", h.setEnv)
	h.page("POST /projects/{project}/env/delete", h.deleteEnv)

	h.page("GET /deployments/{deployment}", h.deploymentPage)
	h.page("GET /deployments/{deployment}/summary", h.deploymentSummary)
	h.page("POST /deployments/{deployment}/deploy", h.deploy)
	h.page("POST /deployments/{deployment}/rollback", h.redeploy(h.a.Rollback))
	h.page("POST /deployments/{deployment}/promote", h.redeploy(h.a.Promote))
	h.page("POST /deployments/{deployment}/stop", h.stop)
	h.page("POST /deployments/{deployment}/delete", h.deleteDeployment)
	h.page("POST /deployments/{deployment}/approve", h.approvePreview)
	h.page("POST /deployments/{deployment}/env", h.setOverride)
	h.page("POST /deployments/{deployment}/env/delete", h.deleteOverride)

	h.page("GET /builds/{build}", h.buildPage)
	h.page("GET /builds/{build}/status", h.buildStatus)
	h.page("POST /builds/{build}/cancel", h.cancelBuild)
	h.page("GET /builds/{build}/log/stream", h.logStream)
	h.page("GET /builds/{build}/log.txt", h.logDownload)

	h.page("GET /tokens", h.tokensPage)
	h.page("POST /tokens", h.createToken)
	h.page("POST /tokens/{token}/revoke", h.revokeToken)
	h.page("GET /audit", h.auditPage)
	h.page("GET /license", h.licensePage)
	h.page("GET /users", h.usersPage)
	h.page("POST /users/{user}/admin", h.setPlatformAdmin)
	h.page("POST /users/{user}/delete", h.deleteUser)
	h.observabilityRoutes()

	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c := h.begin(w, r)
		if c == nil {
			return
		}
		h.errorPage(c, errNoPage(r))
	})
}

// errNoPage is the 404 of a path the dashboard does not serve.
func errNoPage(r *http.Request) error {
	p := r.URL.Path
	if len(p) > 200 {
		p = p[:200] + "…"
	}
	return &pageError{status: http.StatusNotFound, msg: "no page at " + r.Method + " " + p}
}

// pageError is an error with its own status and message.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

// Is maps the status onto the Admin's sentinels, so statusOf answers it.
func (e *pageError) Is(target error) bool {
	switch e.status {
	case http.StatusNotFound:
		return target == admin.ErrNotFound
	case http.StatusForbidden:
		return target == admin.ErrForbidden
	case http.StatusRequestEntityTooLarge, http.StatusBadRequest:
		return target == admin.ErrInvalidArgument
	}
	return false
}

// begin reads the session (making an anonymous one when there is none)
// and, for posts, parses the form and checks its CSRF token. It answers
// the request itself and returns nil when it must not go on.
func (h *Handler) begin(w http.ResponseWriter, r *http.Request) *call {
	s, ok := h.readSession(r)
	if !ok {
		h.writeSession(w, r, s)
	}
	c := &call{h: h, w: w, r: r, ctx: r.Context(), sess: s}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				h.errorPage(c, &pageError{status: http.StatusRequestEntityTooLarge, msg: "the form is larger than 1 MiB"})
			} else {
				h.errorPage(c, &pageError{status: http.StatusBadRequest, msg: "the form cannot be read: " + err.Error()})
			}
			return nil
		}
		if !ok || !checkCSRF(r, s) {
			h.errorPage(c, &pageError{status: http.StatusForbidden,
				msg: "the form's CSRF token is missing or does not match this browser's session: reload the page and try again"})
			return nil
		}
	}
	return c
}

// public serves a page that needs no sign-in.
func (h *Handler) public(pattern string, fn handlerFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := h.begin(w, r)
		if c == nil {
			return
		}
		if err := fn(c); err != nil {
			h.errorPage(c, err)
		}
	})
}

// page serves a page for signed-in users: it authenticates the session's
// credential again on every request (a revoked token ends the session) and
// runs fn as that principal.
func (h *Handler) page(pattern string, fn handlerFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := h.begin(w, r)
		if c == nil {
			return
		}
		if c.sess.Token == "" {
			h.toLogin(c, "")
			return
		}
		if h.ro && r.Method == http.MethodPost {
			h.errorPage(c, &pageError{status: http.StatusForbidden, msg: "this dashboard is read-only: it changes nothing"})
			return
		}
		p, err := h.sessionPrincipal(r, c.sess)
		if err != nil {
			if errors.Is(err, admin.ErrUnauthenticated) {
				c.sess = session{CSRF: c.sess.CSRF, Expires: c.sess.Expires}
				h.writeSession(w, r, c.sess)
				h.toLogin(c, "expired")
				return
			}
			h.errorPage(c, err)
			return
		}
		c.ctx = admin.WithPrincipal(r.Context(), p)
		c.teamID = p.TeamID
		if c.me, err = h.a.Me(c.ctx); err != nil {
			h.errorPage(c, err)
			return
		}
		c.platform = c.me.PlatformAdmin && p.TeamID == ""
		if err := fn(c); err != nil {
			h.errorPage(c, err)
		}
	})
}

// toLogin sends the browser to the sign-in page, coming back to the page
// it asked for (a GET) afterwards; reason is a key of reasons, or "".
func (h *Handler) toLogin(c *call, reason string) {
	q := make([]string, 0, 2)
	if c.r.Method == http.MethodGet && c.r.Header.Get("HX-Request") == "" {
		q = append(q, "next="+url.QueryEscape(c.r.URL.RequestURI()))
	}
	if reason != "" {
		q = append(q, "reason="+url.QueryEscape(reason))
	}
	target := h.url("/login")
	if len(q) > 0 {
		target += "?" + strings.Join(q, "&")
	}
	if c.r.Header.Get("HX-Request") != "" {
		c.w.Header().Set("HX-Redirect", target)
		c.w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(c.w, c.r, target, http.StatusSeeOther)
}

// sessionPrincipal authenticates a session: its own token (revoked at
// sign-out) and, when the user pasted one, the credential it was made
// from (so that revoking that one ends the session too).
func (h *Handler) sessionPrincipal(r *http.Request, s session) (admin.Principal, error) {
	p, err := h.a.AuthenticateToken(r.Context(), s.Token)
	if err != nil || s.Credential == "" {
		return p, err
	}
	if _, err := h.authenticate(r, s.Credential); err != nil {
		return admin.Principal{}, err
	}
	return p, nil
}

// authenticate asks the authenticators about cred, presented as a bearer
// token, as the API would.
func (h *Handler) authenticate(r *http.Request, cred string) (admin.Principal, error) {
	req := r.Clone(r.Context())
	req.Header = http.Header{"Authorization": {"Bearer " + cred}}
	var failed error
	for _, au := range h.auth {
		p, err := au.Authenticate(req)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, admin.ErrUnauthenticated) {
			return admin.Principal{}, err
		}
		if failed == nil && !errors.Is(err, httpapi.ErrNoCredentials) {
			failed = err
		}
	}
	if failed == nil {
		failed = errors.New("this is not a credential the dashboard accepts: paste an API token (" + admin.TokenPrefix + "…)")
		failed = errors.Join(failed, admin.ErrUnauthenticated)
	}
	return admin.Principal{}, failed
}

// safeNext returns next when it is a path of this dashboard (no scheme, no
// host, no "//" or backslash a browser would read as another host, no
// control character or space a browser would drop), else "/".
func (h *Handler) safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || len(next) > 2048 {
		return "/"
	}
	for _, r := range next {
		if r <= ' ' || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// reasons are the messages the sign-in page shows for ?reason= (a code,
// so that a link cannot make the page say anything else).
var reasons = map[string]string{
	"expired": "Your session's credential is no longer valid (expired or revoked): sign in again.",
}

type loginData struct {
	Next, Reason string
}

func (h *Handler) loginPage(c *call) error {
	q := c.r.URL.Query()
	v := c.newView("Sign in", loginData{Next: h.safeNext(q.Get("next")), Reason: reasons[q.Get("reason")]})
	return c.render("login", v)
}

func (h *Handler) login(c *call) error {
	cred := strings.TrimSpace(c.r.PostForm.Get("token"))
	next := h.safeNext(c.r.PostForm.Get("next"))
	if cred == "" || len(cred) > 8192 {
		v := c.newView("Sign in", loginData{Next: next})
		v.Errors["token"] = "paste an API token"
		v.status = http.StatusUnprocessableEntity
		return c.render("login", v)
	}
	p, err := h.authenticate(c.r, cred)
	if err != nil {
		if !errors.Is(err, admin.ErrUnauthenticated) {
			return err
		}
		v := c.newView("Sign in", loginData{Next: next})
		v.Errors["token"] = "this token was not accepted: it is unknown, expired or revoked"
		v.status = http.StatusUnauthorized
		return c.render("login", v)
	}
	ctx := admin.WithPrincipal(c.r.Context(), p)
	if _, err := h.a.Me(ctx); err != nil {
		return err
	}
	// A new session (and CSRF token) on every sign-in: nothing set before
	// it carries over.
	s := session{CSRF: randomToken(), Expires: time.Now().Add(h.ttl).Unix()}
	if c.r.PostForm.Get("sso") == "1" && strings.HasPrefix(cred, admin.TokenPrefix) {
		// oidcauth minted this token for this sign-in: it is the session's,
		// and sign-out revokes it.
		if s.TokenID, err = tokenID(ctx, h.a, cred); err != nil {
			return err
		}
		s.Token = cred
	} else {
		tok, secret, err := h.a.CreateToken(ctx, admin.NewToken{Name: SessionTokenName, TeamID: p.TeamID, TTL: min(max(h.ttl, time.Minute), admin.MaxTokenLifetime)})
		if err != nil {
			return err
		}
		s.Token, s.TokenID, s.Credential = secret, tok.ID, cred
	}
	c.sess = s
	h.writeSession(c.w, c.r, c.sess)
	http.Redirect(c.w, c.r, h.url(next), http.StatusSeeOther)
	return nil
}

// SessionTokenName is the name of the API token each dashboard sign-in
// gets (listed on the API tokens page, where revoking it signs that
// session out).
const SessionTokenName = "dashboard session"

// tokenID returns the id of the acting user's API token whose secret is
// secret.
func tokenID(ctx context.Context, a *admin.Admin, secret string) (string, error) {
	sum := sha256.Sum256([]byte(secret))
	hash := hex.EncodeToString(sum[:])
	for after := ""; ; {
		l, err := a.ListTokens(ctx, admin.Page{Limit: admin.MaxPageLimit, Desc: true, After: after})
		if err != nil {
			return "", err
		}
		for _, t := range l.Items {
			if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) == 1 {
				return t.ID, nil
			}
		}
		if l.Next == "" {
			return "", fmt.Errorf("ui: the single sign-on's token is not among the user's API tokens: %w", admin.ErrUnauthenticated)
		}
		after = l.Next
	}
}

// logout revokes the session's token, so that no copy of the cookie works
// any more, and clears the cookie. A session whose token no longer
// authenticates has nothing left to revoke.
func (h *Handler) logout(c *call) error {
	if c.sess.Token != "" {
		if p, err := h.a.AuthenticateToken(c.r.Context(), c.sess.Token); err == nil {
			if err := h.a.RevokeToken(admin.WithPrincipal(c.r.Context(), p), c.sess.TokenID); err != nil {
				return err
			}
		} else if !errors.Is(err, admin.ErrUnauthenticated) {
			return err
		}
	}
	h.clearSession(c.w, c.r)
	http.Redirect(c.w, c.r, h.url("/login"), http.StatusSeeOther)
	return nil
}

func (h *Handler) ssoPage(c *call) error {
	return c.render("sso", c.newView("Signing in", nil))
}
