package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

var _ admin.BranchReportStore = (*Store)(nil)

const branchReportCols = `deployment_id, project_id, repo, reported, created_at, updated_at, version`

func scanBranchReport(sc scanner) (*admin.BranchReport, error) {
	var r admin.BranchReport
	var created, updated int64
	if err := sc.Scan(&r.DeploymentID, &r.ProjectID, &r.Repo, &r.Reported, &created, &updated, &r.Version); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

// CreateBranchReport stores where a deployment's builds are reported.
func (s *Store) CreateBranchReport(ctx context.Context, r *admin.BranchReport) error {
	_, err := s.exec(ctx, fmt.Sprintf("create branch report %q", r.DeploymentID),
		`INSERT INTO branch_reports (`+branchReportCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.DeploymentID, r.ProjectID, r.Repo, r.Reported, micros(r.CreatedAt), micros(r.UpdatedAt), r.Version)
	return err
}

// GetBranchReport returns a deployment's branch report.
func (s *Store) GetBranchReport(ctx context.Context, deploymentID string) (*admin.BranchReport, error) {
	return getOne(ctx, s, fmt.Sprintf("get branch report %q", deploymentID), scanBranchReport,
		`SELECT `+branchReportCols+` FROM branch_reports WHERE deployment_id = ?`, deploymentID)
}

// ListBranchReports lists a project's branch reports (all with "") by
// deployment id.
func (s *Store) ListBranchReports(ctx context.Context, projectID string, page admin.Page) ([]*admin.BranchReport, error) {
	var q selectPage
	q.filterIf(`project_id = ?`, projectID)
	query, args := q.sql(branchReportCols, "branch_reports", "deployment_id", page)
	return getMany(ctx, s, "list branch reports", scanBranchReport, query, args...)
}

// UpdateBranchReport writes a branch report's mutable fields if r.Version
// is the stored version.
func (s *Store) UpdateBranchReport(ctx context.Context, r *admin.BranchReport) error {
	op := fmt.Sprintf("update branch report %q", r.DeploymentID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE branch_reports SET repo = ?, reported = ?, updated_at = ?, version = version + 1
			 WHERE deployment_id = ? AND version = ?`,
			[]any{r.Repo, r.Reported, micros(r.UpdatedAt), r.DeploymentID, r.Version},
			`SELECT 1 FROM branch_reports WHERE deployment_id = ?`, r.DeploymentID)
	})
	if err == nil {
		r.Version++
	}
	return err
}
