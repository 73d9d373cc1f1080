package observability

import (
	"errors"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestCursor(t *testing.T) {
	cost := 0.1 + 0.2 // not exactly 0.3: kept to the bit
	tr := admin.TraceSummary{TraceID: "t1", Start: time.Unix(0, 42), Duration: 7, CostUSD: &cost}
	for _, c := range []struct {
		sort admin.TraceSort
		want Cursor
	}{
		{admin.TraceSortTime, Cursor{Sort: "time", Key: 42, ID: "t1"}},
		{admin.TraceSortDuration, Cursor{Sort: "duration", Key: 7, ID: "t1"}},
		{admin.TraceSortCost, Cursor{Sort: "cost", CostBits: TraceCursor(admin.TraceSortCost, tr).CostBits, ID: "t1"}},
	} {
		got, err := DecodeCursor(TraceCursor(c.sort, tr).Encode(), string(c.sort))
		if err != nil || *got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.sort, got, err, c.want)
		}
	}
	if got, _ := DecodeCursor(TraceCursor(admin.TraceSortCost, tr).Encode(), "cost"); got.Cost() != cost {
		t.Errorf("cost %v, want %v exactly", got.Cost(), cost)
	}
	if got, _ := DecodeCursor(TraceCursor(admin.TraceSortCost, admin.TraceSummary{TraceID: "t2"}).Encode(), "cost"); !got.NoCost {
		t.Errorf("a trace without cost: %+v", got)
	}
	if c, err := DecodeCursor("", "time"); c != nil || err != nil {
		t.Errorf("empty cursor: %v, %v", c, err)
	}
	var ve *admin.ValidationError
	for _, bad := range []string{"!!", "e30", TraceCursor(admin.TraceSortTime, tr).Encode()} {
		if _, err := DecodeCursor(bad, "duration"); !errors.As(err, &ve) || ve.Field != "Cursor" {
			t.Errorf("DecodeCursor(%q, duration) = %v, want a ValidationError on Cursor", bad, err)
		}
	}
	l := admin.LogRecord{ID: "l9", Time: time.Unix(0, 5)}
	if got, err := DecodeCursor(LogCursor(l).Encode(), LogsSort); err != nil || got.Key != 5 || got.ID != "l9" {
		t.Errorf("log cursor: %+v, %v", got, err)
	}
}
