package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const serverColumns = `id, deployment_id, build_id, host, port, pid, handle, status, health, started_at, stopped_at,
	last_health_at, updated_at, version`

func scanServer(row pgx.CollectableRow) (*admin.RunningServer, error) {
	var (
		v         admin.RunningServer
		port, pid int64
	)
	if err := row.Scan(&v.ID, &v.DeploymentID, &v.BuildID, &v.Host, &port, &pid, &v.Handle, &v.Status, &v.Health,
		&v.StartedAt, &v.StoppedAt, &v.LastHealthAt, &v.UpdatedAt, &v.Version); err != nil {
		return nil, err
	}
	v.Port, v.PID = int(port), int(pid)
	v.StartedAt, v.UpdatedAt = utc(v.StartedAt), utc(v.UpdatedAt)
	v.StoppedAt, v.LastHealthAt = utcPtr(v.StoppedAt), utcPtr(v.LastHealthAt)
	return &v, nil
}

// CreateServer stores v; ErrAlreadyExists when its id is taken, ErrConflict
// when its deployment or build does not exist.
func (s *Store) CreateServer(ctx context.Context, v *admin.RunningServer) error {
	return s.insert(ctx, fmt.Sprintf("create server %q", v.ID),
		`INSERT INTO mastra_admin_servers (`+serverColumns+`)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		v.ID, v.DeploymentID, v.BuildID, v.Host, int64(v.Port), int64(v.PID), v.Handle, v.Status, v.Health,
		v.StartedAt, v.StoppedAt, v.LastHealthAt, v.UpdatedAt, v.Version)
}

// GetServer returns the server record with id; ErrNotFound when there is
// none.
func (s *Store) GetServer(ctx context.Context, id string) (*admin.RunningServer, error) {
	return getOne(ctx, s, fmt.Sprintf("get server %q", id), scanServer,
		`SELECT `+serverColumns+` FROM mastra_admin_servers WHERE id = $1`, id)
}

// ListServers lists server records by id, narrowed by f.
func (s *Store) ListServers(ctx context.Context, f admin.ServerFilter, page admin.Page) ([]*admin.RunningServer, error) {
	var q query
	q.whereIf(`deployment_id = %s`, f.DeploymentID)
	q.whereIf(`build_id = %s`, f.BuildID)
	if len(f.Statuses) > 0 {
		q.where(`status = ANY(%s)`, textArray(f.Statuses))
	}
	sql := q.sql(`SELECT `+serverColumns+` FROM mastra_admin_servers`, "id", page)
	return list(ctx, s, "list servers", scanServer, sql, q.args...)
}

// UpdateServer writes v's mutable fields (all but ID, DeploymentID and
// BuildID) when the stored version is v.Version, then increments v.Version.
func (s *Store) UpdateServer(ctx context.Context, v *admin.RunningServer) error {
	err := s.update(ctx, fmt.Sprintf("update server %q", v.ID),
		`UPDATE mastra_admin_servers SET host = $2, port = $3, pid = $4, handle = $5, status = $6, health = $7,
		 started_at = $8, stopped_at = $9, last_health_at = $10, updated_at = $11, version = version + 1
		 WHERE id = $1 AND version = $12`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_servers WHERE id = $1)`, 1,
		v.ID, v.Host, int64(v.Port), int64(v.PID), v.Handle, v.Status, v.Health, v.StartedAt, v.StoppedAt,
		v.LastHealthAt, v.UpdatedAt, v.Version)
	if err != nil {
		return err
	}
	v.Version++
	return nil
}
