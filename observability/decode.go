package observability

import (
	"bytes"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Decoder returns the decoder the admin's ingestion worker reads
// observability files with (admin.WithTelemetryDecoder): each line is
// parsed and validated as by ParseLine, converted with ToAdminWithPrices
// (prices; nil means DefaultPrices) or ToAdmin, and a log line gets
// LogID(file, offset) as its ID. A malformed line returns ParseLine's
// error, which the worker quarantines.
func Decoder(prices Prices) admin.TelemetryDecodeFunc {
	if prices == nil {
		prices = defaultPrices
	}
	return func(line []byte, file string, offset int64) (*admin.Span, *admin.LogRecord, error) {
		// The record's JSON values may be slices of line, which the
		// caller reuses: a span's are copied into its Attributes, a log
		// line's data is copied here.
		text := bytes.TrimRight(line, "\r\n")
		// As parseLineAlias; the common case, a span line scanLine
		// decodes, is converted straight from the scanned fields, its
		// values known valid.
		var a anyLine
		var rec Record
		var err error
		switch {
		case !scanLine(text, &a, true):
			rec, err = parseLineJSON(text)
		case a.SchemaVersion != nil && *a.SchemaVersion == SchemaVersion && a.Kind == KindSpan:
			a.Span.SchemaVersion = SchemaVersion
			if err := a.Span.Validate(); err != nil {
				return nil, nil, fmt.Errorf("bad span: %v", err)
			}
			s := new(admin.Span)
			a.Span.toAdmin(prices, s, true)
			return s, nil, nil
		default:
			rec, err = fromAnyLine(text, &a)
		}
		if err != nil {
			return nil, nil, err
		}
		if rec.Span != nil {
			s := rec.Span.ToAdminWithPrices(prices)
			return &s, nil, nil
		}
		rec.Log.Data = bytes.Clone(rec.Log.Data)
		l := rec.Log.ToAdmin()
		l.ID = LogID(file, offset)
		return nil, &l, nil
	}
}
