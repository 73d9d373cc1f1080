package logcachetest

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/local"
)

// newFileStorage returns a FileStorage of the test's own, to flush into and
// read the flushed logs back from.
func newFileStorage(t *testing.T) admin.FileStorage {
	t.Helper()
	fs, err := local.New(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("filestore/local: %v", err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}
