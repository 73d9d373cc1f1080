package admin

import (
	"context"
	"errors"
	"time"
)

// Storage outages in the build path. A build's own work (install, build,
// start) does not need Storage, so a short outage of it (PostgreSQL
// restarting: every connection reset, new ones refused for a few seconds)
// should not fail a build that did its work. The build workers mark their
// context with rideOut; storeCall then retries a Storage call that failed
// for a reason that may pass, for up to half the build lease (after which
// another admin would take the build for dead anyway), and the build goes
// on where it was. A longer outage fails the build with the Storage error,
// recorded once Storage is back (or by the lease's expiry); redeploying
// then works as usual.

// rideOutKey marks a context whose Storage calls ride out outages.
type rideOutKey struct{}

func rideOut(ctx context.Context) context.Context { return context.WithValue(ctx, rideOutKey{}, true) }

// transient reports whether a Storage error may pass once the store is
// back: any but admin's sentinels and the context's own ends.
func transient(err error) bool {
	if err == nil {
		return false
	}
	for _, s := range []error{ErrNotFound, ErrAlreadyExists, ErrConflict, ErrForbidden, ErrUnauthenticated,
		ErrInvalidArgument, ErrLicense, ErrNotSupported, ErrIntegrity, ErrClosed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return false
		}
	}
	return true
}

// storeCall runs one Storage call; in a rideOut context, it retries one
// that failed transiently, with a backoff up to a second, for up to half
// the build lease.
func (a *Admin) storeCall(ctx context.Context, call func() error) error {
	err := call()
	if !transient(err) || ctx.Value(rideOutKey{}) == nil {
		return err
	}
	a.logger.WarnContext(ctx, "storage failed; retrying while it comes back", "err", err)
	start, wait := time.Now(), 50*time.Millisecond
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return err
		case <-t.C:
		}
		if err = call(); !transient(err) {
			if err == nil {
				a.logger.InfoContext(ctx, "storage back", "after", time.Since(start).Round(time.Millisecond))
			}
			return err
		}
		if time.Since(start) >= a.buildLease/2 {
			return err
		}
		wait = min(wait*2, time.Second)
		t.Reset(wait)
	}
}
