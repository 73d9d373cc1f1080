package httpapi

import (
	"context"
	"net/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func (h *Handler) createProject(w http.ResponseWriter, r *http.Request) error {
	teamID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in admin.NewProject
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	p, err := h.a.CreateProject(r.Context(), teamID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/projects/"+p.ID)
	WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (h *Handler) discoverProjects(w http.ResponseWriter, r *http.Request) error {
	t := admin.SourceType(r.PathValue("type"))
	if !t.Valid() {
		return badRequest("type", "source type %q is not one of local, git, github", clip(string(t)))
	}
	if _, err := params(r); err != nil {
		return err
	}
	found, err := h.a.DiscoverProjects(r.Context(), t)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, listOf(found, ""))
	return nil
}

// envRequest is the body of PUT …/env: names to values. Values are sealed
// by the Admin and never returned.
type envRequest struct {
	Vars map[string]string `json:"vars"`
}

// envOps are the env-var operations of one kind of owner (project or
// deployment), so that both share their handlers.
type envOps struct {
	set  func(ctx context.Context, id string, values map[string]string) ([]admin.EnvVarInfo, error)
	list func(ctx context.Context, id string) ([]admin.EnvVarInfo, error)
	del  func(ctx context.Context, id, name string) error
}

func (h *Handler) projectEnv() envOps {
	return envOps{h.a.SetEnvVars, h.a.ListEnvVars, h.a.DeleteEnvVar}
}

func (h *Handler) deploymentEnv() envOps {
	return envOps{h.a.SetDeploymentEnvVars, h.a.ListDeploymentEnvVars, h.a.DeleteDeploymentEnvVar}
}

func (h *Handler) setEnv(ops envOps) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in envRequest
		if err := h.decode(w, r, &in); err != nil {
			return err
		}
		if len(in.Vars) == 0 {
			return &admin.ValidationError{Field: "vars", Reason: "must name at least one env var"}
		}
		vars, err := ops.set(r.Context(), id, in.Vars)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, listOf(vars, ""))
		return nil
	}
}

func (h *Handler) listEnv(ops envOps) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := params(r); err != nil {
			return err
		}
		vars, err := ops.list(r.Context(), id)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, listOf(vars, ""))
		return nil
	}
}

func (h *Handler) deleteEnv(ops envOps) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		name := r.PathValue("name")
		if err := admin.ValidateEnvVarName(name); err != nil {
			return err
		}
		if err := h.decodeNone(w, r); err != nil {
			return err
		}
		if err := ops.del(r.Context(), id, name); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
