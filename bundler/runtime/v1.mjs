// Instrumentation for Mastra 1.x (@mastra/core >= 1.20, which added
// Mastra.registerExporter). Spans come from an ObservabilityExporter
// registered on the project's observability (or on a fresh
// @mastra/observability instance when the project configured none); logs
// from a MastraLogger set with mastra.setLogger that forwards to the
// project's logger. Namespace imports keep optional exports optional: an
// export missing from an older 1.x is undefined, not a link error.
import * as coreLogger from '@mastra/core/logger';
import * as coreObservability from '@mastra/core/observability';
import * as mastraObservability from '@mastra/observability';
import { defineFileLogger, FileExporter, forceServer, forward, openSinks, resolveConfig } from './common.mjs';

// GenerationExporter hands Mastra 1.x's tracing events to the FileExporter.
class GenerationExporter extends FileExporter {
  async exportTracingEvent(event) {
    this.record(event);
  }
}

// activeTrace gives the active span's ids: from the context Mastra attached
// to the logger, else @mastra/core/logger's resolveTraceFields, else the
// span in async context (versions before resolveTraceFields).
function activeTrace(logger) {
  try {
    const f = logger.observabilityContext?.resolveTraceFields?.() ?? coreLogger.resolveTraceFields?.();
    if (f?.trace_id) return { traceId: f.trace_id, spanId: f.span_id };
    const span = coreObservability.resolveCurrentSpan?.() ?? coreObservability.getCurrentSpan?.();
    if (span?.traceId) return { traceId: span.traceId, spanId: span.id };
  } catch {}
  return undefined;
}

class FileLogger extends defineFileLogger(coreLogger.MastraLogger, {
  traceFields: activeTrace,
  delegate: ['getTransports', 'listLogs', 'listLogsByRunId'],
}) {
  observabilityContext;

  // Mastra wires "adaptable" loggers to observability through this hook;
  // the project's logger gets the same context, as it would have without
  // us.
  __attachObservability(ctx) {
    this.observabilityContext = ctx;
    forward(this.inner, '__attachObservability', [ctx]);
  }

  __observabilityAttachmentKey() {
    return this.inner?.__observabilityAttachmentKey?.() ?? this.inner ?? this;
  }
}

function registerExporter(mastra, exporter, config) {
  if (typeof mastra.registerExporter !== 'function') {
    throw new Error(`mastra-admin: @mastra/core ${config.coreVersion} has no Mastra.registerExporter (needs >= 1.20.0)`);
  }
  const { DefaultObservabilityInstance, Observability, SensitiveDataFilter } = mastraObservability;
  const instance = new DefaultObservabilityInstance({
    name: 'mastra-admin',
    serviceName: config.serviceName ?? 'mastra',
    sampling: { type: 'always' },
    exporters: [exporter],
    spanOutputProcessors: SensitiveDataFilter ? [new SensitiveDataFilter()] : [],
  });
  // Adds the exporter to the default instance, bootstrapping ours when the
  // project configured no observability.
  mastra.registerExporter(exporter, instance, new Observability({}));
  // Spans routed to the project's other instances (configSelector) too.
  const instances = mastra.observability?.listInstances?.();
  for (const inst of instances?.values?.() ?? []) inst.registerExporter?.(exporter);
}

// instrument installs the file exporter and logger on mastra and forces the
// admin's port and host. It throws when it cannot instrument: a server
// must not run unobserved without saying so.
export function instrument(mastra, rawConfig) {
  const config = resolveConfig(rawConfig);
  forceServer(mastra);
  const sinks = openSinks(config);
  const exporter = new GenerationExporter(sinks.spans, config);
  registerExporter(mastra, exporter, config);
  mastra.setLogger({ logger: new FileLogger(mastra.getLogger(), sinks.logs, config) });
  return { exporter, sinks };
}
