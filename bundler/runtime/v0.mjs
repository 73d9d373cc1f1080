// Instrumentation for Mastra 0.x with AI tracing (@mastra/core >= 0.18 and
// < 1). Spans come from an AITracingExporter added to every AI tracing
// instance of @mastra/core's global registry (or to a fresh
// DefaultAITracing registered as the default when the project configured
// none); logs from a MastraLogger set with mastra.setLogger that forwards to
// the project's logger. Mastra 0.x keeps no active span in async context,
// so log lines carry no trace ids.
import * as aiTracing from '@mastra/core/ai-tracing';
import * as coreLogger from '@mastra/core/logger';
import { defineFileLogger, FileExporter, forceServer, openSinks, resolveConfig } from './common.mjs';

// GenerationExporter hands Mastra 0.x's tracing events to the FileExporter.
class GenerationExporter extends FileExporter {
  async exportEvent(event) {
    this.record(event);
  }
}

const FileLogger = defineFileLogger(coreLogger.MastraLogger, {
  delegate: ['getTransports', 'getLogs', 'getLogsByRunId'],
});

function registerExporter(exporter, config, logger) {
  const { getAllAITracing, registerAITracing, DefaultAITracing, SensitiveDataFilter } = aiTracing;
  if (typeof getAllAITracing !== 'function' || typeof registerAITracing !== 'function' || !DefaultAITracing) {
    throw new Error(`mastra-admin: @mastra/core ${config.coreVersion} has no AI tracing registry`);
  }
  const all = getAllAITracing();
  if (all.size === 0) {
    const tracing = new DefaultAITracing({
      name: 'mastra-admin',
      serviceName: config.serviceName ?? 'mastra',
      sampling: { type: 'always' },
      exporters: [exporter],
      processors: SensitiveDataFilter ? [new SensitiveDataFilter()] : [],
    });
    tracing.__setLogger?.(logger);
    registerAITracing('mastra-admin', tracing, true);
    return;
  }
  for (const tracing of all.values()) {
    // getConfig() is a shallow copy: its exporters array is the live one.
    const exporters = tracing.config?.exporters ?? tracing.getConfig?.()?.exporters;
    if (!Array.isArray(exporters)) throw new Error('mastra-admin: cannot add an exporter to AI tracing instance ' + tracing.name);
    if (!exporters.includes(exporter)) exporters.push(exporter);
  }
}

// instrument installs the file exporter and logger on mastra and forces the
// admin's port and host. It throws when it cannot instrument.
export function instrument(mastra, rawConfig) {
  const config = resolveConfig(rawConfig);
  forceServer(mastra);
  const sinks = openSinks(config);
  const exporter = new GenerationExporter(sinks.spans, config);
  registerExporter(exporter, config, mastra.getLogger());
  mastra.setLogger({ logger: new FileLogger(mastra.getLogger(), sinks.logs, config) });
  return { exporter, sinks };
}
