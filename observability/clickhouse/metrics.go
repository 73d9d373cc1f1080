package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// MaxBuckets bounds how many time buckets one Metrics call may span.
const MaxBuckets = 10000

// RunMetrics are the runs (root spans) of one entity in one time bucket.
type RunMetrics struct {
	Bucket     time.Time // start of the bucket
	EntityType string
	EntityName string
	Runs       int
	// Errors counts runs whose root span ended in an error.
	Errors int
	// P50, P95 and P99 are latency percentiles of the runs' root spans
	// (ClickHouse's quantiles: approximate, sampled beyond 8192 values).
	P50, P95, P99 time.Duration
}

// ModelMetrics are the model calls (model_generation spans) of one model in
// one time bucket.
type ModelMetrics struct {
	Bucket          time.Time
	Model           string
	Calls           int
	InputTokens     int64
	OutputTokens    int64
	CacheReadTokens int64
	ReasoningTokens int64
}

// Metrics aggregates q.ProjectID's spans that started in [q.From, q.To)
// (of q.DeploymentID when set) into buckets of the given width, aligned on
// the Unix epoch: runs, errors and latency percentiles per entity, and
// tokens per model. Both bounds are required, and the range may span at
// most MaxBuckets buckets. Each span counts once.
func (s *Store) Metrics(ctx context.Context, q admin.TelemetryQuery, bucket time.Duration) ([]RunMetrics, []ModelMetrics, error) {
	if err := s.check(); err != nil {
		return nil, nil, fmt.Errorf("clickhouse: metrics: %w", err)
	}
	if _, err := checkQuery(q); err != nil {
		return nil, nil, fmt.Errorf("clickhouse: metrics: %w", err)
	}
	switch {
	case q.From.IsZero() || q.To.IsZero():
		return nil, nil, fmt.Errorf("clickhouse: metrics: %w", &admin.ValidationError{Field: "From", Reason: "and To are required"})
	case bucket <= 0:
		return nil, nil, fmt.Errorf("clickhouse: metrics: %w", &admin.ValidationError{Field: "bucket", Reason: "must be positive"})
	case q.To.Sub(q.From)/bucket > MaxBuckets:
		return nil, nil, fmt.Errorf("clickhouse: metrics: %w", &admin.ValidationError{Field: "bucket", Reason: fmt.Sprintf("gives more than %d buckets over the range", MaxBuckets)})
	}
	var w where
	w.add("project_id = ?", q.ProjectID)
	if q.DeploymentID != "" {
		w.add("deployment_id = ?", q.DeploymentID)
	}
	w.timeRange(q, "start_ns", "start_date")
	width := int64(bucket)

	rows, err := s.conn.Query(ctx, `SELECT intDiv(start_ns, ?) * ? AS b, entity_type, entity_name, count(), sum(is_error),
		quantiles(0.5, 0.95, 0.99)(duration_ns)
		FROM (SELECT start_ns, entity_type, entity_name, is_error, duration_ns FROM mastra_spans
			WHERE `+w.String()+` AND is_root = 1 ORDER BY version DESC LIMIT 1 BY trace_id, span_id)
		GROUP BY b, entity_type, entity_name ORDER BY b, entity_type, entity_name`,
		append([]any{width, width}, w.args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("clickhouse: metrics: runs: %w", err)
	}
	var runs []RunMetrics
	for rows.Next() {
		var m RunMetrics
		var b int64
		var n, errs uint64
		var qs []float64
		if err := rows.Scan(&b, &m.EntityType, &m.EntityName, &n, &errs, &qs); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("clickhouse: metrics: runs: %w", err)
		}
		m.Bucket, m.Runs, m.Errors = time.Unix(0, b).UTC(), int(n), int(errs)
		if len(qs) == 3 {
			m.P50, m.P95, m.P99 = time.Duration(qs[0]), time.Duration(qs[1]), time.Duration(qs[2])
		}
		runs = append(runs, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("clickhouse: metrics: runs: %w", err)
	}

	rows, err = s.conn.Query(ctx, `SELECT intDiv(start_ns, ?) * ? AS b, model, count(), sum(input_tokens), sum(output_tokens),
		sum(cache_read_tokens), sum(reasoning_tokens)
		FROM (SELECT start_ns, model, input_tokens, output_tokens, cache_read_tokens, reasoning_tokens FROM mastra_spans
			WHERE `+w.String()+` AND span_type = 'model_generation' ORDER BY version DESC LIMIT 1 BY trace_id, span_id)
		GROUP BY b, model ORDER BY b, model`,
		append([]any{width, width}, w.args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("clickhouse: metrics: models: %w", err)
	}
	defer rows.Close()
	var models []ModelMetrics
	for rows.Next() {
		var m ModelMetrics
		var b int64
		var n uint64
		if err := rows.Scan(&b, &m.Model, &n, &m.InputTokens, &m.OutputTokens, &m.CacheReadTokens, &m.ReasoningTokens); err != nil {
			return nil, nil, fmt.Errorf("clickhouse: metrics: models: %w", err)
		}
		m.Bucket, m.Calls = time.Unix(0, b).UTC(), int(n)
		models = append(models, m)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("clickhouse: metrics: models: %w", err)
	}
	return runs, models, nil
}
