package admin

import "context"

// PreviewRound runs one round of the preview worker (sweepPreviews) for
// the tests of an Admin that is not started, whose queued builds must
// stay queued: what a started Admin's preview worker does on its own. (A
// function, not a method: Admin's methods are checked by the audit test.)
func PreviewRound(ctx context.Context, a *Admin) { a.sweepPreviews(ctx) }
