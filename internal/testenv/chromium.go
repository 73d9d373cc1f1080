package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// EnvChromium names the Chromium (or Chrome) executable the browser tests
// drive; scripts/services/chromium.sh installs Debian's chromium when it is
// missing and sets it.
const EnvChromium = "MASTRA_ADMIN_TEST_CHROMIUM"

// Chromium returns the path of a Chromium executable for browser tests:
// MASTRA_ADMIN_TEST_CHROMIUM when set (it must be an executable file), else
// chromium or chromium-browser on PATH. Without one the test is skipped, or
// fails when services are required.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			t.Fatalf("testenv: %s=%s is not an executable file", EnvChromium, p)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(t, "Chromium", EnvChromium, "no chromium on PATH; scripts/services/chromium.sh installs it")
	return ""
}
