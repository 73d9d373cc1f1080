package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// EnvFigures names a file the test script collects figures in: the
// measured results of the reliability and load tests (kills survived,
// recovery times, latencies), printed after `go test` even though a
// passing test's log is not.
const EnvFigures = "MASTRA_ADMIN_TEST_FIGURES"

var figuresMu sync.Mutex

// Figure logs a measured result like t.Logf and, when EnvFigures names a
// file, appends it there as one line prefixed by the test's name. Several
// test processes append at once; each line is one write of an O_APPEND
// file, so lines do not interleave.
func Figure(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	t.Log(msg)
	path := os.Getenv(EnvFigures)
	if path == "" {
		return
	}
	figuresMu.Lock()
	defer figuresMu.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Errorf("figures file %s: %v", path, err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s: %s\n", t.Name(), msg); err != nil {
		t.Errorf("figures file %s: %v", path, err)
	}
}
