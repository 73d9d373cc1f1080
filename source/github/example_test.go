package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/github"
)

// A GitHub source on a GitHub Enterprise Server, authenticated as an App
// installation; shown refusing a config that is not a repository's full
// name (no request is made for that).
func Example() {
	cache, err := os.MkdirTemp("", "github-cache-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(cache)
	src, err := github.New(&github.Options{
		App:     &github.App{AppID: 12345, InstallationID: 678, PrivateKey: appKeyPEM()},
		BaseURL: "https://ghe.example.com/api/v3/",
		Git:     git.Options{CacheDir: cache},
	})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	fmt.Println(src.Validate(context.Background(), map[string]string{github.ConfigRepo: "https://ghe.example.com/acme/agents"}))
	// Output: source/github: invalid repo: "https://ghe.example.com/acme/agents" is not a repository full name (owner/name)
}

// appKeyPEM stands for the App's private key file (usually read with
// os.ReadFile from where the platform keeps secrets).
func appKeyPEM() []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}
