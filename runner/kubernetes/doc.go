// Package kubernetes is an admin.Runner that builds each Mastra project
// into an OCI image and runs its servers as Kubernetes Deployments.
package kubernetes
