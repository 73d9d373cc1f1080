package httpapi

import (
	"context"
	"net/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Access says who may call a route. The Admin enforces every rule; Access
// documents them (OpenAPI, tests) and lets the Handler refuse anonymous
// requests before any work.
type Access int

// Access levels.
const (
	// AccessUser: any authenticated principal (the zero value, so a route
	// that forgets to say is never public).
	AccessUser Access = iota
	// AccessPublic: no authentication.
	AccessPublic
	// AccessPlatformAdmin: platform admins only.
	AccessPlatformAdmin
	// AccessSelf: the user the path names, or a platform admin.
	AccessSelf
	// AccessTeam: members whose role grants Route.Permission in the team
	// the path leads to, and platform admins.
	AccessTeam
)

// String names the access level as the OpenAPI document's x-access does.
func (a Access) String() string {
	switch a {
	case AccessPublic:
		return "public"
	case AccessUser:
		return "user"
	case AccessPlatformAdmin:
		return "platform-admin"
	case AccessSelf:
		return "self"
	case AccessTeam:
		return "team"
	}
	return "unknown"
}

// HandlerFunc serves one route. It writes its own success response and
// returns an error instead of writing one: the Handler maps errors to
// statuses in one place.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one operation of the API: a Go 1.22 http.ServeMux pattern
// (method and path with {wildcards}) and what serves it.
type Route struct {
	Method  string
	Pattern string // path, e.g. /v1/teams/{id}
	Summary string
	Access  Access
	// Permission is the team permission an AccessTeam route needs.
	Permission admin.Permission
	Handle     HandlerFunc
}

// routes is the route table: the one list the mux, the OpenAPI test and the
// RBAC test are driven from.
func (h *Handler) routes() []Route {
	r := func(method, pattern, summary string, access Access, perm admin.Permission, fn HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Summary: summary, Access: access, Permission: perm, Handle: fn}
	}
	user, public, padmin, self := AccessUser, AccessPublic, AccessPlatformAdmin, AccessSelf
	read := admin.PermProjectRead
	return []Route{
		r("GET", "/v1/openapi.json", "The OpenAPI 3 document of this API, as JSON", public, "", h.openAPIJSON),
		r("GET", "/v1/openapi.yaml", "The OpenAPI 3 document of this API, as YAML", public, "", h.openAPIYAML),
		r("POST", "/v1/bootstrap", "Create the first user of an empty platform, with an API token", public, "", h.bootstrap),

		r("GET", "/v1/me", "The acting user", user, "", h.me),
		r("GET", "/v1/license", "The license in force", user, "", h.license),
		r("POST", "/v1/users", "Create a user", padmin, "", h.createUser),
		r("GET", "/v1/users", "List users", padmin, "", listAll(h.a.ListUsers)),
		r("GET", "/v1/users/{id}", "Get a user", self, "", getByID(h.a.GetUser)),
		r("PATCH", "/v1/users/{id}", "Update a user", self, "", updateByID(h, h.a.UpdateUser)),
		r("DELETE", "/v1/users/{id}", "Delete a user", padmin, "", deleteByID(h, h.a.DeleteUser)),

		r("POST", "/v1/tokens", "Create an API token for the acting user (the secret is shown once)", user, "", h.createToken),
		r("GET", "/v1/tokens", "List the acting user's API tokens", user, "", listAll(h.a.ListTokens)),
		r("DELETE", "/v1/tokens/{id}", "Revoke an API token", self, "", h.revokeToken),

		r("POST", "/v1/teams", "Create a team", user, "", h.createTeam),
		r("GET", "/v1/teams", "List the teams of the acting user (platform admins, all)", user, "", listAll(h.a.ListTeams)),
		r("GET", "/v1/teams/{id}", "Get a team", AccessTeam, admin.PermTeamRead, getByID(h.a.GetTeam)),
		r("PATCH", "/v1/teams/{id}", "Rename a team", AccessTeam, admin.PermTeamUpdate, updateByID(h, h.a.UpdateTeam)),
		r("DELETE", "/v1/teams/{id}", "Delete a team without projects", AccessTeam, admin.PermTeamDelete, deleteByID(h, h.a.DeleteTeam)),
		r("POST", "/v1/teams/{id}/members", "Add a member", AccessTeam, admin.PermMembersManage, h.addMember),
		r("GET", "/v1/teams/{id}/members", "List members", AccessTeam, admin.PermTeamRead, listByID(false, h.a.ListMembers)),
		r("PATCH", "/v1/teams/{id}/members/{userId}", "Change a member's role", AccessTeam, admin.PermMembersManage, h.setMemberRole),
		r("DELETE", "/v1/teams/{id}/members/{userId}", "Remove a member (members may always leave)", AccessTeam, admin.PermMembersManage, h.removeMember),
		r("GET", "/v1/teams/{id}/audit", "List a team's audit events", AccessTeam, admin.PermAuditRead, h.listTeamAudit),
		r("POST", "/v1/teams/{id}/projects", "Create a project", AccessTeam, admin.PermProjectCreate, h.createProject),
		r("GET", "/v1/teams/{id}/projects", "List a team's projects", AccessTeam, read, listByID(false, h.a.ListProjects)),

		r("GET", "/v1/sources/{type}/projects", "List the projects a source offers (source picker)", user, "", h.discoverProjects),

		r("GET", "/v1/projects/{id}", "Get a project", AccessTeam, read, getByID(h.a.GetProject)),
		r("PATCH", "/v1/projects/{id}", "Update a project", AccessTeam, admin.PermProjectUpdate, updateByID(h, h.a.UpdateProject)),
		r("DELETE", "/v1/projects/{id}", "Delete a project with its deployments", AccessTeam, admin.PermProjectDelete, deleteByID(h, h.a.DeleteProject)),
		r("PUT", "/v1/projects/{id}/env", "Set project env vars (values are write-only)", AccessTeam, admin.PermEnvWrite, h.setEnv(h.projectEnv())),
		r("GET", "/v1/projects/{id}/env", "List project env var names", AccessTeam, read, h.listEnv(h.projectEnv())),
		r("DELETE", "/v1/projects/{id}/env/{name}", "Delete a project env var", AccessTeam, admin.PermEnvWrite, h.deleteEnv(h.projectEnv())),
		r("POST", "/v1/projects/{id}/deployments", "Create a staging or preview deployment", AccessTeam, admin.PermDeploymentManage, h.createDeployment),
		r("GET", "/v1/projects/{id}/deployments", "List a project's deployments", AccessTeam, read, listByID(false, h.a.ListDeployments)),
		r("GET", "/v1/projects/{id}/traces", "List a project's traces", AccessTeam, read, h.listTraces),
		r("GET", "/v1/projects/{id}/traces/{traceId}", "Every span of one trace, for a waterfall", AccessTeam, read, h.getTrace),
		r("GET", "/v1/projects/{id}/logs", "Search a project's log lines, newest first", AccessTeam, read, h.searchLogs),
		r("GET", "/v1/projects/{id}/logs/ws", "A project's log lines as they are ingested, over a WebSocket", AccessTeam, read, h.tailLogs),
		r("GET", "/v1/projects/{id}/metrics", "A project's runs, errors, latency, tokens and cost over time buckets", AccessTeam, read, h.metrics),

		r("GET", "/v1/deployments/{id}", "Get a deployment", AccessTeam, read, getByID(h.a.GetDeployment)),
		r("PATCH", "/v1/deployments/{id}", "Change a deployment's branch", AccessTeam, admin.PermDeploymentManage, updateByID(h, h.a.UpdateDeployment)),
		r("DELETE", "/v1/deployments/{id}", "Delete a staging or preview deployment", AccessTeam, admin.PermDeploymentManage, deleteByID(h, h.a.DeleteDeployment)),
		r("PUT", "/v1/deployments/{id}/env", "Set deployment env var overrides (write-only)", AccessTeam, admin.PermEnvWrite, h.setEnv(h.deploymentEnv())),
		r("GET", "/v1/deployments/{id}/env", "List deployment env var override names", AccessTeam, read, h.listEnv(h.deploymentEnv())),
		r("DELETE", "/v1/deployments/{id}/env/{name}", "Delete a deployment env var override", AccessTeam, admin.PermEnvWrite, h.deleteEnv(h.deploymentEnv())),
		r("POST", "/v1/deployments/{id}/deploy", "Queue a build and deploy", AccessTeam, admin.PermDeploy, h.deploy),
		r("POST", "/v1/deployments/{id}/rollback", "Redeploy an earlier successful build", AccessTeam, admin.PermDeploy, h.redeploy(h.a.Rollback)),
		r("POST", "/v1/deployments/{id}/promote", "Deploy another deployment's successful build without building", AccessTeam, admin.PermDeploy, h.redeploy(h.a.Promote)),
		r("POST", "/v1/deployments/{id}/stop", "Stop a deployment's servers", AccessTeam, admin.PermDeploy, h.stopDeployment),
		r("GET", "/v1/deployments/{id}/builds", "List a deployment's builds, newest first", AccessTeam, read, listByID(true, h.a.ListBuilds)),
		r("GET", "/v1/deployments/{id}/servers", "List a deployment's server records", AccessTeam, read, listByID(false, h.a.ListServers)),

		r("GET", "/v1/builds/{id}", "Get a build", AccessTeam, read, getByID(h.a.GetBuild)),
		r("POST", "/v1/builds/{id}/cancel", "Cancel a queued or running build", AccessTeam, admin.PermDeploy, h.cancelBuild),
		r("GET", "/v1/builds/{id}/logs", "A build's log as text or JSON lines, followed until the build ends", AccessTeam, read, h.buildLogs),
		r("GET", "/v1/builds/{id}/logs/ws", "A build's log and status over a WebSocket", AccessTeam, read, h.buildLogsWS),

		r("GET", "/v1/audit", "List audit events of the whole platform", padmin, "", h.listAudit),
		r("GET", "/v1/observability/health", "The ingestion of deployed servers' spans and logs: lag, pending bytes, quarantined lines, last error", padmin, "", h.ingestHealth),
		r("POST", "/v1/encryption/reseal", "Re-seal every env var under the active key", padmin, "", h.reseal),
	}
}

// getByID serves GET …/{id}: the object get returns for the path's id, 200.
func getByID[T any](get func(context.Context, string) (T, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := params(r); err != nil {
			return err
		}
		v, err := get(r.Context(), id)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, v)
		return nil
	}
}

// updateByID serves PATCH …/{id}: the body decoded as In, the updated
// object, 200.
func updateByID[In, T any](h *Handler, update func(context.Context, string, In) (T, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in In
		if err := h.decode(w, r, &in); err != nil {
			return err
		}
		v, err := update(r.Context(), id, in)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, v)
		return nil
	}
}

// deleteByID serves DELETE …/{id} (no body): 204.
func deleteByID(h *Handler, del func(context.Context, string) error) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := h.decodeNone(w, r); err != nil {
			return err
		}
		if err := del(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// listByID serves GET …/{id}/things: a page of what list returns for the
// path's id (newest first by default when newestFirst), 200.
func listByID[T any](newestFirst bool, list func(context.Context, string, admin.Page) (admin.List[T], error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		pg, err := listPage(r, newestFirst)
		if err != nil {
			return err
		}
		l, err := list(r.Context(), id, pg)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, fromList(l))
		return nil
	}
}

// listAll serves a GET of a top-level collection: a page of what list
// returns, 200.
func listAll[T any](list func(context.Context, admin.Page) (admin.List[T], error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pg, err := listPage(r, false)
		if err != nil {
			return err
		}
		l, err := list(r.Context(), pg)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, fromList(l))
		return nil
	}
}
