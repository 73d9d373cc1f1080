//go:build !unix

package bundler

import "io/fs"

// linkCount reports 1: hard links are not counted on this system.
func linkCount(fs.FileInfo) uint64 { return 1 }
