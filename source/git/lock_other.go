//go:build !unix

package git

import (
	"context"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// lockFile is not available without flock(2).
func lockFile(context.Context, string) (func(), error) {
	return nil, fmt.Errorf("source/git: the mirror cache needs flock(2): %w", admin.ErrNotSupported)
}
