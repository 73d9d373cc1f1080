package admin_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// Checking a GitHub delivery's X-Hub-Signature-256 and reading what it
// asks for. Admin.ReceiveWebhook (served by httpapi at
// /v1/webhooks/github) does both, then records the delivery id and acts.
func ExampleParseWebhook() {
	secret := []byte("It's a Secret to Everybody")
	body := []byte(`{"action":"opened","number":42,
		"pull_request":{"number":42,"state":"open","head":{"ref":"add-tool","sha":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repo":{"full_name":"alice/agents"}}},
		"repository":{"full_name":"acme/agents","clone_url":"https://github.com/acme/agents.git","default_branch":"main"}}`)
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	signature := "sha256=" + hex.EncodeToString(mac.Sum(nil)) // as GitHub sends it

	if err := admin.VerifyWebhookSignature(admin.WebhookGitHub, secret, body, signature); err != nil {
		fmt.Println(err)
		return
	}
	ev, err := admin.ParseWebhook("pull_request", body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Kind, ev.Number, ev.Commit[:7], "fork:", ev.Fork)
	fmt.Println(admin.VerifyWebhookSignature(admin.WebhookGitHub, secret, append(body, ' '), signature))
	// Output:
	// pull-request-updated 42 0d1a26e fork: true
	// the github signature does not match the body: unauthenticated
}

// Previews get a project's preview env vars over its others: here a
// staging endpoint in place of production's, and a test key only
// previews have. Production and staging never see them; a fork's
// pull-request preview gets no env vars at all.
func ExampleAdmin_SetPreviewEnvVars() {
	dir, _ := os.MkdirTemp("", "mastra-admin-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	a, err := admin.New(admin.WithStorage(store),
		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": admin.GenerateEncryptionKey()}))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	alice, err := a.Bootstrap(ctx, admin.NewUser{Email: "alice@example.com", Name: "Alice"})
	if err != nil {
		log.Fatal(err)
	}
	ctx = admin.WithPrincipal(ctx, admin.Principal{UserID: alice.ID})
	team, err := a.CreateTeam(ctx, admin.NewTeam{Name: "Agents"})
	if err != nil {
		log.Fatal(err)
	}
	project, err := a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Support Agent", SourceType: admin.SourceLocal,
		EnvVars: map[string]string{"API_URL": "https://api.example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := a.SetPreviewEnvVars(ctx, project.ID, map[string]string{
		"API_URL": "https://staging.example.com", "STRIPE_KEY": "sk_test_…"}); err != nil {
		log.Fatal(err)
	}
	all, _ := a.ListEnvVars(ctx, project.ID)
	previews, _ := a.ListPreviewEnvVars(ctx, project.ID)
	for _, v := range all {
		fmt.Println("every deployment:", v.Name)
	}
	for _, v := range previews {
		fmt.Println("previews:", v.Name, v.Scope)
	}
	// Output:
	// every deployment: API_URL
	// previews: API_URL preview
	// previews: STRIPE_KEY preview
}
