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
