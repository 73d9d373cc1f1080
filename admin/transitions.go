package admin

import "fmt"

// buildTransitions is the one table of allowed build status changes.
var buildTransitions = map[BuildStatus][]BuildStatus{
	BuildQueued:    {BuildBuilding, BuildCancelled, BuildFailed},
	BuildBuilding:  {BuildDeploying, BuildFailed, BuildCancelled},
	BuildDeploying: {BuildSucceeded, BuildFailed, BuildCancelled},
}

// deploymentTransitions is the one table of allowed deployment status changes.
var deploymentTransitions = map[DeploymentStatus][]DeploymentStatus{
	DeploymentPending:  {DeploymentBuilding, DeploymentStopped},
	DeploymentBuilding: {DeploymentRunning, DeploymentFailed, DeploymentStopped, DeploymentPending},
	DeploymentRunning:  {DeploymentBuilding, DeploymentStopped, DeploymentFailed},
	DeploymentStopped:  {DeploymentBuilding, DeploymentRunning},
	DeploymentFailed:   {DeploymentBuilding, DeploymentStopped, DeploymentRunning},
}

// serverTransitions is the one table of allowed server status changes.
var serverTransitions = map[ServerStatus][]ServerStatus{
	ServerStarting: {ServerRunning, ServerStopping, ServerStopped, ServerCrashed},
	ServerRunning:  {ServerStopping, ServerStopped, ServerCrashed},
	ServerStopping: {ServerStopped, ServerCrashed},
	ServerCrashed:  {ServerStarting, ServerRunning, ServerStopped},
}

func allowed[K, V comparable](table map[K][]V, from K, to V) bool {
	for _, v := range table[from] {
		if v == to {
			return true
		}
	}
	return false
}

// CanTransition reports whether a build may move from s to next.
func (s BuildStatus) CanTransition(next BuildStatus) bool {
	return allowed(buildTransitions, s, next)
}

// CanTransition reports whether a deployment may move from s to next.
func (s DeploymentStatus) CanTransition(next DeploymentStatus) bool {
	return allowed(deploymentTransitions, s, next)
}

// CanTransition reports whether a server may move from s to next.
func (s ServerStatus) CanTransition(next ServerStatus) bool {
	return allowed(serverTransitions, s, next)
}

// transitionError is the ErrConflict for a refused status change.
func transitionError(kind, id string, from, to any) error {
	return fmt.Errorf("%s %s: cannot change status from %v to %v: %w", kind, id, from, to, ErrConflict)
}
