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

// TraceListSort checks the filters of a trace list every store applies
// the same way (Sort, Status, MinDuration) and returns its order:
// admin.TraceSortTime when Sort is empty. A bad one is an
// *admin.ValidationError naming the field.
func TraceListSort(q admin.TraceQuery) (admin.TraceSort, error) {
	sort := q.Sort
	switch sort {
	case "":
		sort = admin.TraceSortTime
	case admin.TraceSortTime, admin.TraceSortDuration, admin.TraceSortCost:
	default:
		return "", &admin.ValidationError{Field: "Sort", Reason: "must be time, duration or cost"}
	}
	switch q.Status {
	case "", admin.TraceStatusOK, admin.TraceStatusError:
	default:
		return "", &admin.ValidationError{Field: "Status", Reason: "must be ok or error"}
	}
	if q.MinDuration < 0 {
		return "", &admin.ValidationError{Field: "MinDuration", Reason: "must not be negative"}
	}
	return sort, nil
}

// Severity is the rank of a log level, least severe first: LevelDebug 0,
// LevelInfo 1, LevelWarn 2, LevelError 3; any other level ranks as
// LevelInfo (what the stores store it as).
func Severity(level string) int {
	switch level {
	case LevelDebug:
		return 0
	case LevelWarn:
		return 2
	case LevelError:
		return 3
	}
	return 1
}

// MinSeverity checks a log search's Level, the least severe level it
// returns, and returns its Severity: 0 (every line) when level is empty.
// Another level than the four is an *admin.ValidationError on "Level".
func MinSeverity(level string) (int, error) {
	switch level {
	case "":
		return 0, nil
	case LevelDebug, LevelInfo, LevelWarn, LevelError:
		return Severity(level), nil
	}
	return 0, &admin.ValidationError{Field: "Level", Reason: "must be debug, info, warn or error"}
}

// MetricsBucket checks a metrics query's Bucket over the range [from, to)
// (Unix nanoseconds) and returns its width in nanoseconds:
// admin.DefaultMetricsBucket when bucket is 0. A bucket that is not a
// positive whole number of seconds, or that cuts the range into more than
// admin.MaxMetricsBuckets buckets, is an *admin.ValidationError on
// "Bucket".
func MetricsBucket(bucket time.Duration, from, to int64) (int64, error) {
	if bucket == 0 {
		bucket = admin.DefaultMetricsBucket
	}
	if bucket < 0 || bucket%time.Second != 0 {
		return 0, &admin.ValidationError{Field: "Bucket", Reason: "must be a positive whole number of seconds"}
	}
	b := bucket.Nanoseconds()
	if to > from && FloorDiv(to-1, b)-FloorDiv(from, b)+1 > admin.MaxMetricsBuckets {
		return 0, &admin.ValidationError{Field: "Bucket", Reason: fmt.Sprintf("gives more than %d buckets over the range", admin.MaxMetricsBuckets)}
	}
	return b, nil
}

// FloorDiv is a/b rounded toward negative infinity: the index of the
// bucket of width b that holds a, also before 1970.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
