package httpapi

import (
	"net/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// teamRequest is the body of POST /v1/teams.
type teamRequest struct {
	Name string `json:"name"`
	Slug string `json:"slug,omitempty"`
	// OwnerID makes another user the first owner (platform admins only);
	// default: the acting user.
	OwnerID string `json:"ownerId,omitempty"`
}

func (h *Handler) createTeam(w http.ResponseWriter, r *http.Request) error {
	var in teamRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	nt := admin.NewTeam{Name: in.Name, Slug: in.Slug}
	var t *admin.Team
	var err error
	if in.OwnerID != "" {
		if err := checkID("ownerId", in.OwnerID); err != nil {
			return err
		}
		t, err = h.a.CreateTeamFor(r.Context(), in.OwnerID, nt)
	} else {
		t, err = h.a.CreateTeam(r.Context(), nt)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/teams/"+t.ID)
	WriteJSON(w, http.StatusCreated, t)
	return nil
}

// memberRequest is the body of POST /v1/teams/{id}/members.
type memberRequest struct {
	UserID string     `json:"userId"`
	Role   admin.Role `json:"role"`
}

// roleRequest is the body of PATCH /v1/teams/{id}/members/{userId}.
type roleRequest struct {
	Role admin.Role `json:"role"`
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in memberRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	if err := checkID("userId", in.UserID); err != nil {
		return err
	}
	m, err := h.a.AddMember(r.Context(), id, in.UserID, in.Role)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/teams/"+id+"/members/"+m.UserID)
	WriteJSON(w, http.StatusCreated, m)
	return nil
}

func (h *Handler) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	userID, err := pathID(r, "userId")
	if err != nil {
		return err
	}
	var in roleRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	m, err := h.a.SetMemberRole(r.Context(), id, userID, in.Role)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, m)
	return nil
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	userID, err := pathID(r, "userId")
	if err != nil {
		return err
	}
	if err := h.decodeNone(w, r); err != nil {
		return err
	}
	if err := h.a.RemoveMember(r.Context(), id, userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
