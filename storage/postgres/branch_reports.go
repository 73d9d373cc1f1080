package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

var _ admin.BranchReportStore = (*Store)(nil)

const branchReportColumns = `deployment_id, project_id, repo, reported, created_at, updated_at, version`

func scanBranchReport(row pgx.CollectableRow) (*admin.BranchReport, error) {
	var r admin.BranchReport
	if err := row.Scan(&r.DeploymentID, &r.ProjectID, &r.Repo, &r.Reported, &r.CreatedAt, &r.UpdatedAt, &r.Version); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	return &r, nil
}

// CreateBranchReport stores where a deployment's builds are reported.
func (s *Store) CreateBranchReport(ctx context.Context, r *admin.BranchReport) error {
	return s.insert(ctx, fmt.Sprintf("create branch report %q", r.DeploymentID),
		`INSERT INTO mastra_admin_branch_reports (`+branchReportColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.DeploymentID, r.ProjectID, r.Repo, r.Reported, r.CreatedAt, r.UpdatedAt, r.Version)
}

// GetBranchReport returns a deployment's branch report.
func (s *Store) GetBranchReport(ctx context.Context, deploymentID string) (*admin.BranchReport, error) {
	return getOne(ctx, s, fmt.Sprintf("get branch report %q", deploymentID), scanBranchReport,
		`SELECT `+branchReportColumns+` FROM mastra_admin_branch_reports WHERE deployment_id = $1`, deploymentID)
}

// ListBranchReports lists a project's branch reports (all with "") by
// deployment id.
func (s *Store) ListBranchReports(ctx context.Context, projectID string, page admin.Page) ([]*admin.BranchReport, error) {
	var q query
	q.whereIf(`project_id = %s`, projectID)
	sql := q.sql(`SELECT `+branchReportColumns+` FROM mastra_admin_branch_reports`, "deployment_id", page)
	return list(ctx, s, "list branch reports", scanBranchReport, sql, q.args...)
}

// UpdateBranchReport writes a branch report's mutable fields if r.Version
// is the stored version.
func (s *Store) UpdateBranchReport(ctx context.Context, r *admin.BranchReport) error {
	err := s.update(ctx, fmt.Sprintf("update branch report %q", r.DeploymentID),
		`UPDATE mastra_admin_branch_reports SET repo = $2, reported = $3, updated_at = $4, version = version + 1
		 WHERE deployment_id = $1 AND version = $5`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_branch_reports WHERE deployment_id = $1)`, 1,
		r.DeploymentID, r.Repo, r.Reported, r.UpdatedAt, r.Version)
	if err != nil {
		return err
	}
	r.Version++
	return nil
}
