// Command benchserver runs, for router/local/bench/wrk.sh, either a tiny
// backend (-role backend) or the local router in front of one (-role
// router -backend HOST:PORT), on loopback, each in its own process as a
// deployed server and the router are. The backend prints
//
//	direct http://127.0.0.1:PORT/api/agents
//
// and the router
//
//	routed http://127.0.0.1:PORT/api/agents bench.localhost
//
// (the routed URL takes the host name as its Host header); both serve until
// interrupted. -cpuprofile and -memprofile profile the process.
//
// -role bound -backend HOST:PORT (Linux) prints a routed line too, but is
// not the router: it is the least a Go proxy can do (one epoll loop on one
// thread, no routing, no parsing but finding heads and Content-Length), to
// show next to the router and nginx what an event loop costs on the
// machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

func main() {
	role := flag.String("role", "backend", "backend, router (in front of -backend), or bound (the least a proxy in front of -backend can do; see runBound)")
	backend := flag.String("backend", "", "the backend's host:port, for -role router")
	reverseProxy := flag.Bool("reverseproxy", false, "proxy through httputil.ReverseProxy (a custom Options.Transport) instead of the router's own path")
	noEventLoop := flag.Bool("noeventloop", false, "serve every request with the server loop (Options.NoEventLoop)")
	size := flag.Int("body", 64, "response body size in bytes, for -role backend")
	delay := flag.Duration("delay", 0, "time the backend takes to answer, standing for a real server's work")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file at the end")
	flag.Parse()
	if *memProfile != "" {
		runtime.MemProfileRate = 4096
		defer writeAllocs(*memProfile)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchserver:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch *role {
	case "backend":
		err = runBackend(ctx, *size, *delay)
	case "router":
		err = runRouter(ctx, *backend, *reverseProxy, *noEventLoop)
	case "bound":
		err = runBound(ctx, *backend)
	default:
		err = fmt.Errorf("-role %q: want backend, router or bound", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

// writeAllocs writes the allocation profile (go tool pprof -sample_index
// alloc_space) to path.
func writeAllocs(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
	}
}

func runBackend(ctx context.Context, size int, delay time.Duration) error {
	body := []byte(strings.Repeat("x", size))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if delay > 0 {
			time.Sleep(delay)
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})}
	fmt.Printf("direct http://%s/api/agents\n", l.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runRouter(ctx context.Context, backend string, reverseProxy, noEventLoop bool) error {
	if backend == "" {
		return errors.New("-role router needs -backend host:port")
	}
	opts := local.Options{NoEventLoop: noEventLoop}
	if reverseProxy {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 512
		opts.Transport = t
	}
	r, err := local.New(&opts)
	if err != nil {
		return err
	}
	defer r.Close()
	route := admin.Route{DeploymentID: "dep_bench", ProjectSlug: "bench", DeploymentSlug: "production", Production: true,
		Target: backend}
	if err := r.SetRoute(ctx, route); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("routed http://%s/api/agents bench.localhost\n", l.Addr())
	if err := r.Serve(ctx, l); err != nil && !errors.Is(err, admin.ErrClosed) {
		return err
	}
	return nil
}
