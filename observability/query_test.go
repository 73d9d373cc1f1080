package observability

import (
	"errors"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestQueryWindowAndPageLimit(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	from, to, err := QueryWindow(time.Time{}, time.Time{}, now)
	if err != nil || !to.Equal(now) || !from.Equal(now.Add(-admin.DefaultTelemetryWindow)) {
		t.Errorf("default window: %v–%v, %v", from, to, err)
	}
	var ve *admin.ValidationError
	if _, _, err := QueryWindow(now, now.Add(-time.Second), now); !errors.As(err, &ve) || ve.Field != "To" {
		t.Errorf("To before From: %v", err)
	}
	for n, want := range map[int]int{0: admin.DefaultTelemetryLimit, 1: 1, admin.MaxTelemetryLimit: admin.MaxTelemetryLimit} {
		if got, err := PageLimit(n); got != want || err != nil {
			t.Errorf("PageLimit(%d) = %d, %v; want %d", n, got, err, want)
		}
	}
	for _, n := range []int{-1, admin.MaxTelemetryLimit + 1} {
		if _, err := PageLimit(n); !errors.As(err, &ve) || ve.Field != "Limit" {
			t.Errorf("PageLimit(%d) = %v, want a ValidationError on Limit", n, err)
		}
	}
}

func TestQueryChecks(t *testing.T) {
	var ve *admin.ValidationError
	if s, err := TraceListSort(admin.TraceQuery{}); s != admin.TraceSortTime || err != nil {
		t.Errorf("default sort: %q, %v", s, err)
	}
	if s, err := TraceListSort(admin.TraceQuery{Sort: admin.TraceSortCost, Status: admin.TraceStatusError}); s != admin.TraceSortCost || err != nil {
		t.Errorf("cost sort: %q, %v", s, err)
	}
	for field, q := range map[string]admin.TraceQuery{"Sort": {Sort: "name"}, "Status": {Status: "failed"}, "MinDuration": {MinDuration: -1}} {
		if _, err := TraceListSort(q); !errors.As(err, &ve) || ve.Field != field {
			t.Errorf("TraceListSort(%+v) = %v, want a ValidationError on %s", q, err, field)
		}
	}
	for level, want := range map[string]int{"": 0, "debug": 0, "info": 1, "warn": 2, "error": 3} {
		if got, err := MinSeverity(level); got != want || err != nil {
			t.Errorf("MinSeverity(%q) = %d, %v; want %d", level, got, err, want)
		}
	}
	if _, err := MinSeverity("fatal"); !errors.As(err, &ve) || ve.Field != "Level" {
		t.Errorf("MinSeverity(fatal) = %v", err)
	}
	if Severity("trace") != Severity(LevelInfo) {
		t.Error("an unknown level does not rank as info")
	}
	day := int64(24 * time.Hour)
	if b, err := MetricsBucket(0, 0, day); b != int64(admin.DefaultMetricsBucket) || err != nil {
		t.Errorf("default bucket: %d, %v", b, err)
	}
	for _, bad := range []time.Duration{-time.Second, 1500 * time.Millisecond, time.Second} {
		if _, err := MetricsBucket(bad, 0, 365*day); !errors.As(err, &ve) || ve.Field != "Bucket" {
			t.Errorf("MetricsBucket(%s) = %v, want a ValidationError on Bucket", bad, err)
		}
	}
	for _, c := range [][3]int64{{7, 2, 3}, {-7, 2, -4}, {-8, 2, -4}, {0, 5, 0}} {
		if got := FloorDiv(c[0], c[1]); got != c[2] {
			t.Errorf("FloorDiv(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}
