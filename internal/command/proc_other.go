//go:build !unix

package command

import "os/exec"

// setProcessGroup does nothing where process groups do not exist:
// cancelling the context kills the command only.
func setProcessGroup(*exec.Cmd) {}

// killGroup does nothing where process groups do not exist.
func killGroup(int) {}
