package observability

import (
	"encoding/base64"
	"encoding/json"
	"math"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Cursor is a page position for the stores that implement
// admin.ObservabilityQuerier: the sort key and the tie-breaking id of the
// last row of a page. Callers see it as an opaque string (Encode); Sort
// ties it to the order it was made for, so that a cursor of another order
// is refused.
type Cursor struct {
	Sort string `json:"s"`
	// Key is the row's time or duration, in nanoseconds.
	Key int64 `json:"k,omitempty"`
	// CostBits is the row's cost as its IEEE 754 bits (math.Float64bits),
	// so that the next page compares it with the store's sums exactly (a
	// decimal rendering would be parsed back with rounding); NoCost marks
	// a row without a cost.
	CostBits uint64 `json:"c,omitempty"`
	NoCost   bool   `json:"n,omitempty"`
	ID       string `json:"i"`
}

// LogsSort is the Sort of a log search's cursors.
const LogsSort = "logs"

// TraceCursor is the cursor after trace t in a trace list of order sort.
func TraceCursor(sort admin.TraceSort, t admin.TraceSummary) Cursor {
	c := Cursor{Sort: string(sort), ID: t.TraceID}
	switch sort {
	case admin.TraceSortTime:
		c.Key = t.Start.UnixNano()
	case admin.TraceSortDuration:
		c.Key = t.Duration.Nanoseconds()
	case admin.TraceSortCost:
		if t.CostUSD == nil {
			c.NoCost = true
		} else {
			c.CostBits = math.Float64bits(*t.CostUSD)
		}
	}
	return c
}

// LogCursor is the cursor after log line l in a log search.
func LogCursor(l admin.LogRecord) Cursor {
	return Cursor{Sort: LogsSort, Key: l.Time.UnixNano(), ID: l.ID}
}

// Cost is the cursor's cost.
func (c Cursor) Cost() float64 { return math.Float64frombits(c.CostBits) }

// Encode returns the cursor as the opaque string queries take back.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads s, a cursor of a page of order sort; nil when s is
// empty. Anything else than a cursor of that order is an
// *admin.ValidationError on "Cursor".
func DecodeCursor(s, sort string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c Cursor
	if err != nil || json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID == "" {
		return nil, &admin.ValidationError{Field: "Cursor", Reason: "is not a cursor this query returned"}
	}
	return &c, nil
}
