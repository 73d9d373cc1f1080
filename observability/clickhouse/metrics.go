package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// Metrics implements admin.ObservabilityQuerier. The spans of the range
// are reduced to the newest copy of each first. Percentiles are exact,
// interpolated linearly between the two nearest durations (as the embedded
// store does), computed by the server over the sorted durations of each
// bucket and entity.
func (s *Store) Metrics(ctx context.Context, q admin.MetricsQuery) (admin.Metrics, error) {
	m, err := s.metrics(ctx, q)
	if err != nil {
		return admin.Metrics{}, s.fail("metrics", err)
	}
	return m, nil
}

// percentileSQL is percentile p of the sorted array d of n durations:
// d[⌊p(n-1)⌋] plus the fraction of the way to d[⌈p(n-1)⌉] (arrays count
// from 1).
func percentileSQL(p string) string {
	pos := p + " * (n - 1)"
	lo := "d[toUInt64(floor(" + pos + ")) + 1]"
	hi := "d[toUInt64(ceil(" + pos + ")) + 1]"
	return "toInt64(" + lo + " + round((" + hi + " - " + lo + ") * (" + pos + " - floor(" + pos + "))))"
}

func (s *Store) metrics(ctx context.Context, q admin.MetricsQuery) (admin.Metrics, error) {
	if err := s.check(); err != nil {
		return admin.Metrics{}, err
	}
	if q.ProjectID == "" {
		return admin.Metrics{}, invalid("ProjectID", "is required")
	}
	w, err := s.window(q.From, q.To)
	if err != nil {
		return admin.Metrics{}, err
	}
	b, err := observability.MetricsBucket(q.Bucket, w.from, w.to)
	if err != nil {
		return admin.Metrics{}, err
	}
	rangeCond, rangeArgs := w.cond("start_ns", "start_date")
	// The bucket of a start, floored also before 1970 (% keeps the
	// dividend's sign).
	const bucketOf = "start_ns - ((start_ns % ?) + ?) % ?"
	args := []any{b, b, b, q.ProjectID}
	args = append(args, rangeArgs...)
	deployment := ""
	if q.DeploymentID != "" {
		deployment = " AND deployment_id = ?"
		args = append(args, q.DeploymentID)
	}
	var out admin.Metrics

	// Runs: the newest copy of every root span of the range, from
	// mastra_roots (a span's start and IsRoot are the same in every copy
	// of it).
	rows, err := s.query(ctx, `SELECT bk, entity_type, entity_name, runs, errs, `+percentileSQL("0.5")+`, `+percentileSQL("0.95")+`, `+percentileSQL("0.99")+`
		FROM (SELECT bk, entity_type, entity_name, count() AS runs, sum(is_error) AS errs, arraySort(groupArray(duration_ns)) AS d, length(d) AS n
		FROM (SELECT `+bucketOf+` AS bk, entity_type, entity_name, is_error, duration_ns FROM (
			SELECT start_ns, entity_type, entity_name, is_error, duration_ns, deployment_id FROM mastra_roots
			WHERE project_id = ? AND `+rangeCond+` ORDER BY version DESC LIMIT 1 BY trace_id, span_id)
			WHERE 1`+deployment+`)
		GROUP BY bk, entity_type, entity_name) ORDER BY bk, entity_type, entity_name`, args...)
	if err != nil {
		return admin.Metrics{}, fmt.Errorf("runs: %w", err)
	}
	err = eachRow(rows, func() error {
		var m admin.EntityMetrics
		var bk, p50, p95, p99 int64
		var runs, errs uint64
		if err := rows.Scan(&bk, &m.EntityType, &m.EntityName, &runs, &errs, &p50, &p95, &p99); err != nil {
			return err
		}
		m.Bucket, m.Runs, m.Errors = time.Unix(0, bk).UTC(), int(runs), int(errs)
		m.P50, m.P95, m.P99 = time.Duration(p50), time.Duration(p95), time.Duration(p99)
		out.Entities = append(out.Entities, m)
		return nil
	})
	if err != nil {
		return admin.Metrics{}, fmt.Errorf("runs: %w", err)
	}

	// Model calls: the newest copy of every span with a model (a span's
	// start and model are the same in every copy of it) that has tokens.
	rows, err = s.query(ctx, `SELECT bk, model, count(), sum(tin), sum(tout), sum(tcr), sum(tcw), sum(trs), count(cost),
		arraySum(arraySort(groupArray(cost)))
		FROM (SELECT `+bucketOf+` AS bk, model, input_tokens AS tin, output_tokens AS tout, cache_read_tokens AS tcr,
			cache_write_tokens AS tcw, reasoning_tokens AS trs, cost_usd AS cost FROM (
			SELECT start_ns, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
				deployment_id FROM mastra_spans
			WHERE project_id = ? AND `+rangeCond+` AND model != '' ORDER BY version DESC LIMIT 1 BY trace_id, span_id)
			WHERE (tin > 0 OR tout > 0)`+deployment+`)
		GROUP BY bk, model ORDER BY bk, model`, args...)
	if err != nil {
		return admin.Metrics{}, fmt.Errorf("models: %w", err)
	}
	err = eachRow(rows, func() error {
		var m admin.ModelMetrics
		var bk int64
		var calls, known uint64
		var cost float64
		if err := rows.Scan(&bk, &m.Model, &calls, &m.InputTokens, &m.OutputTokens, &m.CacheReadTokens, &m.CacheWriteTokens,
			&m.ReasoningTokens, &known, &cost); err != nil {
			return err
		}
		m.Bucket, m.Calls = time.Unix(0, bk).UTC(), int(calls)
		if known > 0 {
			m.CostUSD = &cost
		}
		out.Models = append(out.Models, m)
		return nil
	})
	if err != nil {
		return admin.Metrics{}, fmt.Errorf("models: %w", err)
	}
	return out, nil
}
