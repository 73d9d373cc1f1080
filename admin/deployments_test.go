package admin_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestDeploymentHostLabelFitsDNS(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", Slug: strings.Repeat("p", 40), SourceType: admin.SourceLocal}))
	_, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main", Slug: strings.Repeat("d", 22)})
	var ve *admin.ValidationError
	if !errors.As(err, &ve) || ve.Field != "slug" {
		t.Fatalf("a 64-character host label = %v, want a ValidationError on slug", err)
	}
	if _, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main", Slug: strings.Repeat("d", 21)}); err != nil {
		t.Fatalf("a 63-character host label: %v", err)
	}
}
