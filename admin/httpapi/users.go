package httpapi

import (
	"net/http"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// bootstrapRequest is the body of POST /v1/bootstrap.
type bootstrapRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// newTokenBody answers the creation of a token: the secret is in this
// response and nowhere else, ever.
type newTokenBody struct {
	User   *admin.User     `json:"user,omitempty"`
	Token  *admin.APIToken `json:"token"`
	Secret string          `json:"secret"`
}

// bootstrapTokenTTL is the lifetime of the token POST /v1/bootstrap returns.
const bootstrapTokenTTL = 24 * time.Hour

func (h *Handler) bootstrap(w http.ResponseWriter, r *http.Request) error {
	var in bootstrapRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	u, err := h.a.Bootstrap(r.Context(), admin.NewUser{Email: in.Email, Name: in.Name})
	if err != nil {
		return err
	}
	ctx := admin.WithPrincipal(r.Context(), admin.Principal{UserID: u.ID})
	tok, secret, err := h.a.CreateToken(ctx, admin.NewToken{Name: "bootstrap", TTL: bootstrapTokenTTL})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/users/"+u.ID)
	WriteJSON(w, http.StatusCreated, newTokenBody{User: u, Token: tok, Secret: secret})
	return nil
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r); err != nil {
		return err
	}
	u, err := h.a.Me(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, u)
	return nil
}

func (h *Handler) license(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, h.a.License())
	return nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	var in admin.NewUser
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	u, err := h.a.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/users/"+u.ID)
	WriteJSON(w, http.StatusCreated, u)
	return nil
}

// tokenRequest is the body of POST /v1/tokens.
type tokenRequest struct {
	Name string `json:"name"`
	// TeamID limits the token to one team.
	TeamID string `json:"teamId,omitempty"`
	// TTL is a Go duration ("720h"); default 90 days.
	TTL string `json:"ttl,omitempty"`
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	nt := admin.NewToken{Name: in.Name, TeamID: in.TeamID}
	if in.TTL != "" {
		d, err := time.ParseDuration(in.TTL)
		if err != nil || d <= 0 {
			return &admin.ValidationError{Field: "ttl", Reason: `must be a positive duration such as "720h"`}
		}
		nt.TTL = d
	}
	if in.TeamID != "" {
		if err := checkID("teamId", in.TeamID); err != nil {
			return err
		}
	}
	tok, secret, err := h.a.CreateToken(r.Context(), nt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/tokens/"+tok.ID)
	WriteJSON(w, http.StatusCreated, newTokenBody{Token: tok, Secret: secret})
	return nil
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.decodeNone(w, r); err != nil {
		return err
	}
	if err := h.a.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) error {
	return h.audit(w, r, "")
}

func (h *Handler) listTeamAudit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return h.audit(w, r, id)
}

// audit lists audit events; teamID "" means the whole platform, which also
// takes a teamId filter.
func (h *Handler) audit(w http.ResponseWriter, r *http.Request, teamID string) error {
	names := append([]string{"actorId", "targetId", "action"}, pageParams...)
	if teamID == "" {
		names = append(names, "teamId")
	}
	q, err := params(r, names...)
	if err != nil {
		return err
	}
	pg, err := page(q, true)
	if err != nil {
		return err
	}
	f := admin.AuditFilter{TeamID: teamID, ActorID: q.Get("actorId"), TargetID: q.Get("targetId"), Action: q.Get("action")}
	if teamID == "" {
		f.TeamID = q.Get("teamId")
	}
	for _, c := range [...]struct{ name, v string }{{"teamId", f.TeamID}, {"actorId", f.ActorID}, {"targetId", f.TargetID}} {
		if c.v != "" {
			if err := checkID(c.name, c.v); err != nil {
				return err
			}
		}
	}
	if len(f.Action) > 64 {
		return badRequest("action", "action must be at most 64 characters")
	}
	l, err := h.a.ListAudit(r.Context(), f, pg)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, fromList(l))
	return nil
}

// resealBody answers POST /v1/encryption/reseal.
type resealBody struct {
	Resealed int `json:"resealed"`
}

func (h *Handler) reseal(w http.ResponseWriter, r *http.Request) error {
	if err := h.decodeNone(w, r); err != nil {
		return err
	}
	n, err := h.a.ResealEnvVars(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, resealBody{Resealed: n})
	return nil
}

// decode reads a JSON object body into dst, after refusing any query
// parameter.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if _, err := params(r); err != nil {
		return err
	}
	return decodeBody(w, r, h.maxBody, dst)
}

// decodeNone accepts no body or {}, and no query parameter.
func (h *Handler) decodeNone(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r); err != nil {
		return err
	}
	return decodeEmpty(w, r, h.maxBody)
}

// listPage reads the query of a listing that takes only paging parameters.
func listPage(r *http.Request, desc bool) (admin.Page, error) {
	q, err := params(r, pageParams...)
	if err != nil {
		return admin.Page{}, err
	}
	return page(q, desc)
}
