package admin

import "context"

// Crashed applies, for the tests, what the maintenance worker does when it
// finds server s dead (by its exit or by its health checks): s is the
// record as the worker read it.
func Crashed(ctx context.Context, a *Admin, s *RunningServer, detail string) {
	a.crashed(ctx, s, detail)
}
