package bundler

// generationV1 instruments Mastra 1.x from 1.20.0, the first release with
// Mastra.registerExporter (1.0–1.19 can only take exporters through the
// Mastra constructor, which the wrapper cannot reach). Spans: an
// ObservabilityExporter (exportTracingEvent, span_ended events) registered
// with mastra.registerExporter on a DefaultObservabilityInstance from
// @mastra/observability. Logs: a MastraLogger subclass set with
// mastra.setLogger, taking trace ids from resolveTraceFields (or the span
// in async context on releases before it). Runtime files:
// runtime/v1.mjs and runtime/entry-v1.mjs.
var generationV1 = &generation{
	name:     "v1",
	versions: ">=1.20.0-0, <2.0.0-0",
	summary:  "ObservabilityExporter via Mastra.registerExporter and @mastra/observability, MastraLogger via setLogger",
	deps:     []runtimeDep{{name: "@mastra/observability", versions: ">=1.0.0"}},
}
