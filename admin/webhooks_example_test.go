package admin_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
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
