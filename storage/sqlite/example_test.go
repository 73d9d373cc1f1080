package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "mastra-admin-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	user := &admin.User{ID: admin.NewID("usr", now), Email: "ada@example.com", Name: "Ada", CreatedAt: now, UpdatedAt: now, Version: 1}
	team := &admin.Team{ID: admin.NewID("team", now), Name: "Platform", Slug: "platform", CreatedAt: now, UpdatedAt: now, Version: 1}
	owner := &admin.TeamMember{TeamID: team.ID, UserID: user.ID, Role: admin.RoleOwner, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := store.CreateUser(ctx, user); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.CreateTeamWithOwner(ctx, team, owner); err != nil {
		fmt.Println(err)
		return
	}

	got, err := store.GetTeamBySlug(ctx, "platform")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Name, "version", got.Version)

	// The last owner cannot leave the team.
	err = store.RemoveMember(ctx, team.ID, user.ID)
	fmt.Println(errors.Is(err, admin.ErrConflict))

	// Updates carry the version they read: a stale one is refused.
	stale := *got
	got.Name = "Platform Engineering"
	if err := store.UpdateTeam(ctx, got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Name, "version", got.Version)
	stale.Name = "Lost update"
	fmt.Println(errors.Is(store.UpdateTeam(ctx, &stale), admin.ErrConflict))
	// Output:
	// Platform version 1
	// true
	// Platform Engineering version 2
	// true
}

func ExampleStore_ClaimBuild() {
	dir, err := os.MkdirTemp("", "mastra-admin-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	team := &admin.Team{ID: admin.NewID("team", now), Name: "Apps", Slug: "apps", CreatedAt: now, UpdatedAt: now, Version: 1}
	project := &admin.Project{ID: admin.NewID("prj", now), TeamID: team.ID, Name: "Support bot", Slug: "support-bot",
		SourceType: admin.SourceLocal, SourceConfig: map[string]string{"path": "/srv/support-bot"}, DefaultBranch: "main",
		CreatedAt: now, UpdatedAt: now, Version: 1}
	prod := &admin.Deployment{ID: admin.NewID("dep", now), ProjectID: project.ID, Type: admin.DeploymentProduction,
		Branch: "main", Slug: "production", Status: admin.DeploymentPending, CreatedAt: now, UpdatedAt: now, Version: 1}
	for _, err := range []error{
		store.CreateTeam(ctx, team), store.CreateProject(ctx, project), store.CreateDeployment(ctx, prod),
	} {
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	// Two builds queued for one deployment: only one runs at a time.
	for i := range 2 {
		at := now.Add(time.Duration(i) * time.Second)
		b := &admin.Build{ID: admin.NewID("bld", at), DeploymentID: prod.ID, ProjectID: project.ID,
			Trigger: admin.TriggerManual, Status: admin.BuildQueued, Ref: "main", QueuedAt: at, UpdatedAt: at, Version: 1}
		if err := store.CreateBuild(ctx, b); err != nil {
			fmt.Println(err)
			return
		}
	}

	b, err := store.ClaimBuild(ctx, "worker-1", now.Add(time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Status, b.ClaimedBy, b.StartedAt.Format(time.TimeOnly))

	_, err = store.ClaimBuild(ctx, "worker-2", now.Add(time.Minute))
	fmt.Println("second claim while the first runs:", errors.Is(err, admin.ErrNotFound))

	// The deployment's next build can start once this one is completed.
	done := now.Add(90 * time.Second)
	b.Status, b.CompletedAt = admin.BuildSucceeded, &done
	if err := store.UpdateBuild(ctx, b); err != nil {
		fmt.Println(err)
		return
	}
	next, err := store.ClaimBuild(ctx, "worker-2", now.Add(2*time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(next.Status, next.ClaimedBy, next.QueuedAt.After(b.QueuedAt))
	// Output:
	// building worker-1 12:01:00
	// second claim while the first runs: true
	// building worker-2 true
}
