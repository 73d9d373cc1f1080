package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestGetTracePlan: GetTrace reads one trace through the primary key, not a
// scan of its time range (which is what the planner picked without the
// unary + in getTraceSQL: seconds per call at 1M spans).
func TestGetTracePlan(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "obs.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+getTraceSQL, "p", "t", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "sqlite_autoindex_obs_spans_1 (project_id=? AND trace_id=?)") {
		t.Fatalf("GetTrace's plan does not search by the primary key:\n%s", plan.String())
	}
}
