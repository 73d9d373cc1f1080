// Package clickhousetest holds the baseline the ingestion benchmarks
// measure the ClickHouse store against: clickhouse-client importing the
// same rows, as JSONEachRow, into a copy of the store's schema with the
// same materialized views (ClientTable), so that the server does the same
// work per row for both, and into the spans table alone (ClientBareTable).
// Rows count as stored when the INSERT returns, for the client as for the
// store (an INSERT into a MergeTree is visible to queries once
// acknowledged). The client's time includes starting its process (tens of
// milliseconds), a fixed cost that matters less the more rows a run
// imports.
package clickhousetest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// The tables CreateClientTables makes: a copy of mastra_spans whose
// materialized views fill copies of mastra_roots and mastra_trace_totals,
// and a copy of mastra_spans without them.
const (
	ClientTable     = "client_spans"
	ClientBareTable = "client_spans_bare"
)

// Tables lists the tables and views of the store's schema and of
// CreateClientTables, views first: the order to drop them in.
var Tables = []string{"mastra_roots_mv", "mastra_trace_totals_mv", "client_roots_mv", "client_trace_totals_mv",
	"mastra_roots", "mastra_trace_totals", "mastra_spans", "mastra_logs",
	"client_roots", "client_trace_totals", ClientTable, ClientBareTable}

// DropTablesAtCleanup drops Tables of conn's database when tb ends, with
// ten minutes to do it: dropping the tables of a million rows takes
// longer, on a loaded server, than a test database's own cleanup waits
// (cleanups run last registered first: register this after the
// database's).
func DropTablesAtCleanup(tb testing.TB, conn driver.Conn) {
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		for _, table := range Tables {
			if err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
				tb.Logf("drop %s: %v", table, err)
			}
		}
	})
}

// WaitMerges waits until the server runs no merge (system.merges is
// empty), for at most a minute, so that the next timed insert does not
// share the CPU with the background merges of the ones before: each
// INSERT writes parts that the server merges soon after, a second or more
// of work for the parts of 100,000 spans, which would otherwise fall on
// whichever import is timed next. A merge still running after a minute is
// left to run.
func WaitMerges(ctx context.Context, conn driver.Conn) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil {
			return err
		}
		if n == 0 || time.Now().After(deadline) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CreateClientTables creates ClientTable (with its views) and
// ClientBareTable in conn's database from the store's DDL
// (clickhouse.DDL of the store's Features), after the store created its
// own tables there.
func CreateClientTables(ctx context.Context, conn driver.Conn, ddl []string) error {
	rename := strings.NewReplacer("mastra_spans", ClientTable, "mastra_roots", "client_roots", "mastra_trace_totals", "client_trace_totals")
	for _, st := range ddl {
		if strings.HasPrefix(st, "INSERT") || strings.Contains(st, "mastra_logs") {
			continue
		}
		if err := conn.Exec(ctx, rename.Replace(st)); err != nil {
			return fmt.Errorf("create the client's tables: %w", err)
		}
	}
	if err := conn.Exec(ctx, "CREATE TABLE "+ClientBareTable+" AS mastra_spans"); err != nil {
		return fmt.Errorf("create %s: %w", ClientBareTable, err)
	}
	return nil
}

// ErrNoClient is returned by NewClient when clickhouse-client is not
// installed (scripts/clickhouse.sh installs it with the server).
var ErrNoClient = errors.New("clickhouse-client is not installed: it is the ingestion benchmarks' baseline (scripts/clickhouse.sh installs it)")

// Client runs clickhouse-client against one database.
type Client struct {
	path string
	args []string // connection arguments
}

// NewClient returns a Client for database on the server of url (a
// clickhouse:// URL, as MASTRA_ADMIN_TEST_CLICKHOUSE_URL).
func NewClient(url, database string) (*Client, error) {
	path, err := exec.LookPath("clickhouse-client")
	if err != nil {
		return nil, ErrNoClient
	}
	opt, err := clickhouse.ParseDSN(url)
	if err != nil {
		return nil, err
	}
	host, port, _ := strings.Cut(opt.Addr[0], ":")
	args := []string{"--host", host, "--database", database}
	if port != "" {
		args = append(args, "--port", port)
	}
	if opt.Auth.Username != "" {
		args = append(args, "--user", opt.Auth.Username)
	}
	if opt.Auth.Password != "" {
		args = append(args, "--password", opt.Auth.Password)
	}
	return &Client{path: path, args: args}, nil
}

// Import runs clickhouse-client inserting the JSONEachRow file into table
// (one INSERT) and returns how long the client took, from its start to
// its exit.
func (c *Client) Import(ctx context.Context, table, file string) (time.Duration, error) {
	in, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	cmd := exec.CommandContext(ctx, c.path, append(c.args, "--query", "INSERT INTO "+table+" FORMAT JSONEachRow")...)
	cmd.Stdin = in
	t := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(t)
	if err != nil {
		return 0, fmt.Errorf("clickhouse-client: %v: %s", err, out)
	}
	return d, nil
}

// WriteJSONEachRow writes spans to path as the spans table's columns, one
// JSON object a line, with the values the store writes (version is the
// row version of every row): what the client imports.
func WriteJSONEachRow(path string, spans []admin.Span, version uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range spans {
		sp := &spans[i]
		isRoot, isErr := 0, 0
		if sp.IsRoot {
			isRoot = 1
		}
		if sp.Error != "" {
			isErr = 1
		}
		start, end := sp.StartTime.UnixNano(), sp.EndTime.UnixNano()
		if err := enc.Encode(map[string]any{
			"project_id": sp.ProjectID, "deployment_id": sp.DeploymentID, "build_id": sp.BuildID, "trace_id": sp.TraceID,
			"span_id": sp.SpanID, "parent_span_id": sp.ParentSpanID, "name": sp.Name, "span_type": sp.Type,
			"entity_type": sp.EntityType, "entity_id": sp.EntityID, "entity_name": sp.EntityName, "is_root": isRoot,
			"start_ns": start, "end_ns": end, "duration_ns": end - start, "is_error": isErr, "error": sp.Error,
			"model": sp.Model, "provider": sp.Provider, "input_tokens": sp.InputTokens, "output_tokens": sp.OutputTokens,
			"cache_read_tokens": sp.CacheReadTokens, "cache_write_tokens": sp.CacheWriteTokens, "reasoning_tokens": sp.ReasoningTokens,
			"cost_usd":   sp.CostUSD,
			"attributes": string(sp.Attributes), "version": version,
		}); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
