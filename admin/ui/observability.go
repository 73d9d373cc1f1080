package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// observabilityRoutes registers the traces, logs and metrics pages of a
// project.
func (h *Handler) observabilityRoutes() {
	h.page("GET /projects/{project}/traces", h.tracesPage)
	h.page("GET /projects/{project}/traces/{trace}", h.tracePage)
	h.page("GET /projects/{project}/traces/{trace}/spans/{span}", h.spanPanel)
	h.page("GET /projects/{project}/logs", h.logsPage)
	h.page("GET /projects/{project}/logs/stream", h.logsStream)
	h.page("GET /projects/{project}/metrics", h.metricsPage)
}

// ---- traces ----

type tracesData struct {
	Project *admin.Project
	Traces  []admin.TraceSummary
	Next    string // the URL of the next page; "" on the last
}

// parseRange reads ?from= and ?to= (RFC 3339, as the pages write them).
func parseTime(q url.Values, field string) (time.Time, error) {
	s := strings.TrimSpace(q.Get(field))
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &admin.ValidationError{Field: field, Reason: "must be a time such as 2026-01-02T15:04:05Z"}
	}
	return t, nil
}

// filterForm is the filter form of a query page (traces, logs): its
// fields in order, drawn by the "filters" template, which shows the
// submitted values again, each field's error next to it, and keeps the
// deployment the page is narrowed to.
type filterForm struct {
	Page    string // the path under the project ("traces"), also the fields' id prefix
	Fields  []filterField
	Button  string // the submit button's label
	Control string // its data-control name
}

// filterField is one field: a select when it has Options, else a text
// input.
type filterField struct {
	Name, Label, Placeholder string
	ErrorField               string // the admin.ValidationError field it answers for
	Options                  []filterOption
}

type filterOption struct{ Value, Label string }

var traceFilters = filterForm{Page: "traces", Button: "Filter", Control: "traces-filter", Fields: []filterField{
	{Name: "status", Label: "Status", ErrorField: "Status",
		Options: []filterOption{{"", "any"}, {"ok", "ok"}, {"error", "error"}}},
	{Name: "entity", Label: "Entity", Placeholder: "agent or workflow name", ErrorField: "EntityName"},
	{Name: "model", Label: "Model", ErrorField: "Model"},
	{Name: "min", Label: "Slower than", Placeholder: "500ms", ErrorField: "MinDuration"},
	{Name: "sort", Label: "Sort", ErrorField: "Sort",
		Options: []filterOption{{"time", "newest"}, {"duration", "longest"}, {"cost", "most expensive"}}},
}}

var logFilters = filterForm{Page: "logs", Button: "Search", Control: "logs-filter", Fields: []filterField{
	{Name: "level", Label: "Level", ErrorField: "Level", Options: []filterOption{{"", "any"},
		{"debug", "debug and above"}, {"info", "info and above"}, {"warn", "warn and above"}, {"error", "error and above"}}},
	{Name: "text", Label: "Text", ErrorField: "Text"},
	{Name: "trace", Label: "Trace", ErrorField: "TraceID"},
}}

// queryView starts a query page of a project: its view with the filter
// form and the submitted query.
func (c *call) queryView(f *filterForm) (*view, *admin.Project, url.Values, error) {
	v, p, err := c.projectView("")
	if err != nil {
		return nil, nil, nil, err
	}
	v.Title, v.Section = p.Name+": "+f.Page, "overview"
	q := c.r.URL.Query()
	v.Form, v.Filters = q, f
	return v, p, q, nil
}

// nextPage is the URL of a query page's next page: the same filters from
// cursor on; "" when there is none.
func (c *call) nextPage(p *admin.Project, f *filterForm, q url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	return c.h.url("/projects/"+url.PathEscape(p.ID)+"/"+f.Page) + "?" + withParam(q, "cursor", cursor)
}

func (h *Handler) tracesPage(c *call) error {
	v, p, q, err := c.queryView(&traceFilters)
	if err != nil {
		return err
	}
	tq := admin.TraceQuery{ProjectID: p.ID, DeploymentID: q.Get("deployment"), EntityName: strings.TrimSpace(q.Get("entity")),
		Status: admin.TraceStatus(q.Get("status")), Model: strings.TrimSpace(q.Get("model")), Sort: admin.TraceSort(q.Get("sort")),
		Cursor: q.Get("cursor"), Limit: pageLimit(q)}
	if s := strings.TrimSpace(q.Get("min")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return c.queryFailed(&admin.ValidationError{Field: "MinDuration", Reason: "must be a duration such as 500ms or 2s"}, "traces", v, tracesData{Project: p})
		}
		tq.MinDuration = d
	}
	page, err := h.a.ListTraces(c.ctx, tq)
	if err != nil {
		return c.queryFailed(err, "traces", v, tracesData{Project: p})
	}
	v.Data = tracesData{Project: p, Traces: page.Traces, Next: c.nextPage(p, &traceFilters, q, page.NextCursor)}
	return c.render("traces", v)
}

// queryFailed shows a query page with the query's error above its
// filters (a bad filter is the user's to fix, not a failure of the page).
func (c *call) queryFailed(err error, page string, v *view, data any) error {
	var ve *admin.ValidationError
	switch {
	case errors.As(err, &ve):
		v.Errors[ve.Field] = ve.Reason
		v.Error = err.Error()
		v.status = http.StatusUnprocessableEntity
	case errors.Is(err, admin.ErrNotSupported):
		v.Error = "this admin keeps no spans or logs it can query: configure an observability store (admin.WithObservabilityStore)"
		v.status = http.StatusNotImplemented
	default:
		return err
	}
	v.Data = data
	return c.render(page, v)
}

// spanRow is one span of the waterfall.
type spanRow struct {
	Span  admin.Span
	Depth int
	// X and W place the span's bar on a 0..1000 scale of the trace.
	X, W     float64
	Duration time.Duration
}

type traceData struct {
	Project  *admin.Project
	TraceID  string
	Rows     []spanRow
	Start    time.Time
	Duration time.Duration
	From     string // the from= to keep on span links
	Error    bool
}

// readTrace reads the trace of the path.
func (h *Handler) readTrace(c *call, p *admin.Project) (traceData, error) {
	from, err := parseTime(c.r.URL.Query(), "from")
	if err != nil {
		return traceData{}, err
	}
	spans, err := h.a.GetTrace(c.ctx, admin.TraceGet{ProjectID: p.ID, TraceID: c.r.PathValue("trace"), From: from})
	if err != nil {
		return traceData{}, err
	}
	return waterfall(p, c.r.PathValue("trace"), spans, c.r.URL.Query().Get("from")), nil
}

// waterfall lays out a trace's spans: each under its parent (in start
// order), its bar placed on the trace's time line.
func waterfall(p *admin.Project, traceID string, spans []admin.Span, from string) traceData {
	d := traceData{Project: p, TraceID: traceID, From: from}
	if len(spans) == 0 {
		return d
	}
	start, end := spans[0].StartTime, spans[0].EndTime
	children := map[string][]admin.Span{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
		if s.StartTime.Before(start) {
			start = s.StartTime
		}
		if s.EndTime.After(end) {
			end = s.EndTime
		}
		if s.Error != "" {
			d.Error = true
		}
	}
	var roots []admin.Span
	for _, s := range spans {
		if s.ParentSpanID == "" || !ids[s.ParentSpanID] {
			roots = append(roots, s) // a span whose parent is missing is shown at the top level
		} else {
			children[s.ParentSpanID] = append(children[s.ParentSpanID], s)
		}
	}
	total := end.Sub(start)
	d.Start, d.Duration = start, total
	scale := func(t time.Duration) float64 {
		if total <= 0 {
			return 0
		}
		return math.Round(float64(t)/float64(total)*10000) / 10
	}
	seen := map[string]bool{}
	var walk func(s admin.Span, depth int)
	walk = func(s admin.Span, depth int) {
		if seen[s.SpanID] {
			return // a cycle in bad data: each span once
		}
		seen[s.SpanID] = true
		dur := s.EndTime.Sub(s.StartTime)
		row := spanRow{Span: s, Depth: min(depth, 12), X: scale(s.StartTime.Sub(start)), W: max(scale(dur), 2), Duration: dur}
		if row.X+row.W > 1000 {
			row.W = 1000 - row.X
		}
		d.Rows = append(d.Rows, row)
		for _, ch := range children[s.SpanID] {
			walk(ch, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return d
}

func (h *Handler) tracePage(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	data, err := h.readTrace(c, p)
	if err != nil {
		return err
	}
	v.Title, v.Data = p.Name+": trace "+data.TraceID, data
	return c.render("trace", v)
}

// spanDetail is the span panel.
type spanDetail struct {
	Span       admin.Span
	Duration   time.Duration
	Input      string
	Output     string
	Attributes string
	Cost       string
}

func (h *Handler) spanPanel(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	data, err := h.readTrace(c, p)
	if err != nil {
		return err
	}
	id := c.r.PathValue("span")
	i := slices.IndexFunc(data.Rows, func(r spanRow) bool { return r.Span.SpanID == id })
	if i < 0 {
		return fmt.Errorf("trace %s has no span %s: %w", data.TraceID, id, admin.ErrNotFound)
	}
	s := data.Rows[i].Span
	det := spanDetail{Span: s, Duration: data.Rows[i].Duration}
	if s.CostUSD != nil {
		det.Cost = fmt.Sprintf("$%.6f", *s.CostUSD)
	}
	var attrs map[string]json.RawMessage
	if len(s.Attributes) > 0 && json.Unmarshal(s.Attributes, &attrs) == nil {
		det.Input, det.Output = pretty(attrs["input"]), pretty(attrs["output"])
		delete(attrs, "input")
		delete(attrs, "output")
		if len(attrs) > 0 {
			b, _ := json.Marshal(attrs) // re-encoding decoded JSON
			det.Attributes = pretty(b)
		}
	} else if len(s.Attributes) > 0 {
		det.Attributes = string(s.Attributes)
	}
	v.Data = det
	return c.fragment("trace", "span", v)
}

// pretty indents JSON; it returns "" for nothing or null.
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// ---- logs ----

type logsData struct {
	Project *admin.Project
	Logs    []admin.LogRecord
	Next    string // the URL of the older lines; "" on the last page
	Stream  string // the live tail's URL, with the filters
}

func (h *Handler) logQuery(c *call, p *admin.Project) admin.LogQuery {
	q := c.r.URL.Query()
	return admin.LogQuery{ProjectID: p.ID, Level: q.Get("level"), Text: q.Get("text"), TraceID: strings.TrimSpace(q.Get("trace")),
		DeploymentID: q.Get("deployment"), Cursor: q.Get("cursor"), Limit: pageLimit(q)}
}

// pageLimit reads ?limit=, the page size of a list (the Admin checks its
// bounds); the default is admin.DefaultTelemetryLimit.
func pageLimit(q url.Values) int {
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		return admin.DefaultTelemetryLimit
	}
	return n
}

func (h *Handler) logsPage(c *call) error {
	v, p, q, err := c.queryView(&logFilters)
	if err != nil {
		return err
	}
	live := url.Values{}
	for _, f := range append(slices.Clone(logFilters.Fields), filterField{Name: "deployment"}) {
		if s := q.Get(f.Name); s != "" {
			live.Set(f.Name, s)
		}
	}
	data := logsData{Project: p, Stream: h.url("/projects/" + url.PathEscape(p.ID) + "/logs/stream?" + live.Encode())}
	page, err := h.a.SearchLogs(c.ctx, h.logQuery(c, p))
	if err != nil {
		return c.queryFailed(err, "logs", v, data)
	}
	data.Logs, data.Next = page.Logs, c.nextPage(p, &logFilters, q, page.NextCursor)
	v.Data = data
	return c.render("logs", v)
}

// logsStream is the live tail: the lines the filters select as they reach
// the store, as server-sent events, until the browser leaves.
func (h *Handler) logsStream(c *call) error {
	_, p, err := c.projectView("")
	if err != nil {
		return err
	}
	ctx, cancel := mergeDone(c.ctx, h.closing)
	defer cancel()
	done, err := h.startStream()
	if err != nil {
		return err
	}
	defer done()
	q := h.logQuery(c, p)
	q.Cursor = ""
	rc := http.NewResponseController(c.w)
	hd := c.w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	for l, err := range h.a.FollowLogs(ctx, q) {
		if err != nil {
			b, _ := json.Marshal(map[string]string{"error": err.Error()})
			fmt.Fprintf(c.w, "event: failure\ndata: %s\n\n", b)
			_ = rc.Flush()
			return nil
		}
		b, _ := json.Marshal(map[string]string{"time": l.Time.UTC().Format(time.RFC3339Nano), "level": l.Level,
			"message": l.Message, "traceId": l.TraceID})
		if _, err := fmt.Fprintf(c.w, "event: log\ndata: %s\n\n", b); err != nil || rc.Flush() != nil {
			return nil
		}
	}
	return nil
}

// ---- metrics ----

// metricsRange is one choice of the metrics page: a window and its bucket.
type metricsRange struct {
	Name   string
	Window time.Duration
	Bucket time.Duration
}

var metricsRanges = []metricsRange{
	{"1h", time.Hour, time.Minute},
	{"24h", 24 * time.Hour, time.Hour},
	{"7d", 7 * 24 * time.Hour, 6 * time.Hour},
}

type metricsData struct {
	Project *admin.Project
	Range   string
	Ranges  []string
	Runs    chart // runs and errors per bucket
	Latency []chart
	Models  []modelRow
	Empty   bool
}

type modelRow struct {
	Model                   string
	Calls                   int
	InputTokens, OutputTkns int64
	Cost                    string
	// W is the bar width of the model's tokens, on 0..600.
	W float64
}

// chart is an SVG chart laid out on the server: a 0..Width x 0..Height
// plot area, bars or polylines, and labelled axes.
type chart struct {
	Title  string
	Width  int
	Height int
	Bars   []bar
	Lines  []line
	YTicks []tick
	XTicks []tick
	Legend []legend
}

// legend names a series with its colour class.
type legend struct {
	Label, Class string
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type line struct {
	Points string
	Class  string
	// Dots mark each point (a single bucket draws no line).
	Dots []point
}

type point struct{ X, Y float64 }

type tick struct {
	Pos   float64
	Label string
}

const chartW, chartH = 900.0, 200.0

func (h *Handler) metricsPage(c *call) error {
	v, p, err := c.projectView("")
	if err != nil {
		return err
	}
	v.Title, v.Section = p.Name+": metrics", "overview"
	rng := metricsRanges[1]
	name := c.r.URL.Query().Get("range")
	for _, r := range metricsRanges {
		if r.Name == name {
			rng = r
		}
	}
	data := metricsData{Project: p, Range: rng.Name}
	for _, r := range metricsRanges {
		data.Ranges = append(data.Ranges, r.Name)
	}
	now := time.Now().UTC()
	to := now.Truncate(rng.Bucket).Add(rng.Bucket)
	from := to.Add(-rng.Window)
	m, err := h.a.Metrics(c.ctx, admin.MetricsQuery{ProjectID: p.ID, From: from, To: to, Bucket: rng.Bucket})
	if err != nil {
		return c.queryFailed(err, "metrics", v, data)
	}
	data.Empty = len(m.Entities) == 0 && len(m.Models) == 0
	data.Runs, data.Latency = runCharts(m, from, to, rng.Bucket)
	data.Models = modelRows(m)
	v.Data = data
	return c.render("metrics", v)
}

// runCharts draws runs and errors per bucket, and the latency percentiles
// of the busiest entities.
func runCharts(m admin.Metrics, from, to time.Time, bucket time.Duration) (chart, []chart) {
	n := int(to.Sub(from) / bucket)
	slot := chartW / float64(n)
	x := func(t time.Time) float64 { return float64(t.Sub(from)/bucket) * slot }
	runs := make([]int, n)
	errs := make([]int, n)
	byEntity := map[string][]admin.EntityMetrics{}
	total := map[string]int{}
	for _, e := range m.Entities {
		i := int(e.Bucket.Sub(from) / bucket)
		if i < 0 || i >= n {
			continue
		}
		runs[i] += e.Runs
		errs[i] += e.Errors
		key := e.EntityType + " " + e.EntityName
		byEntity[key] = append(byEntity[key], e)
		total[key] += e.Runs
	}
	most := slices.Max(append(runs, 1))
	rc := chart{Title: "Runs and errors", Width: int(chartW), Height: int(chartH), Legend: []legend{{"runs", "k0"}, {"errors", "k2"}}}
	for i := range n {
		t := from.Add(time.Duration(i) * bucket)
		if runs[i] > 0 {
			hgt := float64(runs[i]) / float64(most) * chartH
			rc.Bars = append(rc.Bars, bar{X: x(t) + slot*0.1, Y: chartH - hgt, W: slot * 0.4, H: hgt, Class: "bar0",
				Title: fmt.Sprintf("%s: %d runs", t.Format("Jan 2 15:04"), runs[i])})
		}
		if errs[i] > 0 {
			hgt := float64(errs[i]) / float64(most) * chartH
			rc.Bars = append(rc.Bars, bar{X: x(t) + slot*0.5, Y: chartH - hgt, W: slot * 0.4, H: hgt, Class: "bar1",
				Title: fmt.Sprintf("%s: %d errors", t.Format("Jan 2 15:04"), errs[i])})
		}
	}
	rc.YTicks = []tick{{0, "0"}, {chartH / 2, strconv.Itoa(most / 2)}, {chartH, strconv.Itoa(most)}}
	rc.XTicks = timeTicks(from, to, bucket, slot)

	keys := make([]string, 0, len(byEntity))
	for k := range byEntity {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if total[a] != total[b] {
			return total[b] - total[a]
		}
		return strings.Compare(a, b)
	})
	var lat []chart
	for _, k := range keys[:min(len(keys), 4)] {
		es := byEntity[k]
		longest := time.Millisecond
		for _, e := range es {
			longest = max(longest, e.P99, e.P95, e.P50)
		}
		y := func(d time.Duration) float64 { return chartH - float64(d)/float64(longest)*chartH }
		c := chart{Title: "Latency of " + k, Width: int(chartW), Height: int(chartH), Legend: []legend{{"p50", "k0"}, {"p95", "k1"}, {"p99", "k2"}}}
		var pts [3][]string
		var dots [3][]point
		for _, e := range es {
			cx := x(e.Bucket) + slot/2
			for j, d := range []time.Duration{e.P50, e.P95, e.P99} {
				pts[j] = append(pts[j], fmt.Sprintf("%.1f,%.1f", cx, y(d)))
				dots[j] = append(dots[j], point{cx, y(d)})
			}
		}
		for j := range pts {
			c.Lines = append(c.Lines, line{Points: strings.Join(pts[j], " "), Class: fmt.Sprintf("s%d", j), Dots: dots[j]})
		}
		c.YTicks = []tick{{0, "0"}, {chartH / 2, (longest / 2).Round(time.Millisecond).String()}, {chartH, longest.Round(time.Millisecond).String()}}
		c.XTicks = rc.XTicks
		lat = append(lat, c)
	}
	return rc, lat
}

// timeTicks labels about six buckets of the x axis.
func timeTicks(from, to time.Time, bucket time.Duration, slot float64) []tick {
	n := int(to.Sub(from) / bucket)
	step := max(n/6, 1)
	layout := "15:04"
	if to.Sub(from) > 24*time.Hour {
		layout = "Jan 2 15:04"
	}
	var out []tick
	for i := 0; i < n; i += step {
		out = append(out, tick{Pos: float64(i) * slot, Label: from.Add(time.Duration(i) * bucket).Local().Format(layout)})
	}
	return out
}

// modelRows sums the range's model calls per model, most tokens first.
func modelRows(m admin.Metrics) []modelRow {
	byModel := map[string]*modelRow{}
	costs := map[string]*float64{}
	for _, mm := range m.Models {
		r := byModel[mm.Model]
		if r == nil {
			r = &modelRow{Model: mm.Model}
			byModel[mm.Model] = r
		}
		r.Calls += mm.Calls
		r.InputTokens += mm.InputTokens
		r.OutputTkns += mm.OutputTokens
		if mm.CostUSD != nil {
			c := costs[mm.Model]
			if c == nil {
				c = new(float64)
				costs[mm.Model] = c
			}
			*c += *mm.CostUSD
		}
	}
	var rows []modelRow
	var most int64 = 1
	for _, r := range byModel {
		most = max(most, r.InputTokens+r.OutputTkns)
	}
	for name, r := range byModel {
		if c := costs[name]; c != nil {
			r.Cost = fmt.Sprintf("$%.4f", *c)
		}
		r.W = math.Max(float64(r.InputTokens+r.OutputTkns)/float64(most)*600, 1)
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b modelRow) int {
		if d := (b.InputTokens + b.OutputTkns) - (a.InputTokens + a.OutputTkns); d != 0 {
			return int(math.Copysign(1, float64(d)))
		}
		return strings.Compare(a.Model, b.Model)
	})
	return rows
}
