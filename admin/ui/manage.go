package ui

import (
	"net/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// ---- team settings: rename, delete ----

func (h *Handler) renameTeam(c *call) error {
	v, err := c.teamView("Members", nil)
	if err != nil {
		return err
	}
	name := c.r.PostForm.Get("name")
	if _, err := h.a.UpdateTeam(c.ctx, v.Team.ID, admin.TeamUpdate{Name: &name}); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showMembers(c, v) }, v)
	}
	return c.redirect("/teams/" + v.Team.ID + "/members")
}

func (h *Handler) deleteTeam(c *call) error {
	v, err := c.teamView("Members", nil)
	if err != nil {
		return err
	}
	if err := h.a.DeleteTeam(c.ctx, v.Team.ID); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showMembers(c, v) }, v)
	}
	return c.redirect("/teams")
}

// ---- users (platform admins) ----

func (h *Handler) usersPage(c *call) error {
	if !c.platform {
		return &pageError{status: http.StatusForbidden, msg: "only platform admins may administer users"}
	}
	return h.showUsers(c, c.newView("Users", nil))
}

func (h *Handler) showUsers(c *call, v *view) error {
	v.Section = "users"
	var users []*admin.User
	for after := ""; ; {
		l, err := h.a.ListUsers(c.ctx, admin.Page{Limit: admin.MaxPageLimit, After: after})
		if err != nil {
			return err
		}
		users = append(users, l.Items...)
		if l.Next == "" {
			break
		}
		after = l.Next
	}
	v.Data = users
	return c.render("users", v)
}

// setPlatformAdmin makes a user a platform admin (form field admin=true)
// or takes the flag away (admin=false).
func (h *Handler) setPlatformAdmin(c *call) error {
	v := c.newView("Users", nil)
	var on bool
	switch c.r.PostForm.Get("admin") {
	case "true":
		on = true
	case "false":
	default:
		return c.formFailed(&admin.ValidationError{Field: "platformAdmin", Reason: "must be true or false"},
			func(v *view) error { return h.showUsers(c, v) }, v)
	}
	if _, err := h.a.UpdateUser(c.ctx, c.r.PathValue("user"), admin.UserUpdate{PlatformAdmin: &on}); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showUsers(c, v) }, v)
	}
	return c.redirect("/users")
}

func (h *Handler) deleteUser(c *call) error {
	if err := h.a.DeleteUser(c.ctx, c.r.PathValue("user")); err != nil {
		return c.formFailed(err, func(v *view) error { return h.showUsers(c, v) }, c.newView("Users", nil))
	}
	return c.redirect("/users")
}
