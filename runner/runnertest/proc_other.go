//go:build !unix

package runnertest

import "errors"

func processAlive(int) bool { return false }

func kill(int) error { return errors.New("runnertest: kill is not supported on this platform") }
