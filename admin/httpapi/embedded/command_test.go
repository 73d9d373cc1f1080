package embedded_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
)

// TestCommandConfig: RunCommand's command line onto DefaultConfig, with
// the flags as the names error messages use, -h as a clean stop and an
// unknown flag as an error.
func TestCommandConfig(t *testing.T) {
	c, ok, err := embedded.CommandConfig([]string{"-addr", "127.0.0.1:4001", "-proxy", "", "-data", "d", "-projects", "p",
		"-clickhouse", "clickhouse://ch:9000/spans", "-origin", "https://a.example", "-origin", "https://b.example"})
	if err != nil || !ok {
		t.Fatalf("CommandConfig: ok %v, %v", ok, err)
	}
	if c.Addr != "127.0.0.1:4001" || c.ProxyAddr != "" || c.DataDir != "d" || c.ProjectsDir != "p" ||
		c.ClickHouseURL != "clickhouse://ch:9000/spans" || strings.Join(c.API.AllowedOrigins, " ") != "https://a.example https://b.example" {
		t.Fatalf("config %+v", c)
	}
	want := embedded.SettingNames{Addr: "-addr", ProxyAddr: "-proxy", DataDir: "-data", ProjectsDir: "-projects", ClickHouseURL: "-clickhouse"}
	if c.Settings != want || c.Logger == nil {
		t.Fatalf("settings %+v, logger %v", c.Settings, c.Logger)
	}
	if d, _, _ := embedded.CommandConfig(nil); d.Addr != ":3001" || d.ProxyAddr != ":3100" || d.ProjectsDir != "." {
		t.Fatalf("defaults %+v", d)
	}

	stderr := os.Stderr // the flag package prints usage and errors there
	os.Stderr, _ = os.Open(os.DevNull)
	defer func() { os.Stderr = stderr }()
	if _, ok, err := embedded.CommandConfig([]string{"-h"}); ok || err != nil {
		t.Fatalf("-h: ok %v, %v; want a clean stop", ok, err)
	}
	if _, ok, err := embedded.CommandConfig([]string{"-bogus"}); ok || err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("-bogus: ok %v, %v; want an error naming it", ok, err)
	}
}
