package clickhouse_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
)

// Open a store on a connection made from a URL and hand it to the Admin.
// The connection stays the caller's to close. (This example needs a server,
// so it is compiled but not run by go test.)
func Example() {
	ctx := context.Background()
	opt, err := ch.ParseDSN(os.Getenv("CLICKHOUSE_URL")) // e.g. clickhouse://127.0.0.1:9000/mastra
	if err != nil {
		log.Fatal(err)
	}
	conn, err := ch.Open(opt)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	store, err := clickhouse.New(ctx, conn, &clickhouse.Options{
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Retention: 90 * 24 * time.Hour, // needs ClickHouse 20.3 or newer
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := admin.New(admin.WithObservabilityStore(store))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
}

// What the schema uses on an old and on a current server.
func ExampleFeaturesOf() {
	for _, version := range []string{"18.16.1", "21.8.15", "25.8.3.1"} {
		v, err := clickhouse.ParseVersion(version)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", v, clickhouse.FeaturesOf(v))
	}
	// Output:
	// 18.16.1: none (common subset)
	// 21.8.15: LowCardinality, codecs, skip indexes, TTL
	// 25.8.3: LowCardinality, codecs, skip indexes, TTL, insert dedup tokens
}

// The statements New runs on a given server, for review or for a DBA.
func ExampleDDL() {
	stmts, err := clickhouse.DDL(clickhouse.FeaturesOf(clickhouse.Version{Major: 18, Minor: 16}))
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range stmts {
		head, _, _ := strings.Cut(st, " (")
		head, _, _ = strings.Cut(head, " AS\n")
		fmt.Println(head)
	}
	// Output:
	// CREATE TABLE IF NOT EXISTS mastra_spans
	// CREATE TABLE IF NOT EXISTS mastra_logs
	// CREATE TABLE IF NOT EXISTS mastra_roots
	// CREATE MATERIALIZED VIEW IF NOT EXISTS mastra_roots_mv TO mastra_roots
	// INSERT INTO mastra_roots
	// CREATE TABLE IF NOT EXISTS mastra_trace_totals
	// CREATE MATERIALIZED VIEW IF NOT EXISTS mastra_trace_totals_mv TO mastra_trace_totals
	// INSERT INTO mastra_trace_totals
}

// Page through the error traces of the last day, most expensive first,
// then read the first one's spans and log lines. (Compiled, not run: it
// needs a server.)
func ExampleStore_ListTraces() {
	ctx := context.Background()
	opt, err := ch.ParseDSN(os.Getenv("CLICKHOUSE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	conn, err := ch.Open(opt)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	store, err := clickhouse.New(ctx, conn, nil)
	if err != nil {
		log.Fatal(err)
	}
	q := admin.TraceQuery{ProjectID: "prj_1", From: time.Now().Add(-24 * time.Hour), Status: admin.TraceStatusError,
		Sort: admin.TraceSortCost, Limit: 20}
	var first *admin.TraceSummary
	for {
		page, err := store.ListTraces(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		for _, tr := range page.Traces {
			if first == nil {
				first = &tr
			}
			fmt.Println(tr.TraceID, tr.RootName, tr.Duration, tr.SpanCount, tr.CostUSD != nil)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if first == nil {
		return
	}
	// The trace list gives the root's start: pass it to reach the spans.
	spans, err := store.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_1", TraceID: first.TraceID, From: first.Start, To: first.Start.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	for _, sp := range spans {
		fmt.Println(sp.SpanID, sp.ParentSpanID, sp.Name, sp.EndTime.Sub(sp.StartTime))
	}
	logs, err := store.SearchLogs(ctx, admin.LogQuery{ProjectID: "prj_1", TraceID: first.TraceID, Level: "warn",
		From: first.Start, To: first.Start.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range logs.Logs {
		fmt.Println(l.Time, l.Level, l.Message)
	}
}
