package admin

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"time"
)

// The observability queries: each checks that the principal may read the
// project (any member of its team, or a platform admin), then asks the
// ObservabilityStore, which must also implement ObservabilityQuerier
// (both first-party stores do); without one they fail with
// ErrNotSupported. The store validates the query (ErrInvalidArgument with a
// *ValidationError naming the field).

// querier returns the configured store's query side.
func (a *Admin) querier() (ObservabilityQuerier, error) {
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	q, ok := a.telem.(ObservabilityQuerier)
	if !ok {
		if a.telem == nil {
			return nil, fmt.Errorf("no observability store configured: %w", ErrNotSupported)
		}
		return nil, fmt.Errorf("the observability store %T answers no queries: %w", a.telem, ErrNotSupported)
	}
	return q, nil
}

// observed checks that the principal may read project id and returns the
// store to ask.
func (a *Admin) observed(ctx context.Context, projectID string) (ObservabilityQuerier, error) {
	q, err := a.querier()
	if err != nil {
		return nil, err
	}
	if projectID == "" {
		return nil, invalid("ProjectID", "is required")
	}
	if _, err := a.projectFor(ctx, projectID, PermProjectRead); err != nil {
		return nil, err
	}
	return q, nil
}

// ListTraces returns one page of a project's traces (see TraceQuery).
func (a *Admin) ListTraces(ctx context.Context, q TraceQuery) (TracePage, error) {
	s, err := a.observed(ctx, q.ProjectID)
	if err != nil {
		return TracePage{}, err
	}
	return s.ListTraces(ctx, q)
}

// GetTrace returns every span of one trace of a project, sorted by start;
// ErrNotFound when the project has no such trace in the time range.
func (a *Admin) GetTrace(ctx context.Context, q TraceGet) ([]Span, error) {
	s, err := a.observed(ctx, q.ProjectID)
	if err != nil {
		return nil, err
	}
	return s.GetTrace(ctx, q)
}

// SearchLogs returns one page of a project's log lines, newest first (see
// LogQuery).
func (a *Admin) SearchLogs(ctx context.Context, q LogQuery) (LogPage, error) {
	s, err := a.observed(ctx, q.ProjectID)
	if err != nil {
		return LogPage{}, err
	}
	return s.SearchLogs(ctx, q)
}

// Metrics aggregates a project's spans per time bucket: runs, errors and
// latency percentiles per entity, tokens and cost per model.
func (a *Admin) Metrics(ctx context.Context, q MetricsQuery) (Metrics, error) {
	s, err := a.observed(ctx, q.ProjectID)
	if err != nil {
		return Metrics{}, err
	}
	return s.Metrics(ctx, q)
}

// Live tail settings.
const (
	// TailPollInterval is how often FollowLogs asks the store for new lines.
	TailPollInterval = time.Second
	// TailLookback is how late, by its own time, a line may reach the store
	// and still be sent by FollowLogs: lines are read again over this
	// window and the ones already sent are skipped. A line stored later
	// than that (ingestion held up for longer, e.g. by a store outage) is
	// found by SearchLogs but not sent to a tail that was open meanwhile.
	TailLookback = 2 * time.Minute
)

// FollowLogs sends the log lines q selects as they reach the store, oldest
// first, each once: first the lines from q.From (a zero From starts at
// now), then every newer one until ctx ends. q.To, q.Limit and q.Cursor are
// ignored. An error ends the sequence (the first check of the project or
// the query fails the same way SearchLogs does); a canceled ctx ends it
// without one.
func (a *Admin) FollowLogs(ctx context.Context, q LogQuery) iter.Seq2[LogRecord, error] {
	return func(yield func(LogRecord, error) bool) {
		s, err := a.observed(ctx, q.ProjectID)
		if err != nil {
			yield(LogRecord{}, err)
			return
		}
		t := tail{sent: map[string]time.Time{}, from: q.From}
		if t.from.IsZero() {
			t.from = a.now()
		}
		tick := time.NewTicker(TailPollInterval)
		defer tick.Stop()
		for {
			lines, err := t.poll(ctx, s, q, a.now())
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				yield(LogRecord{}, err)
				return
			}
			for _, l := range lines {
				if !yield(l, nil) {
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}
}

// tail remembers what a FollowLogs sent.
type tail struct {
	from   time.Time            // lines before it are never sent
	newest time.Time            // the newest line time sent
	sent   map[string]time.Time // ids sent within the lookback, with their time
}

// poll reads the lines after the lookback window and returns the unsent ones,
// oldest first.
func (t *tail) poll(ctx context.Context, s ObservabilityQuerier, q LogQuery, now time.Time) ([]LogRecord, error) {
	from := t.from
	if lb := t.newest.Add(-TailLookback); lb.After(from) {
		from = lb
	}
	for id, at := range t.sent {
		if at.Before(from) {
			delete(t.sent, id)
		}
	}
	q.From, q.To, q.Cursor, q.Limit = from, now.Add(time.Hour), "", MaxTelemetryLimit
	var fresh []LogRecord
	for {
		page, err := s.SearchLogs(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, l := range page.Logs {
			if _, ok := t.sent[l.ID]; !ok {
				fresh = append(fresh, l)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	slices.SortFunc(fresh, func(x, y LogRecord) int {
		return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.ID, y.ID))
	})
	for _, l := range fresh {
		t.sent[l.ID] = l.Time
		if l.Time.After(t.newest) {
			t.newest = l.Time
		}
	}
	return fresh, nil
}
