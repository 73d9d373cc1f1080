//go:build !unix

package bundler

import (
	"io/fs"
	"os/exec"
)

// setProcessGroup is a no-op where process groups do not exist: cancelling
// kills the command itself only.
func setProcessGroup(*exec.Cmd) {}

// linkCount reports 1: hard links are not counted on this system.
func linkCount(fs.FileInfo) uint64 { return 1 }
