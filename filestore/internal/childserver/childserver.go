// Package childserver runs an HTTP server (an S3 or GCS protocol fake) in a
// child process of a test binary.
//
// The object-store adapters' tests need it because those fakes keep every
// object in memory: in the test process they would hide what the
// conformance suite measures, namely that the adapter itself never holds a
// whole file. In a child process the adapter still speaks real HTTP over
// loopback, and the test's heap is the adapter's alone.
//
// The child is the test binary itself, started again with an environment
// variable that makes TestMain serve instead of running tests:
//
//	func TestMain(m *testing.M) {
//		childserver.ServeIfChild(map[string]childserver.NewHandler{"s3": newFakeS3})
//		os.Exit(m.Run())
//	}
//
//	url := childserver.Start(t, "s3")
package childserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// envVar names the server a child process runs.
const envVar = "MASTRA_ADMIN_FILESTORE_CHILD_SERVER"

// readyLine starts the line a child prints once it listens.
const readyLine = "childserver listening on "

// NewHandler builds a server's handler; baseURL is where it is reached, for
// servers that put their own URL into responses.
type NewHandler func(baseURL string) (http.Handler, error)

// ServeIfChild returns at once in a normal test run. In a child started by
// Start it serves the named handler on a loopback port until its standard
// input closes (the parent ended it or died), then exits the process.
func ServeIfChild(handlers map[string]NewHandler) {
	name, ok := os.LookupEnv(envVar)
	if !ok {
		return
	}
	if err := serve(handlers, name); err != nil {
		fmt.Fprintf(os.Stderr, "childserver %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serve(handlers map[string]NewHandler, name string) error {
	newHandler, ok := handlers[name]
	if !ok {
		return fmt.Errorf("no handler named %q", name)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	h, err := newHandler(url)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Println(readyLine + url)

	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Start runs the named server in a child process and returns its base URL
// (http://127.0.0.1:port). The child stops when tb's test ends.
func Start(tb testing.TB, name string) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envVar+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatalf("childserver: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("childserver: %v", err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("childserver: start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	tb.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), readyLine); ok {
				ready <- url
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	select {
	case url := <-ready:
		return url
	case err := <-exited:
		exited <- err // for the cleanup
		tb.Fatalf("childserver: %s exited before it listened: %v", name, err)
	case <-time.After(time.Minute):
		tb.Fatalf("childserver: %s did not listen within a minute", name)
	}
	return ""
}
