package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// The observability routes: a project's traces, spans, logs and metrics,
// and the ingestion's health. Times are RFC 3339 in query parameters and
// responses; durations are milliseconds.

// maxCursor bounds a cursor parameter (stores make them far shorter).
const maxCursor = 1024

// TraceRow is one trace of a trace list.
type TraceRow struct {
	TraceID      string    `json:"traceId"`
	DeploymentID string    `json:"deploymentId"`
	BuildID      string    `json:"buildId"`
	RootName     string    `json:"rootName"`
	RootType     string    `json:"rootType"`
	EntityType   string    `json:"entityType,omitempty"`
	EntityID     string    `json:"entityId,omitempty"`
	EntityName   string    `json:"entityName,omitempty"`
	Start        time.Time `json:"start"`
	DurationMs   float64   `json:"durationMs"`
	SpanCount    int       `json:"spanCount"`
	Error        bool      `json:"error"`
	Usage
}

// Usage is token counts, each model call counted once, and their cost.
type Usage struct {
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens"`
	CacheWriteTokens int64 `json:"cacheWriteTokens"`
	ReasoningTokens  int64 `json:"reasoningTokens"`
	// CostUSD is absent when no call has a known cost (an unknown model is
	// not free).
	CostUSD *float64 `json:"costUsd,omitempty"`
}

// TraceList is a page of traces.
type TraceList struct {
	Traces []TraceRow `json:"traces"`
	Next   string     `json:"next,omitempty"`
}

// Trace is every span of one trace, sorted by start.
type Trace struct {
	TraceID string       `json:"traceId"`
	Spans   []admin.Span `json:"spans"`
}

// LogList is a page of log lines, newest first.
type LogList struct {
	Logs []admin.LogRecord `json:"logs"`
	Next string            `json:"next,omitempty"`
}

// EntityRow is the runs of one entity in one time bucket.
type EntityRow struct {
	Bucket     time.Time `json:"bucket"`
	EntityType string    `json:"entityType"`
	EntityName string    `json:"entityName"`
	Runs       int       `json:"runs"`
	Errors     int       `json:"errors"`
	ErrorRate  float64   `json:"errorRate"`
	P50Ms      float64   `json:"p50Ms"`
	P95Ms      float64   `json:"p95Ms"`
	P99Ms      float64   `json:"p99Ms"`
}

// ModelRow is the calls of one model in one time bucket.
type ModelRow struct {
	Bucket time.Time `json:"bucket"`
	Model  string    `json:"model"`
	Calls  int       `json:"calls"`
	Usage
}

// MetricsBody is a project's metrics over time buckets.
type MetricsBody struct {
	BucketSeconds int64       `json:"bucketSeconds"`
	Entities      []EntityRow `json:"entities"`
	Models        []ModelRow  `json:"models"`
}

// IngestHealthBody is the ingestion's health (see admin.IngestHealth), as
// GET /v1/observability/health answers it.
type IngestHealthBody struct {
	Running      bool       `json:"running"`
	Files        int        `json:"files"`
	PendingBytes int64      `json:"pendingBytes"`
	LagMs        float64    `json:"lagMs"`
	Lines        int64      `json:"lines"`
	Quarantined  int64      `json:"quarantined"`
	LastError    string     `json:"lastError,omitempty"`
	LastErrorAt  *time.Time `json:"lastErrorAt,omitempty"`
	LastSuccess  *time.Time `json:"lastSuccess,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timeRange reads from and to (RFC 3339); absent ones stay zero, which the
// store reads as its defaults.
func timeRange(q url.Values) (from, to time.Time, err error) {
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		if *p.t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return from, to, badRequest(p.name, "%s must be an RFC 3339 time such as 2026-12-04T09:00:00Z", p.name)
		}
	}
	return from, to, nil
}

// limitCursor reads limit (1 to admin.MaxTelemetryLimit) and cursor.
func limitCursor(q url.Values) (limit int, cursor string, err error) {
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > admin.MaxTelemetryLimit {
			return 0, "", badRequest("limit", "limit must be an integer from 1 to %d", admin.MaxTelemetryLimit)
		}
	}
	cursor = q.Get("cursor")
	if len(cursor) > maxCursor {
		return 0, "", badRequest("cursor", "cursor is not one this API returned")
	}
	return limit, cursor, nil
}

// optionalID reads an optional id parameter.
func optionalID(q url.Values, name string) (string, error) {
	if s := q.Get(name); s != "" {
		return s, checkID(name, s)
	}
	return "", nil
}

func (h *Handler) listTraces(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := params(r, "from", "to", "deployment", "build", "entityType", "entityName", "status", "minDurationMs",
		"model", "sort", "limit", "cursor")
	if err != nil {
		return err
	}
	tq := admin.TraceQuery{ProjectID: id, EntityType: q.Get("entityType"), EntityName: q.Get("entityName"),
		Status: admin.TraceStatus(q.Get("status")), Model: q.Get("model"), Sort: admin.TraceSort(q.Get("sort"))}
	if tq.From, tq.To, err = timeRange(q); err != nil {
		return err
	}
	if tq.Limit, tq.Cursor, err = limitCursor(q); err != nil {
		return err
	}
	if tq.DeploymentID, err = optionalID(q, "deployment"); err != nil {
		return err
	}
	if tq.BuildID, err = optionalID(q, "build"); err != nil {
		return err
	}
	if s := q.Get("minDurationMs"); s != "" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 || n > float64(24*time.Hour/time.Millisecond) {
			return badRequest("minDurationMs", "minDurationMs must be a number of milliseconds from 0 to one day")
		}
		tq.MinDuration = time.Duration(n * float64(time.Millisecond))
	}
	page, err := h.a.ListTraces(r.Context(), tq)
	if err != nil {
		return err
	}
	out := TraceList{Traces: make([]TraceRow, len(page.Traces)), Next: page.NextCursor}
	for i, t := range page.Traces {
		out.Traces[i] = TraceRow{TraceID: t.TraceID, DeploymentID: t.DeploymentID, BuildID: t.BuildID,
			RootName: t.RootName, RootType: t.RootType, EntityType: t.EntityType, EntityID: t.EntityID, EntityName: t.EntityName,
			Start: t.Start, DurationMs: ms(t.Duration), SpanCount: t.SpanCount, Error: t.Error,
			Usage: Usage{t.InputTokens, t.OutputTokens, t.CacheReadTokens, t.CacheWriteTokens, t.ReasoningTokens, t.CostUSD}}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getTrace(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	traceID := r.PathValue("traceId")
	if traceID == "" || len(traceID) > admin.MaxIDLength*2 {
		return badRequest("traceId", "traceId must be 1 to %d characters", admin.MaxIDLength*2)
	}
	q, err := params(r, "from", "to")
	if err != nil {
		return err
	}
	tg := admin.TraceGet{ProjectID: id, TraceID: traceID}
	if tg.From, tg.To, err = timeRange(q); err != nil {
		return err
	}
	spans, err := h.a.GetTrace(r.Context(), tg)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, Trace{TraceID: traceID, Spans: spans})
	return nil
}

// logQuery reads a log search's filters.
func logQuery(r *http.Request, id string, extra ...string) (admin.LogQuery, url.Values, error) {
	q, err := params(r, append([]string{"from", "to", "level", "text", "traceId", "deployment", "limit", "cursor"}, extra...)...)
	if err != nil {
		return admin.LogQuery{}, nil, err
	}
	lq := admin.LogQuery{ProjectID: id, Level: q.Get("level"), Text: q.Get("text"), TraceID: q.Get("traceId")}
	if len(lq.Text) > 1024 {
		return lq, q, badRequest("text", "text must be at most 1024 bytes")
	}
	if lq.From, lq.To, err = timeRange(q); err != nil {
		return lq, q, err
	}
	if lq.Limit, lq.Cursor, err = limitCursor(q); err != nil {
		return lq, q, err
	}
	lq.DeploymentID, err = optionalID(q, "deployment")
	return lq, q, err
}

func (h *Handler) searchLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	lq, _, err := logQuery(r, id)
	if err != nil {
		return err
	}
	page, err := h.a.SearchLogs(r.Context(), lq)
	if err != nil {
		return err
	}
	logs := page.Logs
	if logs == nil {
		logs = []admin.LogRecord{}
	}
	WriteJSON(w, http.StatusOK, LogList{Logs: logs, Next: page.NextCursor})
	return nil
}

func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := params(r, "from", "to", "deployment", "bucket")
	if err != nil {
		return err
	}
	mq := admin.MetricsQuery{ProjectID: id}
	if mq.From, mq.To, err = timeRange(q); err != nil {
		return err
	}
	if mq.DeploymentID, err = optionalID(q, "deployment"); err != nil {
		return err
	}
	if s := q.Get("bucket"); s != "" {
		if mq.Bucket, err = time.ParseDuration(s); err != nil || mq.Bucket <= 0 {
			return badRequest("bucket", "bucket must be a positive duration of whole seconds such as 5m or 1h")
		}
	}
	m, err := h.a.Metrics(r.Context(), mq)
	if err != nil {
		return err
	}
	out := MetricsBody{BucketSeconds: int64(cmpOr(mq.Bucket, admin.DefaultMetricsBucket) / time.Second),
		Entities: make([]EntityRow, len(m.Entities)), Models: make([]ModelRow, len(m.Models))}
	for i, e := range m.Entities {
		out.Entities[i] = EntityRow{Bucket: e.Bucket, EntityType: e.EntityType, EntityName: e.EntityName, Runs: e.Runs,
			Errors: e.Errors, ErrorRate: e.ErrorRate(), P50Ms: ms(e.P50), P95Ms: ms(e.P95), P99Ms: ms(e.P99)}
	}
	for i, m := range m.Models {
		out.Models[i] = ModelRow{Bucket: m.Bucket, Model: m.Model, Calls: m.Calls,
			Usage: Usage{m.InputTokens, m.OutputTokens, m.CacheReadTokens, m.CacheWriteTokens, m.ReasoningTokens, m.CostUSD}}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) ingestHealth(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r); err != nil {
		return err
	}
	hl, err := h.a.IngestHealth(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, IngestHealthBody{Running: hl.Running, Files: hl.Files, PendingBytes: hl.PendingBytes,
		LagMs: ms(hl.Lag), Lines: hl.Lines, Quarantined: hl.Quarantined, LastError: hl.LastError,
		LastErrorAt: hl.LastErrorAt, LastSuccess: hl.LastSuccess})
	return nil
}

// TailMessage is one message of the log tail WebSocket: {"type":"log",
// "log":{…}} for each line, or a last {"type":"error","error":{…}}.
type TailMessage struct {
	Type  string           `json:"type"`
	Log   *admin.LogRecord `json:"log,omitempty"`
	Error *ErrorBody       `json:"error,omitempty"`
}

// tailLogs sends a project's log lines as they are ingested over a
// WebSocket, from ?from= (default now) on, with the search's filters.
func (h *Handler) tailLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	lq, _, err := logQuery(r, id, "access_token")
	if err != nil {
		return err
	}
	// Fail before the upgrade on what a search would refuse (the project,
	// the principal's right to read it, the filters).
	probe := lq
	probe.Limit = 1
	if _, err := h.a.SearchLogs(r.Context(), probe); err != nil {
		return err
	}
	if err := h.canUpgrade(w, r, "GET /v1/projects/{id}/logs serves a search over plain HTTP"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	defer context.AfterFunc(h.closing, cancel)()
	c := h.upgrade(w, r)
	if c == nil {
		return nil
	}
	h.streams.Add(1)
	defer h.streams.Done()
	clientGone := c.CloseRead(context.Background())
	context.AfterFunc(clientGone, cancel)
	send := func(m TailMessage) error {
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		wctx, wcancel := context.WithTimeout(ctx, h.writeTimeout)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, data)
	}
	for l, err := range h.a.FollowLogs(ctx, lq) {
		if err != nil {
			_, body, internal := classify(err)
			if internal {
				h.log.WarnContext(ctx, "log tail failed", "project", id, "requestId", info(r).id, "err", err)
			}
			_ = send(TailMessage{Type: MessageError, Error: &body})
			c.Close(websocket.StatusInternalError, "log tail failed")
			return nil
		}
		if err := send(TailMessage{Type: MessageLog, Log: &l}); err != nil {
			break
		}
	}
	if h.closing.Err() != nil {
		c.Close(websocket.StatusGoingAway, closeShutdown)
	} else {
		c.CloseNow()
	}
	return nil
}
