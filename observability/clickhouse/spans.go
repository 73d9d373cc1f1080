package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability/internal/jsonvalid"
)

// Query limits: a query without Limit returns at most DefaultLimit rows;
// none returns more than MaxLimit.
const (
	DefaultLimit = 1000
	MaxLimit     = 100000
)

const spanColumns = "project_id, deployment_id, build_id, trace_id, span_id, parent_span_id, name, span_type, " +
	"entity_type, entity_id, entity_name, is_root, start_ns, end_ns, duration_ns, is_error, error, " +
	"model, provider, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, " +
	"cost_usd, attributes, version"

// validSpan checks what the schema relies on.
func validSpan(i int, s *admin.Span) error {
	field := ""
	switch {
	case s.ProjectID == "":
		field = "ProjectID"
	case s.TraceID == "":
		field = "TraceID"
	case s.SpanID == "":
		field = "SpanID"
	case s.StartTime.IsZero():
		field = "StartTime"
	case s.EndTime.IsZero():
		field = "EndTime"
	case s.EndTime.Before(s.StartTime):
		return &admin.ValidationError{Field: fmt.Sprintf("spans[%d].EndTime", i), Reason: "is before StartTime"}
	case s.InputTokens < 0 || s.OutputTokens < 0 || s.CacheReadTokens < 0 || s.CacheWriteTokens < 0 || s.ReasoningTokens < 0:
		return &admin.ValidationError{Field: fmt.Sprintf("spans[%d]", i), Reason: "has a negative token count"}
	case len(s.Attributes) > 0 && !jsonvalid.Valid(s.Attributes):
		return &admin.ValidationError{Field: fmt.Sprintf("spans[%d].Attributes", i), Reason: "is not valid JSON"}
	case s.CostUSD != nil && (math.IsNaN(*s.CostUSD) || math.IsInf(*s.CostUSD, 0) || *s.CostUSD < 0):
		// A NaN or an infinity would make every cost order and sum of
		// its trace meaningless.
		return &admin.ValidationError{Field: fmt.Sprintf("spans[%d].CostUSD", i), Reason: "must be a finite, non-negative number"}
	}
	if field != "" {
		return &admin.ValidationError{Field: fmt.Sprintf("spans[%d].%s", i, field), Reason: "is required"}
	}
	return nil
}

// InsertSpans stores spans in one batch. A span inserted again (same
// project, trace and span id) replaces the earlier copy: queries return only
// the copy inserted last. Invalid spans fail the whole call with
// admin.ErrInvalidArgument before anything is sent.
//
// The rows are laid out in columns first (one typed slice per column,
// appended whole to the batch: no per-value conversion in the driver), in
// the table's order (keyOrder), in one pass that also computes the
// deduplication token where the server takes one.
func (s *Store) InsertSpans(ctx context.Context, spans []admin.Span) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("clickhouse: insert spans: %w", err)
	}
	for i := range spans {
		if err := validSpan(i, &spans[i]); err != nil {
			return fmt.Errorf("clickhouse: insert spans: %w", err)
		}
	}
	if len(spans) == 0 {
		return nil
	}
	n := len(spans)
	version := s.versions(n)
	tok := s.tokenHash()
	strs := func() []string { return make([]string, n) }
	ints := func() []int64 { return make([]int64, n) }
	project, deployment, build, trace, spanID, parent, name, typ := strs(), strs(), strs(), strs(), strs(), strs(), strs(), strs()
	etype, eid, ename, errMsg, model, provider := strs(), strs(), strs(), strs(), strs(), strs()
	attrs := make([]json.RawMessage, n) // appended as they are: no copy to a string
	start, end, dur, tin, tout, tcr, tcw, trs := ints(), ints(), ints(), ints(), ints(), ints(), ints(), ints()
	isRoot, isErr := make([]uint8, n), make([]uint8, n)
	cost := make([]*float64, n)
	versions := make([]uint64, n)
	order := keyOrder(n, func(a, b int) int { return compareSpanKeys(&spans[a], &spans[b]) })
	for i := range spans {
		j := order(i) // row i is span j
		sp := &spans[j]
		project[i], deployment[i], build[i], trace[i], spanID[i], parent[i] = sp.ProjectID, sp.DeploymentID, sp.BuildID, sp.TraceID, sp.SpanID, sp.ParentSpanID
		name[i], typ[i], etype[i], eid[i], ename[i] = sp.Name, sp.Type, sp.EntityType, sp.EntityID, sp.EntityName
		errMsg[i], model[i], provider[i], attrs[i] = sp.Error, sp.Model, sp.Provider, sp.Attributes
		if sp.IsRoot {
			isRoot[i] = 1
		}
		if sp.Error != "" {
			isErr[i] = 1
		}
		start[i], end[i] = sp.StartTime.UnixNano(), sp.EndTime.UnixNano()
		dur[i] = end[i] - start[i]
		tin[i], tout[i], tcr[i], tcw[i], trs[i] = sp.InputTokens, sp.OutputTokens, sp.CacheReadTokens, sp.CacheWriteTokens, sp.ReasoningTokens
		cost[i] = sp.CostUSD
		versions[i] = version + uint64(j) // the span given last wins
		if tok != nil {
			hashFields(tok, sp.ProjectID, sp.DeploymentID, sp.BuildID, sp.TraceID, sp.SpanID, sp.ParentSpanID,
				sp.Name, sp.Type, sp.Error, string(sp.Attributes), sp.EntityType, sp.EntityID, sp.EntityName, sp.Model, sp.Provider)
			hashInts(tok, start[i], end[i], int64(isRoot[i]), sp.InputTokens, sp.OutputTokens, sp.CacheReadTokens, sp.CacheWriteTokens, sp.ReasoningTokens)
			if sp.CostUSD != nil {
				hashFields(tok, strconv.FormatFloat(*sp.CostUSD, 'g', -1, 64))
			}
		}
	}
	// In the order of spanColumns.
	cols := []any{project, deployment, build, trace, spanID, parent, name, typ, etype, eid, ename, isRoot, start, end, dur, isErr, errMsg,
		model, provider, tin, tout, tcr, tcw, trs, cost, attrs, versions}
	if err := s.insert(ctx, "mastra_spans", spanColumns, tok, n, cols); err != nil {
		return fmt.Errorf("clickhouse: insert %d spans: %w", n, err)
	}
	return nil
}

// compareSpanKeys orders spans as mastra_spans' sorting key does.
func compareSpanKeys(a, b *admin.Span) int {
	if c := strings.Compare(a.ProjectID, b.ProjectID); c != 0 {
		return c
	}
	if c := strings.Compare(a.TraceID, b.TraceID); c != 0 {
		return c
	}
	return strings.Compare(a.SpanID, b.SpanID)
}

// keyOrder returns, for n rows that cmp compares by their table's sorting
// key, which row goes i-th when they are sent in that order (rows of equal
// keys in their own order): the server then finds each block of an insert
// already sorted and skips its own sort and the copy of every column
// that reorders it, one thread's work per INSERT. Spans come in file
// order (their trace ids random), so a batch is rarely in order; sorted
// here, on the worker's cores, the server's CPU for the inserts of 100,000
// spans fell from 1.15-1.30 s to 0.89-0.92 s (system.query_log), the
// ingestion worker's rate rose by about a fifth. Rows already in order
// cost one comparison each.
func keyOrder(n int, cmp func(a, b int) int) func(i int) int {
	sorted := true
	for i := 1; i < n && sorted; i++ {
		sorted = cmp(i-1, i) <= 0
	}
	if sorted {
		return func(i int) int { return i }
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, cmp)
	return func(i int) int { return order[i] }
}

// tokenHash returns the hash a batch's content is fed to for its insert
// deduplication token, or nil when the server takes no token.
func (s *Store) tokenHash() hash.Hash {
	if !s.features.DedupTokens {
		return nil
	}
	return sha256.New()
}

// insertBlockRows is how many rows insert sends a block at a time: the
// driver's column buffers are filled up to this many rows, sent, and
// filled again, instead of growing to hold the whole batch (copied at
// every doubling of the text columns). The server gathers the blocks of
// one INSERT into parts of min_insert_block_size_rows (a million rows by
// default) before it writes them, so the blocks of a batch make the same
// parts as one block would. Smaller blocks cost less: the first block of
// each INSERT grows the driver's buffers from nothing. Measured with
// scripts/bench-ingest.sh (runs of 3 rounds, the ingestion worker's
// rows/s): blocks of 4,096 rows 68,000-90,000 (four runs), of 8,192
// 75,000-76,000 (two), of 16,384 63,000-69,000 (two); of 1,024 and 2,048
// 77,000-88,000 (two each), no better than 4,096.
const insertBlockRows = 4096

// insert sends one batch of rows into table: cols holds one slice per
// column of columns, in order, of the type the column takes (see
// sliceColumn); tok, when not nil, is the hash of the batch's content,
// sent as the insert deduplication token. The rows go in blocks of
// insertBlockRows, all in one INSERT. On any error the batch is aborted:
// the driver then closes that connection instead of returning it to the
// pool, since a failed batch leaves a native connection in a state the
// server rejects ("Unexpected packet").
func (s *Store) insert(ctx context.Context, table, columns string, tok hash.Hash, rows int, cols []any) error {
	if tok != nil {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
			"insert_deduplication_token": table + "-" + hex.EncodeToString(tok.Sum(nil)),
		}))
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return err
	}
	for from := 0; from < rows; from += insertBlockRows {
		to := min(from+insertBlockRows, rows)
		for i, c := range cols {
			if err := b.Column(i).Append(sliceColumn(c, from, to)); err != nil {
				_ = b.Abort()
				return fmt.Errorf("column %d of %s: %w", i, table, err)
			}
		}
		if to == rows {
			break
		}
		if err := b.Flush(); err != nil {
			_ = b.Abort()
			s.log.Warn("insert failed; its connection is closed, not reused", "table", table, "rows", rows, "err", err)
			return err
		}
	}
	if err := b.Send(); err != nil {
		_ = b.Abort()
		s.log.Warn("insert failed; its connection is closed, not reused", "table", table, "rows", rows, "err", err)
		return err
	}
	return nil
}

// sliceColumn returns rows [from, to) of a column slice of the types
// InsertSpans and InsertLogs lay columns out in.
func sliceColumn(c any, from, to int) any {
	switch c := c.(type) {
	case []string:
		return c[from:to]
	case []json.RawMessage:
		return c[from:to]
	case []int64:
		return c[from:to]
	case []uint64:
		return c[from:to]
	case []uint8:
		return c[from:to]
	case []*float64:
		return c[from:to]
	}
	panic(fmt.Sprintf("clickhouse: sliceColumn: no case for %T", c))
}

func hashFields(h hash.Hash, fields ...string) {
	var n [8]byte
	for _, f := range fields {
		binary.LittleEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
}

func hashInts(h hash.Hash, xs ...int64) {
	var n [8]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint64(n[:], uint64(x))
		h.Write(n[:])
	}
}

// where builds the time-bounded filter shared by span and log queries.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string { return strings.Join(w.conds, " AND ") }

// checkQuery validates q and returns its limit.
func checkQuery(q admin.TelemetryQuery) (int, error) {
	switch {
	case q.ProjectID == "":
		return 0, &admin.ValidationError{Field: "ProjectID", Reason: "is required"}
	case q.Limit < 0:
		return 0, &admin.ValidationError{Field: "Limit", Reason: "must not be negative"}
	case q.Limit > MaxLimit:
		return 0, &admin.ValidationError{Field: "Limit", Reason: fmt.Sprintf("must be at most %d", MaxLimit)}
	case !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From):
		return 0, &admin.ValidationError{Field: "To", Reason: "must be after From"}
	}
	if q.Limit == 0 {
		return DefaultLimit, nil
	}
	return q.Limit, nil
}

// timeRange adds [From, To) on a nanosecond column and its Date column, so
// that whole monthly partitions outside the range are skipped.
func (w *where) timeRange(q admin.TelemetryQuery, nsCol, dateCol string) {
	if !q.From.IsZero() {
		w.add(dateCol+" >= toDate(?) AND "+nsCol+" >= ?", q.From.UTC().Format(time.DateOnly), q.From.UnixNano())
	}
	if !q.To.IsZero() {
		w.add(dateCol+" <= toDate(?) AND "+nsCol+" < ?", q.To.UTC().Format(time.DateOnly), q.To.UnixNano())
	}
}

// QuerySpans returns the spans of q.ProjectID that started in [q.From,
// q.To) (either bound may be zero: open), of q.DeploymentID and q.TraceID
// when set, ordered by start time then trace and span id, at most q.Limit
// (DefaultLimit when 0). Each span appears once, as last inserted; no FINAL
// is used: the newest copy is picked with LIMIT 1 BY.
func (s *Store) QuerySpans(ctx context.Context, q admin.TelemetryQuery) ([]admin.Span, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("clickhouse: query spans: %w", err)
	}
	limit, err := checkQuery(q)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query spans: %w", err)
	}
	var w where
	w.add("project_id = ?", q.ProjectID)
	if q.TraceID != "" {
		w.add("trace_id = ?", q.TraceID)
	}
	if q.DeploymentID != "" {
		w.add("deployment_id = ?", q.DeploymentID)
	}
	w.timeRange(q, "start_ns", "start_date")
	query := "SELECT " + spanReadCols + " FROM (SELECT " + spanReadCols + " FROM mastra_spans WHERE " + w.String() +
		" ORDER BY version DESC LIMIT 1 BY trace_id, span_id) ORDER BY start_ns, trace_id, span_id LIMIT ?"
	rows, err := s.query(ctx, query, append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query spans: %w", err)
	}
	out, err := scanSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query spans: %w", err)
	}
	return out, nil
}

// spanReadCols are the columns scanSpans reads.
const spanReadCols = "project_id, deployment_id, build_id, trace_id, span_id, parent_span_id, name, span_type, start_ns, end_ns, error, attributes, " +
	"entity_type, entity_id, entity_name, is_root, model, provider, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd"

// scanSpans reads rows of spanReadCols, then closes rows.
func scanSpans(rows driver.Rows) ([]admin.Span, error) {
	var out []admin.Span
	err := eachRow(rows, func() error {
		var sp admin.Span
		var start, end int64
		var attrs string
		var isRoot uint8
		if err := rows.Scan(&sp.ProjectID, &sp.DeploymentID, &sp.BuildID, &sp.TraceID, &sp.SpanID, &sp.ParentSpanID,
			&sp.Name, &sp.Type, &start, &end, &sp.Error, &attrs,
			&sp.EntityType, &sp.EntityID, &sp.EntityName, &isRoot, &sp.Model, &sp.Provider, &sp.InputTokens, &sp.OutputTokens,
			&sp.CacheReadTokens, &sp.CacheWriteTokens, &sp.ReasoningTokens, &sp.CostUSD); err != nil {
			return err
		}
		sp.IsRoot = isRoot == 1
		sp.StartTime, sp.EndTime = time.Unix(0, start).UTC(), time.Unix(0, end).UTC()
		if attrs != "" {
			sp.Attributes = json.RawMessage(attrs)
		}
		out = append(out, sp)
		return nil
	})
	return out, err
}
