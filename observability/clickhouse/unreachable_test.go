package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
)

// forwarder is a TCP proxy to the test server that the test can cut, so
// that the shared server other tests use keeps running.
type forwarder struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	down   bool
	// budget, when positive, is how many more bytes from clients pass
	// before every connection is cut and the forwarder goes down.
	budget atomic.Int64
	wg     sync.WaitGroup
}

func newForwarder(t *testing.T, target string) *forwarder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln, target: target, conns: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.cut()
		f.wg.Wait()
	})
	return f
}

func (f *forwarder) addr() string { return f.ln.Addr().String() }

func (f *forwarder) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.down {
			f.mu.Unlock()
			c.Close() // refused: the server is "unreachable"
			continue
		}
		s, err := net.Dial("tcp", f.target)
		if err != nil {
			f.mu.Unlock()
			c.Close()
			continue
		}
		f.conns[c], f.conns[s] = true, true
		f.mu.Unlock()
		f.wg.Add(2)
		go f.pipe(s, c, true)
		go f.pipe(c, s, false)
	}
}

// pipe copies src to dst; fromClient copies count against the budget.
func (f *forwarder) pipe(dst, src net.Conn, fromClient bool) {
	defer f.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && fromClient {
			if b := f.budget.Load(); b > 0 {
				if int64(n) >= b {
					// Pass part of this read, then cut in the middle of
					// whatever the client was sending.
					dst.Write(buf[:b/2])
					f.cut()
					return
				}
				f.budget.Add(-int64(n))
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

// cut closes every connection and refuses new ones until up.
func (f *forwarder) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	f.budget.Store(0)
	for c := range f.conns {
		c.Close()
		delete(f.conns, c)
	}
}

// cutAfter lets n more bytes from clients through, then cuts.
func (f *forwarder) cutAfter(n int64) { f.budget.Store(n) }

func (f *forwarder) up() {
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
}

// TestUnreachable: a store whose server becomes unreachable (the
// connection cut in the middle of sending a batch, then every connection
// refused) fails its inserts and queries with wrapped errors, stores
// nothing of the cut batch, and works again once the server is back,
// without being reopened.
func TestUnreachable(t *testing.T) {
	ctx := context.Background()
	direct := testenv.ClickHouse(t)
	var db string
	if err := direct.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	opt, err := ch.ParseDSN(testenv.ClickHouseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	fw := newForwarder(t, opt.Addr[0])
	opt.Addr = []string{fw.addr()}
	opt.Auth.Database = db
	opt.DialTimeout = 5 * time.Second
	conn, err := ch.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s, err := clickhouse.New(ctx, conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		t.Helper()
		var n uint64
		if err := direct.QueryRow(ctx, "SELECT count() FROM mastra_spans").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	batch := func(trace string, n int) []admin.Span {
		spans := []admin.Span{span(trace, "root", "", t0, time.Second)}
		for i := 1; i < n; i++ {
			spans = append(spans, span(trace, fmt.Sprintf("s%05d", i), "root", t0.Add(time.Millisecond), time.Millisecond))
		}
		return spans
	}
	if err := s.InsertSpans(ctx, batch("before", 10)); err != nil {
		t.Fatal(err)
	}

	// Cut after 1 MiB of a batch of about 4 MB.
	big := batch("cut", 20000)
	fw.cutAfter(1 << 20)
	err = s.InsertSpans(ctx, big)
	if err == nil {
		t.Fatal("InsertSpans through a connection cut mid-batch succeeded")
	}
	checkWrapped(t, "insert cut mid-batch", err)
	t.Logf("insert cut mid-batch: %v", err)
	// Down: every call fails, none panics.
	err = s.InsertSpans(ctx, big[:10])
	checkWrapped(t, "insert while down", err)
	t.Logf("insert while down: %v", err)
	err = s.InsertLogs(ctx, []admin.LogRecord{{ID: "l", ProjectID: "prj_1", Time: t0, Level: "info", Message: "m"}})
	checkWrapped(t, "insert logs while down", err)
	_, err = s.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_1", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	checkWrapped(t, "list while down", err)
	// Nothing of the cut batch is stored.
	if n := count(); n != 10 {
		t.Fatalf("%d span rows stored after the cut batch; want the 10 of the batch before", n)
	}

	// Back: the same store inserts and reads again.
	fw.up()
	if err := s.InsertSpans(ctx, big); err != nil {
		t.Fatalf("InsertSpans once the server is back: %v", err)
	}
	if n := count(); n != 10+uint64(len(big)) {
		t.Fatalf("%d span rows; want %d", n, 10+len(big))
	}
	p, err := s.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_1", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil || len(p.Traces) != 2 || p.Traces[0].SpanCount+p.Traces[1].SpanCount != 10+len(big) {
		t.Fatalf("traces once back: %+v, %v", p.Traces, err)
	}
}

// checkWrapped fails unless err is an error of the store wrapping a cause.
func checkWrapped(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error", what)
	case !strings.HasPrefix(err.Error(), "clickhouse: "):
		t.Errorf("%s: %v; want an error of the store", what, err)
	case errors.Unwrap(err) == nil:
		t.Errorf("%s: %v wraps no cause", what, err)
	case errors.Is(err, admin.ErrInvalidArgument), errors.Is(err, admin.ErrClosed):
		t.Errorf("%s: %v; want a connection error", what, err)
	}
}

// TestClosedPort: New on a connection to a port nobody listens on fails
// with the driver's error wrapped.
func TestClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conn, err := ch.Open(&ch.Options{Addr: []string{addr}, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = clickhouse.New(context.Background(), conn, nil)
	var op *net.OpError
	if err == nil || !errors.As(err, &op) && !errors.Is(err, io.EOF) {
		t.Fatalf("New on a closed port: %v; want a wrapped connection error", err)
	}
}
