package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/observability/observabilitytest"
	"github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

func open(t testing.TB) *sqlite.Store {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "obs.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	observabilitytest.Run(t, func(t *testing.T) observabilitytest.Store { return open(t) })
}
