package admin

import "context"

// PreviewRound runs one round of the preview worker (sweepPreviews) for
// the tests of an Admin that is not started, whose queued builds must
// stay queued: what a started Admin's preview worker does on its own.
func (a *Admin) PreviewRound(ctx context.Context) { a.sweepPreviews(ctx) }
