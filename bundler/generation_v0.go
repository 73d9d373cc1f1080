package bundler

// generationV0 instruments Mastra 0.x from 0.18.0. AI tracing
// (AITracingExporter with exportEvent, the `observability` config and
// @mastra/core/ai-tracing's global registry) exists from 0.14.0, but the
// server entry `mastra build` generates changed at 0.18.0 (it registers
// the trace-scoring workflow from @mastra/core/scores/scoreTraces, which
// 0.14–0.17 lack); 0.14–0.17 would need an entry of their own and are not
// supported. Spans: an AITracingExporter added to every registered AI
// tracing instance, or a DefaultAITracing registered as the default when
// the project has none. Logs: a MastraLogger subclass (getLogs,
// getLogsByRunId delegated) set with mastra.setLogger; 0.x keeps no active
// span in async context, so log lines carry no trace ids. Runtime files:
// runtime/v0.mjs and runtime/entry-v0.mjs.
var generationV0 = &generation{
	name:     "v0",
	versions: ">=0.18.0-0, <1.0.0-0",
	summary:  "AITracingExporter in @mastra/core/ai-tracing's registry, MastraLogger via setLogger",
}
