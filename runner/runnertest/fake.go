package runnertest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Environment variables understood by the fake project's CLI (in
// BuildSpec.Env) and server (in StartSpec.Env).
const (
	// FakeBuildFail=1 makes `mastra build` fail with exit status 1.
	FakeBuildFail = "FAKE_MASTRA_FAIL"
	// FakeBuildHang=1 makes `mastra build` print "pid=N" and never exit.
	FakeBuildHang = "FAKE_MASTRA_HANG"
	// FakeCrash=1 makes the server exit with status 3 at once.
	FakeCrash = "FAKE_SERVER_CRASH"
	// FakeNeverHealthy=1 makes GET /health answer 503.
	FakeNeverHealthy = "FAKE_SERVER_NEVER_HEALTHY"
	// FakeHealthyWhen=path makes GET /health answer 503 until a file exists
	// at path: a test decides when the server becomes healthy.
	FakeHealthyWhen = "FAKE_SERVER_HEALTHY_WHEN"
	// FakeExitAfter=N makes the server exit with status 4 N milliseconds
	// after it started listening: a server that crashes again and again.
	FakeExitAfter = "FAKE_SERVER_EXIT_AFTER_MS"
	// FakeChild=1 makes the server start a child process in its process
	// group; FakeChild=detached in a session of its own.
	FakeChild = "FAKE_SERVER_CHILD"
	// FakeIgnoreTerm=1 makes the server ignore SIGTERM.
	FakeIgnoreTerm = "FAKE_SERVER_IGNORE_TERM"
	// FakePIDFile=path makes the server write its pid to path at start.
	FakePIDFile = "FAKE_SERVER_PIDFILE"
)

//go:embed fakeproject/cli.js fakeproject/server.mjs
var fakeFiles embed.FS

const (
	fakeName        = "fake-mastra-project"
	fakeTarball     = "vendor/fake-mastra-1.0.0.tgz"
	fakeCoreTarball = "vendor/fake-mastra-core-1.0.0.tgz"
)

// WriteFakeProject writes into dir (created when missing) a small npm
// project that any Runner building Mastra projects with npm can build in a
// second without the network: its dependencies are a "mastra" package from
// a local tarball, whose CLI's `mastra build` writes a fake server to
// .mastra/output/index.mjs, and an empty "@mastra/core"; with its
// src/mastra/index.ts that makes it a Mastra project to a Source. The fake server honours PORT and MASTRA_HOST
// and answers GET /health and GET /echo (see Echo); the Fake* variables
// change how the build and the server behave. The package-lock.json pins
// the tarball by its integrity hash, as npm would.
func WriteFakeProject(dir string) error {
	mastra, err := fakePackage("mastra", true)
	if err != nil {
		return err
	}
	core, err := fakePackage("@mastra/core", false)
	if err != nil {
		return err
	}
	integrity := func(tgz []byte) string {
		sum := sha512.Sum512(tgz)
		return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	}
	deps := map[string]string{"@mastra/core": "file:" + fakeCoreTarball}
	devDeps := map[string]string{"mastra": "file:" + fakeTarball}
	pkg := map[string]any{"name": fakeName, "version": "1.0.0", "private": true, "type": "module",
		"dependencies": deps, "devDependencies": devDeps}
	lock := map[string]any{
		"name": fakeName, "version": "1.0.0", "lockfileVersion": 3, "requires": true,
		"packages": map[string]any{
			"": map[string]any{"name": fakeName, "version": "1.0.0", "dependencies": deps, "devDependencies": devDeps},
			"node_modules/mastra": map[string]any{
				"version": "1.0.0-fake", "resolved": "file:" + fakeTarball, "integrity": integrity(mastra),
				"dev": true, "bin": map[string]string{"mastra": "cli.js"},
			},
			"node_modules/@mastra/core": map[string]any{
				"version": "1.0.0-fake", "resolved": "file:" + fakeCoreTarball, "integrity": integrity(core),
			},
		},
	}
	files := map[string][]byte{fakeTarball: mastra, fakeCoreTarball: core,
		// What makes it a Mastra project to a Source; the fake CLI ignores it.
		"src/mastra/index.ts": []byte("export const mastra = {};\n")}
	for name, v := range map[string]any{"package.json": pkg, "package-lock.json": lock} {
		b, _ := json.MarshalIndent(v, "", "  ")
		files[name] = append(b, '\n')
	}
	for name, b := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write fake project: %w", err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fmt.Errorf("write fake project: %w", err)
		}
	}
	return nil
}

// fakePackage builds the npm tarball of a fake package: "mastra" with the
// CLI (withCLI), or an empty "@mastra/core". Its bytes depend only on the
// embedded files and the Go version's gzip.
func fakePackage(name string, withCLI bool) ([]byte, error) {
	type file struct {
		name string
		mode int64
		body []byte
	}
	meta := map[string]any{"name": name, "version": "1.0.0-fake"}
	if withCLI {
		meta["bin"] = map[string]string{"mastra": "cli.js"}
	}
	pkg, _ := json.Marshal(meta)
	files := []file{{"package/package.json", 0o644, pkg}}
	if withCLI {
		files = append(files, file{"package/cli.js", 0o755, nil}, file{"package/server.mjs", 0o644, nil})
	}
	for i := range files[1:] {
		f := &files[i+1]
		b, err := fakeFiles.ReadFile("fakeproject/" + filepath.Base(f.name))
		if err != nil {
			return nil, err
		}
		f.body = b
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	epoch := time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC) // npm's fixed mtime
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Echo is the fake server's answer to GET /echo.
type Echo struct {
	PID      int    `json:"pid"`
	ChildPID int    `json:"childPid"`
	Cwd      string `json:"cwd"`
	// Runtime is what the server imported from the package the fake
	// `mastra build` installs in .mastra/output/node_modules.
	Runtime string            `json:"runtime"`
	Env     map[string]string `json:"env"`
}

// GetEcho asks a fake server for its /echo.
func GetEcho(ctx context.Context, s *admin.RunningServer) (*Echo, error) {
	var e Echo
	if err := call(ctx, http.MethodGet, s, "/echo", &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// call sends one request to the server and decodes a 200 JSON answer.
func call(ctx context.Context, method string, s *admin.RunningServer, path string, out any) error {
	return callBody(ctx, method, s, path, nil, out)
}

func callBody(ctx context.Context, method string, s *admin.RunningServer, path string, body any, out any) error {
	return do(ctx, method, ServerURL(s)+path, "", body, out)
}

// ServerURL is the base URL of a running server, http://{host}:{port}.
func ServerURL(s *admin.RunningServer) string {
	return "http://" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// WorkflowResult is the answer of POST /api/workflows/{key}/start-async.
type WorkflowResult struct {
	Status string          `json:"status"`
	Result json.RawMessage `json:"result"`
}

// RunWorkflow runs the workflow key of the Mastra server at baseURL (a
// server, or a router in front of it) with inputData input, and returns
// its answer; host, when set, is sent as the Host header (host routing).
// A status other than 200 is an error carrying the body.
func RunWorkflow(ctx context.Context, baseURL, host, key string, input any) (WorkflowResult, error) {
	var run WorkflowResult
	err := do(ctx, http.MethodPost, baseURL+"/api/workflows/"+key+"/start-async", host, map[string]any{"inputData": input}, &run)
	return run, err
}

// do sends a JSON request (body nil: none) and decodes a 200 answer into
// out.
func do(ctx context.Context, method, url, host string, body any, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if host != "" {
		req.Host = host
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode %q: %w", method, url, b, err)
	}
	return nil
}
