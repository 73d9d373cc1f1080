// Command benchserver runs a tiny backend and the local router in front of
// it on loopback, for router/local/bench/wrk.sh. It prints
//
//	direct http://127.0.0.1:PORT/api/agents
//	routed http://127.0.0.1:PORT/api/agents bench.localhost
//
// (the routed URL takes the host name as its Host header) and serves until
// interrupted.
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
	size := flag.Int("body", 64, "response body size in bytes")
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
	if err := run(*size, *delay); err != nil {
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

func run(size int, delay time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	body := []byte(strings.Repeat("x", size))
	backendL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if delay > 0 {
			time.Sleep(delay)
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})}
	go func() { _ = backend.Serve(backendL) }()
	defer backend.Close()

	r, err := local.New(nil)
	if err != nil {
		return err
	}
	defer r.Close()
	route := admin.Route{DeploymentID: "dep_bench", ProjectSlug: "bench", DeploymentSlug: "production", Production: true,
		Target: backendL.Addr().String()}
	if err := r.SetRoute(ctx, route); err != nil {
		return err
	}
	routerL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("direct http://%s/api/agents\n", backendL.Addr())
	fmt.Printf("routed http://%s/api/agents bench.localhost\n", routerL.Addr())
	if err := r.Serve(ctx, routerL); err != nil && !errors.Is(err, admin.ErrClosed) {
		return err
	}
	return nil
}
