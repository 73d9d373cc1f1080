package observability

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability/internal/jsonvalid"
)

// SchemaVersion is the version of the JSONL record format described in the
// package documentation. Every record carries it; readers reject records of
// any other version.
const SchemaVersion = 1

// Kinds of record: the "kind" field of every line.
const (
	KindSpan = "span"
	KindLog  = "log"
)

// Log levels a LogRecord may carry.
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
)

// Span is one finished span written by a deployed server's FileExporter:
// one line of {buildDir}/observability/spans/*.jsonl.
type Span struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"` // KindSpan
	ProjectID     string `json:"projectId"`
	DeploymentID  string `json:"deploymentId"`
	BuildID       string `json:"buildId"`
	// TraceID and SpanID are the W3C hex ids Mastra assigns (32 and 16
	// lowercase hex digits on current versions; treated as opaque).
	TraceID string `json:"traceId"`
	SpanID  string `json:"spanId"`
	// ParentSpanID is empty for a trace's root span.
	ParentSpanID string `json:"parentSpanId,omitempty"`
	Name         string `json:"name"`
	// Type is Mastra's span type: agent_run, workflow_run, workflow_step,
	// tool_call, model_generation, … (open-ended).
	Type string `json:"type"`
	// EntityType, EntityID and EntityName name the agent, workflow or tool
	// the span belongs to, when Mastra says (1.x).
	EntityType string    `json:"entityType,omitempty"`
	EntityID   string    `json:"entityId,omitempty"`
	EntityName string    `json:"entityName,omitempty"`
	StartTime  time.Time `json:"startTime"`
	EndTime    time.Time `json:"endTime"`
	IsRootSpan bool      `json:"isRootSpan,omitempty"`
	// IsEvent marks a point-in-time span (StartTime == EndTime in practice).
	IsEvent bool `json:"isEvent,omitempty"`
	// Attributes, Metadata, Input and Output are JSON values as Mastra
	// recorded them, each cut to a preview object
	// {"truncated":true,"bytes":N,"preview":"…"} past the writer's limit.
	Attributes json.RawMessage `json:"attributes,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
	Tags       []string        `json:"tags,omitempty"`
	// Error is set when the span ended in an error.
	Error *SpanError `json:"error,omitempty"`
	// CoreVersion is the @mastra/core version the server was built with.
	CoreVersion string `json:"coreVersion,omitempty"`
}

// SpanError describes the error a span ended with.
type SpanError struct {
	Message  string          `json:"message"`
	ID       string          `json:"id,omitempty"`
	Domain   string          `json:"domain,omitempty"`
	Category string          `json:"category,omitempty"`
	Details  json.RawMessage `json:"details,omitempty"`
}

// LogRecord is one log line written by a deployed server's FileLogger: one
// line of {buildDir}/observability/logs/*.jsonl.
type LogRecord struct {
	SchemaVersion int       `json:"schemaVersion"`
	Kind          string    `json:"kind"` // KindLog
	ProjectID     string    `json:"projectId"`
	DeploymentID  string    `json:"deploymentId"`
	BuildID       string    `json:"buildId"`
	Time          time.Time `json:"time"`
	Level         string    `json:"level"` // LevelDebug … LevelError
	Message       string    `json:"message"`
	// Data holds the structured arguments of the log call: the object when
	// one object was passed, else {"args":[…]}; errors as
	// {"name","message","stack"}.
	Data json.RawMessage `json:"data,omitempty"`
	// TraceID and SpanID are the span active when the line was logged, when
	// the Mastra version can tell (1.x); SpanID may be empty when only the
	// trace is known.
	TraceID string `json:"traceId,omitempty"`
	SpanID  string `json:"spanId,omitempty"`
	// Logger is the name of the user's logger the line was also sent to.
	Logger      string `json:"logger,omitempty"`
	CoreVersion string `json:"coreVersion,omitempty"`
}

// Validate checks the fields ingestion relies on.
func (s *Span) Validate() error {
	switch {
	case s.SchemaVersion != SchemaVersion:
		return fmt.Errorf("unsupported schemaVersion %d (want %d)", s.SchemaVersion, SchemaVersion)
	case s.Kind != KindSpan:
		return fmt.Errorf("kind %q is not %q", s.Kind, KindSpan)
	}
	if err := checkIDs(s.ProjectID, s.DeploymentID, s.BuildID); err != nil {
		return err
	}
	switch {
	case s.TraceID == "":
		return fmt.Errorf("traceId is empty")
	case s.SpanID == "":
		return fmt.Errorf("spanId is empty")
	case s.ParentSpanID == s.SpanID:
		return fmt.Errorf("span %s is its own parent", s.SpanID)
	case s.Name == "":
		return fmt.Errorf("name is empty")
	case s.StartTime.IsZero():
		return fmt.Errorf("startTime is missing")
	case s.EndTime.IsZero():
		return fmt.Errorf("endTime is missing")
	case s.EndTime.Before(s.StartTime):
		return fmt.Errorf("endTime %s is before startTime %s", s.EndTime.Format(time.RFC3339Nano), s.StartTime.Format(time.RFC3339Nano))
	}
	return nil
}

// Validate checks the fields ingestion relies on.
func (l *LogRecord) Validate() error {
	switch {
	case l.SchemaVersion != SchemaVersion:
		return fmt.Errorf("unsupported schemaVersion %d (want %d)", l.SchemaVersion, SchemaVersion)
	case l.Kind != KindLog:
		return fmt.Errorf("kind %q is not %q", l.Kind, KindLog)
	}
	if err := checkIDs(l.ProjectID, l.DeploymentID, l.BuildID); err != nil {
		return err
	}
	switch l.Level {
	case LevelDebug, LevelInfo, LevelWarn, LevelError:
	default:
		return fmt.Errorf("level %q is not debug, info, warn or error", l.Level)
	}
	if l.Time.IsZero() {
		return fmt.Errorf("time is missing")
	}
	if l.SpanID != "" && l.TraceID == "" {
		return fmt.Errorf("spanId %s without a traceId", l.SpanID)
	}
	return nil
}

func checkIDs(project, deployment, build string) error {
	for _, f := range []struct{ name, v string }{{"projectId", project}, {"deploymentId", deployment}, {"buildId", build}} {
		if f.v == "" {
			return fmt.Errorf("%s is empty", f.name)
		}
	}
	return nil
}

// ToAdmin converts the span to the form the admin's ObservabilityStore
// keeps, pricing its tokens with DefaultPrices; see ToAdminWithPrices.
func (s *Span) ToAdmin() admin.Span { return s.ToAdminWithPrices(defaultPrices) }

// defaultPrices is the table ToAdmin uses; never modified.
var defaultPrices = DefaultPrices()

// ToAdminWithPrices converts the span to the form the admin's
// ObservabilityStore keeps, with its typed fields extracted:
//   - entity type, id and name and IsRoot (the record's isRootSpan, or no
//     parent);
//   - Model from attributes.model (attributes.responseModel when absent),
//     Provider from attributes.provider;
//   - on model_generation spans (llm_generation on Mastra 0.x) only, the
//     tokens of attributes.usage: inputTokens (promptTokens on 0.x),
//     outputTokens (completionTokens), inputDetails.cacheRead and
//     .cacheWrite, outputDetails.reasoning. Mastra repeats a call's usage on
//     its model_step, model_inference and agent_run spans; those keep no
//     tokens, so each call counts once;
//   - CostUSD from prices (nil for an unknown model or no tokens).
//
// Nothing is lost: Attributes holds the JSON object {"attributes":…,
// "metadata":…, "input":…, "output":…, "entityType":…, "entityId":…,
// "entityName":…, "tags":[…], "isEvent":true, "error":{…},
// "coreVersion":…} (empty members left out).
func (s *Span) ToAdminWithPrices(prices Prices) admin.Span {
	var out admin.Span
	s.toAdmin(prices, &out, false)
	return out
}

// toAdmin is ToAdminWithPrices into out; valid tells that s's JSON values
// are known to be valid JSON (scanLine checked them), so that they are not
// checked again.
func (s *Span) toAdmin(prices Prices, out *admin.Span, valid bool) {
	*out = admin.Span{
		TraceID:      s.TraceID,
		SpanID:       s.SpanID,
		ParentSpanID: s.ParentSpanID,
		Name:         s.Name,
		Type:         s.Type,
		ProjectID:    s.ProjectID,
		DeploymentID: s.DeploymentID,
		BuildID:      s.BuildID,
		StartTime:    s.StartTime,
		EndTime:      s.EndTime,
		EntityType:   s.EntityType,
		EntityID:     s.EntityID,
		EntityName:   s.EntityName,
		IsRoot:       s.IsRootSpan || s.ParentSpanID == "",
	}
	if s.Error != nil {
		out.Error = s.Error.Message
		if out.Error == "" {
			out.Error = "error"
		}
	}
	extractModel(out, s.Attributes)
	out.CostUSD = prices.Cost(out)
	extra := spanExtra{nonNull(s.Attributes), nonNull(s.Metadata), nonNull(s.Input), nonNull(s.Output),
		s.EntityType, s.EntityID, s.EntityName, s.Tags, s.IsEvent, s.Error, s.CoreVersion}
	out.Attributes = extra.marshal(valid)
}

// spanExtra is what admin.Span.Attributes holds: the record's JSON values
// and the members admin.Span has no field for.
type spanExtra struct {
	Attributes  json.RawMessage `json:"attributes,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	Input       json.RawMessage `json:"input,omitempty"`
	Output      json.RawMessage `json:"output,omitempty"`
	EntityType  string          `json:"entityType,omitempty"`
	EntityID    string          `json:"entityId,omitempty"`
	EntityName  string          `json:"entityName,omitempty"`
	Tags        []string        `json:"tags,omitempty"`
	IsEvent     bool            `json:"isEvent,omitempty"`
	Error       *SpanError      `json:"error,omitempty"`
	CoreVersion string          `json:"coreVersion,omitempty"`
}

// marshal returns json.Marshal(e), or nil when that fails or gives {}.
// The common case, JSON values already compact with nothing to escape, is
// written directly (appendTo); json.Marshal does the rest. valid tells
// that e's JSON values are known to be valid.
func (e *spanExtra) marshal(valid bool) []byte {
	size := len(e.Attributes) + len(e.Metadata) + len(e.Input) + len(e.Output) + len(e.EntityType) + len(e.EntityID) +
		len(e.EntityName) + len(e.CoreVersion) + 128 // names, quotes, commas
	b, ok := e.appendTo(make([]byte, 0, size), valid)
	if !ok {
		var err error
		if b, err = json.Marshal(e); err != nil {
			return nil
		}
	}
	if string(b) == "{}" {
		return nil
	}
	return b
}

// appendTo appends json.Marshal(e) to buf, or reports false when a value
// is not valid JSON already compact, or a string needs escaping; valid
// tells that the values are known to be valid JSON.
func (e *spanExtra) appendTo(buf []byte, valid bool) ([]byte, bool) {
	buf = append(buf, '{')
	name := func(n string) {
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, n...)
		buf = append(buf, '"', ':')
	}
	for _, r := range []struct {
		n string
		v json.RawMessage
	}{{"attributes", e.Attributes}, {"metadata", e.Metadata}, {"input", e.Input}, {"output", e.Output}} {
		if len(r.v) == 0 {
			continue
		}
		if !valid && !jsonvalid.Valid(r.v) || !compact(r.v) {
			return nil, false
		}
		name(r.n)
		buf = append(buf, r.v...)
	}
	str := func(n, v string) bool {
		if v == "" {
			return true
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
		}
		name(n)
		buf = append(buf, '"')
		buf = append(buf, v...)
		buf = append(buf, '"')
		return true
	}
	if !str("entityType", e.EntityType) || !str("entityId", e.EntityID) || !str("entityName", e.EntityName) {
		return nil, false
	}
	if len(e.Tags) > 0 || e.Error != nil {
		return nil, false // rare: left to json.Marshal
	}
	if e.IsEvent {
		name("isEvent")
		buf = append(buf, "true"...)
	}
	if !str("coreVersion", e.CoreVersion) {
		return nil, false
	}
	return append(buf, '}'), true
}

// compact reports whether json.Marshal writes the valid JSON value v as
// it is: v has no whitespace outside strings, and none of the characters
// encoding/json escapes (<, >, &, U+2028, U+2029).
func compact(v []byte) bool {
	in := false
	for i := 0; i < len(v); i++ {
		if !special[v[i]] {
			continue
		}
		switch c := v[i]; c {
		case '"':
			in = !in
		case '\\':
			i++ // the escaped byte: never a quote that ends the string
		case ' ', '\t', '\n', '\r':
			if !in {
				return false
			}
		case '<', '>', '&':
			return false
		case 0xe2:
			if i+2 < len(v) && v[i+1] == 0x80 && (v[i+2] == 0xa8 || v[i+2] == 0xa9) {
				return false
			}
		}
	}
	return true
}

// special marks the bytes compact looks at.
var special = func() (t [256]bool) {
	for _, c := range []byte("\"\\ \t\n\r<>&\xe2") {
		t[c] = true
	}
	return t
}()

// Span types whose usage is one model call's (1.x and 0.x names).
const (
	TypeModelGeneration = "model_generation"
	TypeLLMGeneration   = "llm_generation"
)

// modelAttrs are the members of Mastra's span attributes read at ingest.
// Numbers are read as float64 so a token count written as 12.0 still
// counts.
type modelAttrs struct {
	Model         string `json:"model"`
	ResponseModel string `json:"responseModel"`
	Provider      string `json:"provider"`
	Usage         *usage `json:"usage"`
}

// usage is attributes.usage.
type usage struct {
	InputTokens      *float64 `json:"inputTokens"`
	OutputTokens     *float64 `json:"outputTokens"`
	PromptTokens     *float64 `json:"promptTokens"`
	CompletionTokens *float64 `json:"completionTokens"`
	InputDetails     struct {
		CacheRead  float64 `json:"cacheRead"`
		CacheWrite float64 `json:"cacheWrite"`
	} `json:"inputDetails"`
	OutputDetails struct {
		Reasoning float64 `json:"reasoning"`
	} `json:"outputDetails"`
}

// extractModel sets out's model, provider and (on a model call's span)
// token fields from Mastra's attributes object; attributes that are not an
// object, or members of the wrong type, leave them empty.
func extractModel(out *admin.Span, attrs json.RawMessage) {
	if len(attrs) == 0 {
		return
	}
	var a modelAttrs
	if !scanModelAttrs(attrs, &a) {
		a = modelAttrs{}
		if json.Unmarshal(attrs, &a) != nil {
			return
		}
	}
	out.Model, out.Provider = a.Model, a.Provider
	if out.Model == "" {
		out.Model = a.ResponseModel
	}
	if a.Usage == nil || (out.Type != TypeModelGeneration && out.Type != TypeLLMGeneration) {
		return
	}
	u := a.Usage
	first := func(xs ...*float64) int64 {
		for _, x := range xs {
			if x != nil {
				return tokens(*x)
			}
		}
		return 0
	}
	out.InputTokens = first(u.InputTokens, u.PromptTokens)
	out.OutputTokens = first(u.OutputTokens, u.CompletionTokens)
	out.CacheReadTokens = tokens(u.InputDetails.CacheRead)
	out.CacheWriteTokens = tokens(u.InputDetails.CacheWrite)
	out.ReasoningTokens = tokens(u.OutputDetails.Reasoning)
}

// tokens turns a JSON count into a token count; negative or absurd values
// (beyond 2^53) count as 0.
func tokens(x float64) int64 {
	if x < 0 || x > 1<<53 {
		return 0
	}
	return int64(x)
}

// LogID is the deterministic id of the log line that starts at byte offset
// in the file named file (its name relative to the build's observability
// directory, which does not change when the file is archived): the same
// line read again gets the same id, another line another id.
func LogID(file string, offset int64) string {
	h := sha256.New()
	h.Write([]byte(file))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(offset, 10)))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ToAdmin converts the log record to the form the admin's
// ObservabilityStore keeps; its ID is left empty for the caller, who knows
// the line's file and offset, to set with LogID. The logger name and core version, which
// admin.LogRecord has no column for, are added to Data as "_logger" and
// "_coreVersion" when Data is an object (or absent).
func (l *LogRecord) ToAdmin() admin.LogRecord {
	out := admin.LogRecord{
		Time:         l.Time,
		Level:        l.Level,
		Message:      l.Message,
		ProjectID:    l.ProjectID,
		DeploymentID: l.DeploymentID,
		BuildID:      l.BuildID,
		TraceID:      l.TraceID,
		SpanID:       l.SpanID,
		Data:         nonNull(l.Data),
	}
	if l.Logger == "" && l.CoreVersion == "" {
		return out
	}
	m := map[string]json.RawMessage{}
	if len(out.Data) > 0 && json.Unmarshal(out.Data, &m) != nil {
		return out // not an object: leave it as it is
	}
	if l.Logger != "" {
		m["_logger"], _ = json.Marshal(l.Logger)
	}
	if l.CoreVersion != "" {
		m["_coreVersion"], _ = json.Marshal(l.CoreVersion)
	}
	if b, err := json.Marshal(m); err == nil {
		out.Data = b
	}
	return out
}

// nonNull returns nil for an absent or JSON null value.
func nonNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || string(r) == "null" {
		return nil
	}
	return r
}
