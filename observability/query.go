package observability

import (
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// The bounds every admin.ObservabilityQuerier applies the same way, for the
// stores that implement it.

// QueryWindow applies a query's default time range (To now, From To minus
// admin.DefaultTelemetryWindow) and checks it: an *admin.ValidationError
// on "To" when To is before From.
func QueryWindow(from, to, now time.Time) (time.Time, time.Time, error) {
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-admin.DefaultTelemetryWindow)
	}
	if to.Before(from) {
		return from, to, &admin.ValidationError{Field: "To", Reason: "is before From"}
	}
	return from, to, nil
}

// PageLimit applies a query's default page size (admin.DefaultTelemetryLimit
// for 0) and checks its bound: an *admin.ValidationError on "Limit".
func PageLimit(n int) (int, error) {
	switch {
	case n < 0 || n > admin.MaxTelemetryLimit:
		return 0, &admin.ValidationError{Field: "Limit", Reason: fmt.Sprintf("must be between 0 and %d", admin.MaxTelemetryLimit)}
	case n == 0:
		return admin.DefaultTelemetryLimit, nil
	}
	return n, nil
}
