package local

import (
	"fmt"
	"maps"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router"
)

// table is one immutable version of the routes. Route changes build a new
// table (copy on write) and publish it with one atomic store, so a request
// sees either the whole old table or the whole new one.
type table struct {
	byID   map[string]*entry
	byHost map[string]*entry            // HostLabel → entry
	byPath map[string]map[string]*entry // project slug → deployment slug → entry
}

func emptyTable() *table {
	return &table{byID: map[string]*entry{}, byHost: map[string]*entry{}, byPath: map[string]map[string]*entry{}}
}

// lookupPath finds the route of /{project}/{deployment}.
func (t *table) lookupPath(project, deployment string) *entry {
	return t.byPath[project][deployment]
}

// with returns a copy of t in which e replaces the route of its deployment.
// It fails with ErrAlreadyExists when e's host name or path belongs to
// another deployment.
func (t *table) with(e *entry) (*table, error) {
	base := t
	if old := t.byID[e.route.DeploymentID]; old != nil {
		base, _ = t.without(old.route.DeploymentID)
	}
	label := router.HostLabel(e.route)
	if other := base.byHost[label]; other != nil {
		return nil, fmt.Errorf("host label %q is already routed to deployment %q: %w", label, other.route.DeploymentID, admin.ErrAlreadyExists)
	}
	if other := base.lookupPath(e.route.ProjectSlug, e.route.DeploymentSlug); other != nil {
		return nil, fmt.Errorf("path %q is already routed to deployment %q: %w", router.PathPrefix(e.route), other.route.DeploymentID, admin.ErrAlreadyExists)
	}
	next := base.clone(base != t)
	next.byID[e.route.DeploymentID] = e
	next.byHost[label] = e
	deployments := maps.Clone(next.byPath[e.route.ProjectSlug])
	if deployments == nil {
		deployments = map[string]*entry{}
	}
	deployments[e.route.DeploymentSlug] = e
	next.byPath[e.route.ProjectSlug] = deployments
	return next, nil
}

// without returns a copy of t without the deployment's route, and whether
// there was one.
func (t *table) without(deploymentID string) (*table, bool) {
	old := t.byID[deploymentID]
	if old == nil {
		return t, false
	}
	next := t.clone(false)
	delete(next.byID, deploymentID)
	delete(next.byHost, router.HostLabel(old.route))
	deployments := maps.Clone(next.byPath[old.route.ProjectSlug])
	delete(deployments, old.route.DeploymentSlug)
	if len(deployments) == 0 {
		delete(next.byPath, old.route.ProjectSlug)
	} else {
		next.byPath[old.route.ProjectSlug] = deployments
	}
	return next, true
}

// clone copies t's top-level maps, unless t is already a private copy.
// Inner byPath maps are shared and must be cloned before they are changed.
func (t *table) clone(private bool) *table {
	if private {
		return t
	}
	return &table{byID: maps.Clone(t.byID), byHost: maps.Clone(t.byHost), byPath: maps.Clone(t.byPath)}
}
