package git_test

import (
	"context"
	"fmt"
	"os"

	"github.com/mastra-admin/mastra-admin-go/source/git"
)

// A git source reading GitHub repositories with a token, shown refusing a
// URL that carries credentials (they belong in Options.Credentials).
func Example() {
	cache, err := os.MkdirTemp("", "git-cache-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(cache)
	src, err := git.New(&git.Options{
		CacheDir:     cache,
		AllowedHosts: []string{"github.com"},
		Credentials: func(ctx context.Context, repoURL string) (git.Credentials, error) {
			return git.Credentials{Username: "x-access-token", Password: os.Getenv("GITHUB_TOKEN")}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	err = src.Validate(context.Background(), map[string]string{
		git.ConfigURL:  "https://user:secret@github.com/acme/agents.git",
		git.ConfigPath: "apps/support-agent",
	})
	fmt.Println(err)
	// Output: source/git: invalid url: must not carry credentials (configure Options.Credentials)
}
