package clickhouse

import (
	"cmp"
	"slices"
	"testing"
)

// TestKeyOrder: rows already in order keep it; others are sent sorted by
// their key, rows of equal keys in the order given (so a row given twice
// in a batch keeps its place after the earlier copy).
func TestKeyOrder(t *testing.T) {
	perm := func(keys []int) []int {
		order := keyOrder(len(keys), func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
		got := make([]int, len(keys))
		for i := range got {
			got[i] = order(i)
		}
		return got
	}
	if got := perm([]int{1, 1, 2, 5}); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("sorted keys: order %v, want them as given", got)
	}
	// Keys 3, 1, 3, 0, 1 at indexes 0..4.
	if got, want := perm([]int{3, 1, 3, 0, 1}), []int{3, 1, 4, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v (by key, equal keys as given)", got, want)
	}
	if got := perm(nil); len(got) != 0 {
		t.Errorf("no rows: order %v", got)
	}
}
