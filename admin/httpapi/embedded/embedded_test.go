package embedded_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
)

// freeAddr returns a loopback address no one listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestConfigOpen: the Stack is assembled where the Config says, and a bad
// proxy address is refused naming it.
func TestConfigOpen(t *testing.T) {
	dir := t.TempDir()
	c := embedded.Config{ProxyAddr: "127.0.0.1:3100", DataDir: filepath.Join(dir, "data"), ProjectsDir: dir,
		FileStoragePath: filepath.Join(dir, "files"), Runner: &runnerlocal.Options{CacheDir: filepath.Join(dir, "cache")},
		AdminOptions: []admin.Option{admin.WithInstanceID("embedded-test")}}
	st, err := c.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{c.FileStoragePath, c.Runner.CacheDir, filepath.Join(c.DataDir, "admin.db"), filepath.Join(c.DataDir, "encryption.key")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("after Open: %v", err)
		}
	}

	c.ProxyAddr = "no-port"
	_, err = c.Open(context.Background())
	if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "proxy address") {
		t.Fatalf("Open with proxy address %q = %v; want an invalid argument naming it", c.ProxyAddr, err)
	}
}

// TestServe serves the API and the proxy until the context ends, and
// frees both ports when it returns.
func TestServe(t *testing.T) {
	c := embedded.Config{Addr: freeAddr(t), ProxyAddr: freeAddr(t), ProjectsDir: t.TempDir()}
	st, err := c.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done, ready := make(chan error, 1), make(chan string, 1)
	go func() { done <- st.Serve(ctx, c, nil, func(addr string) { ready <- addr }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	// The API answers; the proxy answers too (404: no deployment yet).
	for url, want := range map[string]int{"http://" + c.Addr + "/v1/openapi.json": http.StatusOK, "http://" + c.ProxyAddr + "/": http.StatusNotFound} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after its context ended: %v", err)
	}
	for _, addr := range []string{c.Addr, c.ProxyAddr} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("%s still taken after Serve returned: %v", addr, err)
			continue
		}
		l.Close()
	}
}

// TestServeProxyAddressTaken: Serve fails before it is ready when the
// proxy cannot listen.
func TestServeProxyAddressTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	c := embedded.Config{Addr: "127.0.0.1:0", ProxyAddr: taken.Addr().String(), ProjectsDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = embedded.Run(ctx, c, nil, func(string) { t.Error("ready with the proxy address taken") })
	if err == nil || !strings.Contains(err.Error(), "proxy") {
		t.Fatalf("Run with the proxy address taken = %v; want a proxy error", err)
	}
}
