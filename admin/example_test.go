package admin_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// Example shows the embedded defaults: an Admin on a SQLite file creating a
// team, a project (which comes with its production deployment) and a
// preview deployment.
func Example() {
	dir, _ := os.MkdirTemp("", "mastra-admin-example")
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	a, err := admin.New(
		admin.WithStorage(store),
		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": admin.GenerateEncryptionKey()}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	// The first user of an empty platform is its platform admin.
	ctx := context.Background()
	alice, err := a.Bootstrap(ctx, admin.NewUser{Email: "alice@indeed.example", Name: "Alice"})
	if err != nil {
		log.Fatal(err)
	}
	ctx = admin.WithPrincipal(ctx, admin.Principal{UserID: alice.ID})

	team, err := a.CreateTeam(ctx, admin.NewTeam{Name: "Search Ranking"})
	if err != nil {
		log.Fatal(err)
	}
	project, err := a.CreateProject(ctx, team.ID, admin.NewProject{
		Name:         "Job Matching Agent",
		SourceType:   admin.SourceLocal,
		SourceConfig: map[string]string{"path": "job-matching-agent"},
		EnvVars:      map[string]string{"OPENAI_API_KEY": "sk-…"},
	})
	if err != nil {
		log.Fatal(err)
	}
	preview, err := a.CreateDeployment(ctx, project.ID, admin.NewDeployment{
		Type: admin.DeploymentPreview, Branch: "pr-456",
	})
	if err != nil {
		log.Fatal(err)
	}
	deployments, err := a.ListDeployments(ctx, project.ID, admin.Page{})
	if err != nil {
		log.Fatal(err)
	}
	vars, err := a.ListEnvVars(ctx, project.ID)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("team:", team.Slug)
	fmt.Println("project:", project.Slug)
	for _, d := range deployments.Items {
		fmt.Println("deployment:", d.Type, d.Slug, d.Status)
	}
	fmt.Println("preview branch:", preview.Branch)
	fmt.Println("env vars:", vars[0].Name, "(value never returned)")
	// Output:
	// team: search-ranking
	// project: job-matching-agent
	// deployment: production production pending
	// deployment: preview pr-456 pending
	// preview branch: pr-456
	// env vars: OPENAI_API_KEY (value never returned)
}
