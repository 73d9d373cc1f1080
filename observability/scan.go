package observability

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The decoder's fast path. Decoding a line with encoding/json (reflection,
// a validating pass before the decoding one) cost about half of the
// ingestion worker's CPU; lines of the writer's own making are decoded here
// instead, by a hand-written scanner that validates the line as strictly as
// encoding/json and fills the same struct. It gives up (ok false) on
// anything whose meaning it would have to reproduce rather than share: a
// key that matches a field only case-insensitively, a repeated known key, a
// key with escapes or non-ASCII bytes, a string with escapes (decoded by
// encoding/json itself, alone), a number or member of the wrong type, deep
// nesting. The caller then decodes the line with encoding/json, whose
// result is the reference: FuzzParseLineOnePass, FuzzScanLine and
// FuzzScanModelAttrs check that the two agree on every input they give.

// maxScanDepth bounds the nesting the scanner follows (encoding/json's own
// bound is 10000; deeper lines go to it).
const maxScanDepth = 500

// scanner reads one JSON text.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat consumes c if it is next.
func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str consumes a string; ascii reports that its content is printable
// ASCII without escapes, plain that it is valid UTF-8 without escapes
// (encoding/json then takes its bytes as they are).
func (s *scanner) str() (ascii, plain, ok bool) {
	if !s.eat('"') {
		return false, false, false
	}
	start := s.i
	ascii = true
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			plain = ascii || !escaped && utf8.Valid(s.b[start:s.i-1])
			return ascii, plain, true
		case c == '\\':
			ascii, escaped = false, true
			s.i++
			if s.i >= len(s.b) {
				return false, false, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+5 > len(s.b) {
					return false, false, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false, false, false
					}
				}
				s.i += 5
			default:
				return false, false, false
			}
		case c < 0x20:
			return false, false, false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			s.i++
		}
	}
	return false, false, false
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// num consumes a number as JSON writes one.
func (s *scanner) num() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.eat('.') && !s.digits() {
		return false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// seq consumes the members of an object or the elements of an array, its
// opening bracket consumed, up to and with the closing one: item consumes
// one member or element.
func (s *scanner) seq(closing byte, item func() bool) bool {
	s.ws()
	if s.eat(closing) {
		return true
	}
	for {
		if !item() {
			return false
		}
		s.ws()
		if s.eat(closing) {
			return true
		}
		if !s.eat(',') {
			return false
		}
		s.ws()
	}
}

// value consumes one value, validating it.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '{':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		return s.seq('}', func() bool {
			if _, _, ok := s.str(); !ok {
				return false
			}
			s.ws()
			if !s.eat(':') {
				return false
			}
			s.ws()
			return s.value(depth + 1)
		})
	case '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		return s.seq(']', func() bool { return s.value(depth + 1) })
	case '"':
		_, _, ok := s.str()
		return ok
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	default:
		return s.num()
	}
}

func (s *scanner) lit(word string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// member is one member of an object: its key (without quotes) and its
// value's bytes; plain tells a string value encoding/json takes as it is.
type member struct {
	key, val []byte
	plain    bool
}

// object reads the object at s.i (after whitespace), calling fn for each
// member whose key is printable ASCII without escapes; a key that is not
// gives up. fn returns false to give up. The object must be the whole
// text when whole is set.
func (s *scanner) object(depth int, whole bool, fn func(member) bool) bool {
	s.ws()
	if !s.eat('{') || !s.seq('}', func() bool {
		k := s.i
		ascii, _, ok := s.str()
		if !ok || !ascii {
			return false
		}
		key := s.b[k+1 : s.i-1]
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		v := s.i
		var plain bool
		if s.i < len(s.b) && s.b[s.i] == '"' {
			_, plain, ok = s.str()
		} else {
			ok = s.value(depth + 1)
		}
		return ok && fn(member{key: key, val: s.b[v:s.i], plain: plain})
	}) {
		return false
	}
	if whole {
		s.ws()
		return s.i == len(s.b)
	}
	return true
}

// fields matches keys to the fields of a struct: exact matches only, each
// once; a key equal to a field's name but for case (which encoding/json
// would match) gives up.
type fields struct {
	names []string
	seen  uint64
}

// match returns the index of key among the names, -1 for a key no field
// takes, or -2 to give up.
func (f *fields) match(key []byte) int {
	for i, n := range f.names {
		if string(key) == n {
			if f.seen&(1<<i) != 0 {
				return -2
			}
			f.seen |= 1 << i
			return i
		}
	}
	for _, n := range f.names {
		if bytes.EqualFold(key, []byte(n)) {
			return -2
		}
	}
	return -1
}

// scanFields scans the object b (at nesting depth) and calls each with
// the index among names of every member it names; members no field takes
// are skipped, and a key match that cannot be told (see fields.match)
// ends the scan with false.
func scanFields(b []byte, depth int, names []string, each func(i int, m member) bool) bool {
	s := scanner{b: b}
	f := fields{names: names}
	return s.object(depth, true, func(m member) bool {
		switch i := f.match(m.key); i {
		case -2:
			return false
		case -1:
			return true
		default:
			return each(i, m)
		}
	})
}

// stringVal decodes a string member into *dst as encoding/json would:
// null leaves it, another type gives up.
func stringVal(m member, dst *string) bool {
	switch {
	case m.plain:
		*dst = string(m.val[1 : len(m.val)-1])
	case m.val[0] == '"':
		return json.Unmarshal(m.val, dst) == nil
	case string(m.val) != "null":
		return false
	}
	return true
}

// boolVal decodes a boolean member into *dst; null leaves it.
func boolVal(m member, dst *bool) bool {
	switch string(m.val) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	case "null":
	default:
		return false
	}
	return true
}

// floatVal decodes a number member into *dst, or null into nil.
func floatVal(m member, dst **float64) bool {
	if string(m.val) == "null" {
		*dst = nil
		return true
	}
	if c := m.val[0]; c != '-' && (c < '0' || c > '9') {
		return false
	}
	x, err := strconv.ParseFloat(string(m.val), 64)
	if err != nil {
		return false
	}
	*dst = &x
	return true
}

// rawVal copies a member's bytes, as json.RawMessage takes them.
func rawVal(m member) json.RawMessage { return append(json.RawMessage(nil), m.val...) }

// lineFields are the JSON names of anyLine's fields, in the order of
// scanLine's switch.
var lineFields = []string{"schemaVersion", "kind", "projectId", "deploymentId", "buildId", "traceId", "spanId", "parentSpanId",
	"name", "type", "entityType", "entityId", "entityName", "startTime", "endTime", "isRootSpan", "isEvent", "attributes",
	"metadata", "input", "output", "tags", "error", "coreVersion", "time", "level", "message", "data", "logger"}

// scanLine decodes text into a as json.Unmarshal would, or reports false
// when it cannot tell that it does (a is then to be discarded). With alias
// set, the JSON values a holds (attributes, metadata, input, output, data)
// are slices of text instead of copies.
func scanLine(text []byte, a *anyLine, alias bool) bool {
	raw := rawVal
	if alias {
		raw = func(m member) json.RawMessage { return json.RawMessage(m.val[:len(m.val):len(m.val)]) }
	}
	return scanFields(text, 0, lineFields, func(i int, m member) bool {
		switch i {
		case 0:
			if string(m.val) == "null" {
				a.SchemaVersion = nil
				return true
			}
			if c := m.val[0]; c != '-' && (c < '0' || c > '9') {
				return false
			}
			n, err := strconv.ParseInt(string(m.val), 10, 0)
			if err != nil {
				return false
			}
			v := int(n)
			a.SchemaVersion = &v
			return true
		case 13:
			return a.StartTime.UnmarshalJSON(m.val) == nil
		case 14:
			return a.EndTime.UnmarshalJSON(m.val) == nil
		case 24:
			return a.Time.UnmarshalJSON(m.val) == nil
		case 15:
			return boolVal(m, &a.IsRootSpan)
		case 16:
			return boolVal(m, &a.IsEvent)
		case 17:
			a.Attributes = raw(m)
		case 18:
			a.Metadata = raw(m)
		case 19:
			a.Input = raw(m)
		case 20:
			a.Output = raw(m)
		case 27:
			a.Data = raw(m)
		case 21:
			return scanTags(m, &a.Tags)
		case 22:
			return scanError(m, &a.Error)
		default:
			return stringVal(m, lineString(a, i))
		}
		return true
	})
}

// lineString returns the string field of a that lineFields[i] names.
func lineString(a *anyLine, i int) *string {
	switch i {
	case 1:
		return &a.Kind
	case 2:
		return &a.ProjectID
	case 3:
		return &a.DeploymentID
	case 4:
		return &a.BuildID
	case 5:
		return &a.TraceID
	case 6:
		return &a.SpanID
	case 7:
		return &a.ParentSpanID
	case 8:
		return &a.Name
	case 9:
		return &a.Type
	case 10:
		return &a.EntityType
	case 11:
		return &a.EntityID
	case 12:
		return &a.EntityName
	case 23:
		return &a.CoreVersion
	case 25:
		return &a.Level
	case 26:
		return &a.Message
	default: // 28
		return &a.Logger
	}
}

// scanTags decodes an array of strings, or null into nil.
func scanTags(m member, dst *[]string) bool {
	if string(m.val) == "null" {
		*dst = nil
		return true
	}
	s := scanner{b: m.val}
	if !s.eat('[') {
		return false
	}
	tags := []string{}
	if !s.seq(']', func() bool {
		v := s.i
		var tag string
		if s.i < len(s.b) && s.b[s.i] == '"' {
			if _, plain, _ := s.str(); !stringVal(member{val: s.b[v:s.i], plain: plain}, &tag) {
				return false
			}
		} else if !s.lit("null") {
			return false
		}
		tags = append(tags, tag)
		return true
	}) {
		return false
	}
	*dst = tags
	return true
}

var errorFields = []string{"message", "id", "domain", "category", "details"}

// scanError decodes a SpanError object, or null into nil.
func scanError(m member, dst **SpanError) bool {
	if string(m.val) == "null" {
		*dst = nil
		return true
	}
	e := new(SpanError)
	if !scanFields(m.val, 1, errorFields, func(i int, m member) bool {
		switch i {
		case 4:
			e.Details = rawVal(m)
			return true
		default:
			return stringVal(m, []*string{&e.Message, &e.ID, &e.Domain, &e.Category}[i])
		}
	}) {
		return false
	}
	*dst = e
	return true
}

var (
	modelFields   = []string{"model", "responseModel", "provider", "usage"}
	usageFields   = []string{"inputTokens", "outputTokens", "promptTokens", "completionTokens", "inputDetails", "outputDetails"}
	detailsFields = []string{"cacheRead", "cacheWrite", "reasoning"}
)

// scanModelAttrs decodes Mastra's attributes object into a as
// json.Unmarshal would without error, or reports false when it cannot
// tell that it does.
func scanModelAttrs(attrs []byte, a *modelAttrs) bool {
	if string(attrs) == "null" {
		return true
	}
	return scanFields(attrs, 0, modelFields, func(i int, m member) bool {
		switch i {
		case 3:
			return scanUsage(m, a)
		default:
			return stringVal(m, []*string{&a.Model, &a.ResponseModel, &a.Provider}[i])
		}
	})
}

func scanUsage(m member, a *modelAttrs) bool {
	if string(m.val) == "null" {
		a.Usage = nil
		return true
	}
	u := new(usage)
	if !scanFields(m.val, 1, usageFields, func(i int, m member) bool {
		switch i {
		case 4, 5:
			return scanDetails(m, i, u)
		default:
			return floatVal(m, []**float64{&u.InputTokens, &u.OutputTokens, &u.PromptTokens, &u.CompletionTokens}[i])
		}
	}) {
		return false
	}
	a.Usage = u
	return true
}

// scanDetails decodes usage.inputDetails (which 4) or .outputDetails (5);
// null leaves them.
func scanDetails(m member, which int, u *usage) bool {
	if string(m.val) == "null" {
		return true
	}
	return scanFields(m.val, 2, detailsFields, func(i int, m member) bool {
		var dst *float64
		switch {
		case which == 4 && i == 0:
			dst = &u.InputDetails.CacheRead
		case which == 4 && i == 1:
			dst = &u.InputDetails.CacheWrite
		case which == 5 && i == 2:
			dst = &u.OutputDetails.Reasoning
		default:
			return true // a member of the other details object: not a field here
		}
		if string(m.val) == "null" {
			return true
		}
		var x *float64
		if !floatVal(m, &x) {
			return false
		}
		*dst = *x
		return true
	})
}
