package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// webhookHeaders are the event, delivery and signature headers of each
// provider.
var webhookHeaders = map[string][3]string{
	admin.WebhookGitHub: {"X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"},
	admin.WebhookGitea:  {"X-Gitea-Event", "X-Gitea-Delivery", "X-Gitea-Signature"},
}

// webhookRoutes are the webhook receivers (public: the signature is the
// authentication), the preview routes and those of the projects' preview
// env vars.
func (h *Handler) webhookRoutes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/v1/webhooks/github", Summary: "Receive a GitHub webhook delivery (push, delete, pull_request)",
			Access: AccessPublic, Handle: h.webhook(admin.WebhookGitHub)},
		{Method: "POST", Pattern: "/v1/webhooks/gitea", Summary: "Receive a Gitea or Forgejo webhook delivery (push, delete, pull_request)",
			Access: AccessPublic, Handle: h.webhook(admin.WebhookGitea)},
		{Method: "GET", Pattern: "/v1/deployments/{id}/preview", Summary: "The pull request or branch a platform-made preview builds",
			Access: AccessTeam, Permission: admin.PermProjectRead, Handle: getByID(h.a.GetPreview)},
		{Method: "POST", Pattern: "/v1/deployments/{id}/approve", Summary: "Approve a fork pull request's head commit and build it",
			Access: AccessTeam, Permission: admin.PermDeploy, Handle: h.approvePreview},
		{Method: "PUT", Pattern: "/v1/projects/{id}/preview-env", Summary: "Set project env vars for previews only (values are write-only)",
			Access: AccessTeam, Permission: admin.PermEnvWrite, Handle: h.setEnv(h.previewEnv())},
		{Method: "GET", Pattern: "/v1/projects/{id}/preview-env", Summary: "List project preview env var names",
			Access: AccessTeam, Permission: admin.PermProjectRead, Handle: h.listEnv(h.previewEnv())},
		{Method: "DELETE", Pattern: "/v1/projects/{id}/preview-env/{name}", Summary: "Delete a project preview env var",
			Access: AccessTeam, Permission: admin.PermEnvWrite, Handle: h.deleteEnv(h.previewEnv())},
	}
}

// previewEnv are the env-var operations of a project's preview scope.
func (h *Handler) previewEnv() envOps {
	return envOps{h.a.SetPreviewEnvVars, h.a.ListPreviewEnvVars, h.a.DeletePreviewEnvVar}
}

// webhook serves one provider's deliveries: the raw body (at most
// admin.MaxWebhookBody bytes of application/json) goes to
// Admin.ReceiveWebhook with the provider's headers; the answer is 202 with
// what was done, or 401 for a missing or wrong signature.
func (h *Handler) webhook(provider string) HandlerFunc {
	hdr := webhookHeaders[provider]
	return func(w http.ResponseWriter, r *http.Request) error {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
				Message: "webhook bodies must be application/json (set the webhook's content type to JSON)"}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, admin.MaxWebhookBody))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
					Message: fmt.Sprintf("the body is larger than %d bytes", admin.MaxWebhookBody)}
			}
			return &Error{Status: http.StatusBadRequest, Code: CodeInvalidArgument, Message: "reading the body failed"}
		}
		res, err := h.a.ReceiveWebhook(r.Context(), admin.WebhookRequest{Provider: provider,
			Event: r.Header.Get(hdr[0]), DeliveryID: r.Header.Get(hdr[1]), Signature: r.Header.Get(hdr[2]), Body: body})
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusAccepted, res)
		return nil
	}
}

// ApproveRequest is the body of POST /v1/deployments/{id}/approve.
type ApproveRequest struct {
	// Commit is the head commit the team member reviewed.
	Commit string `json:"commit"`
}

func (h *Handler) approvePreview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ApproveRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	b, err := h.a.ApprovePreview(r.Context(), id, in.Commit)
	if err != nil {
		return err
	}
	writeBuild(w, b)
	return nil
}
