// Shared by every Mastra API generation: the JSONL files, the record shapes
// (observability schemaVersion 1, documented in the Go package
// github.com/mastra-admin/mastra-admin-go/observability) and safe
// serialization. Only Node built-ins are imported here.
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

export const SCHEMA_VERSION = 1;

const DEFAULTS = {
  maxFileBytes: 16 * 1024 * 1024,
  maxFileAgeMs: 5 * 60 * 1000,
  flushIntervalMs: 200,
  maxBufferBytes: 256 * 1024,
  maxFieldBytes: 64 * 1024,
  logLevel: 'info',
};

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// ENV_OVERRIDES are the start-time variables that win over the build-time
// config: a build output reused for another build (a runner's output
// cache) or started from another place gets the right ids and folder.
const ENV_OVERRIDES = {
  MASTRA_ADMIN_OBSERVABILITY_DIR: 'observabilityDir',
  MASTRA_ADMIN_PROJECT_ID: 'projectId',
  MASTRA_ADMIN_DEPLOYMENT_ID: 'deploymentId',
  MASTRA_ADMIN_BUILD_ID: 'buildId',
};

// resolveConfig completes the build-time config with defaults and the
// start-time overrides (ENV_OVERRIDES).
export function resolveConfig(config, env = process.env) {
  const out = { ...DEFAULTS, ...config };
  for (const [name, key] of Object.entries(ENV_OVERRIDES)) {
    if (env[name]) out[key] = env[name];
  }
  if (!out.observabilityDir) throw new Error('mastra-admin: observabilityDir is not configured');
  for (const k of ['projectId', 'deploymentId', 'buildId']) {
    if (typeof out[k] !== 'string' || out[k] === '') throw new Error(`mastra-admin: ${k} is not configured`);
  }
  if (!(out.logLevel in LEVELS)) out.logLevel = DEFAULTS.logLevel;
  return out;
}

export function levelEnabled(config, level) {
  return LEVELS[level] >= LEVELS[config.logLevel];
}

// fileStamp names files so that they sort by creation time:
// 20260125T174501123Z.
function fileStamp(d = new Date()) {
  return d.toISOString().replace(/[-:.]/g, '');
}

// JsonlWriter appends JSON lines to {dir}/{stamp}_{uuid}.jsonl. Lines are
// buffered briefly and written with synchronous write() calls of whole lines
// only, so a reader never sees a line without its "\n" as finished, and
// nothing buffered is lost when the process exits (flushed in 'exit').
// Files rotate by size and age; each process writes its own files.
export class JsonlWriter {
  #dir;
  #opts;
  #fd = -1;
  #size = 0;
  #openedAt = 0;
  #lastStampMs = 0;
  #pending = [];
  #pendingBytes = 0;
  #timer = null;
  #failed = false;
  dropped = 0;

  constructor(dir, opts) {
    this.#dir = dir;
    this.#opts = opts;
  }

  // write queues one record as one line.
  write(record) {
    let line;
    try {
      line = JSON.stringify(record) + '\n';
    } catch (err) {
      this.#report('could not serialize a record', err);
      this.dropped++;
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += Buffer.byteLength(line);
    if (this.#pendingBytes >= this.#opts.maxBufferBytes) {
      this.flush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.#opts.flushIntervalMs);
      this.#timer.unref?.();
    }
  }

  // flush writes every queued line now.
  flush() {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const lines = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    let chunk = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.#needsRotation(chunkBytes, bytes)) {
        this.#writeChunk(chunk.join(''));
        chunk = [];
        chunkBytes = 0;
        this.#closeFile();
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    if (chunk.length) this.#writeChunk(chunk.join(''));
  }

  // close flushes and closes the current file.
  close() {
    this.flush();
    this.#closeFile();
  }

  // needsRotation tells whether the next line (bytes long) must start a new
  // file, given chunk bytes already queued for the current one.
  #needsRotation(chunk, bytes) {
    const used = (this.#fd >= 0 ? this.#size : 0) + chunk;
    if (used === 0) return false;
    if (used + bytes > this.#opts.maxFileBytes) return true;
    return this.#fd >= 0 && Date.now() - this.#openedAt >= this.#opts.maxFileAgeMs;
  }

  #openFile() {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    // Stamps strictly increase per writer, so that its files sort in the
    // order they were written even when several start in one millisecond.
    this.#lastStampMs = Math.max(Date.now(), this.#lastStampMs + 1);
    const path = join(this.#dir, `${fileStamp(new Date(this.#lastStampMs))}_${randomUUID()}.jsonl`);
    this.#fd = openSync(path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
    this.#openedAt = Date.now();
  }

  #closeFile() {
    if (this.#fd < 0) return;
    try {
      closeSync(this.#fd);
    } catch {}
    this.#fd = -1;
    this.#size = 0;
  }

  #writeChunk(text) {
    if (!text) return;
    const buf = Buffer.from(text);
    let off = 0;
    try {
      if (this.#fd < 0) this.#openFile();
      while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
      this.#size += buf.length;
      this.#failed = false;
    } catch (err) {
      // A full disk or a removed folder must not take the server down:
      // drop the lines, say so once, try a fresh file next time. A line cut
      // short is ended, so readers report it bad instead of waiting for it.
      if (off > 0 && buf[off - 1] !== 0x0a) {
        try {
          writeSync(this.#fd, '\n');
        } catch {}
      }
      this.dropped += text.split('\n').length - 1;
      this.#report(`could not write ${this.#dir}`, err);
      this.#closeFile();
    }
  }

  #report(what, err) {
    if (this.#failed) return;
    this.#failed = true;
    try {
      process.stderr.write(`[mastra-admin] ${what}: ${err?.message ?? err}\n`);
    } catch {}
  }
}

// openSinks opens the span and log writers of config.observabilityDir and
// makes sure they are flushed before the process exits: on 'exit' (which
// process.exit and Mastra's own shutdown reach), and on SIGTERM / SIGINT.
// When nothing else handles the signal, the process then exits as the
// signal would have ended it (128 + signal number).
export function openSinks(config) {
  const opts = {
    maxFileBytes: config.maxFileBytes,
    maxFileAgeMs: config.maxFileAgeMs,
    flushIntervalMs: config.flushIntervalMs,
    maxBufferBytes: config.maxBufferBytes,
  };
  const sinks = {
    spans: new JsonlWriter(join(config.observabilityDir, 'spans'), opts),
    logs: new JsonlWriter(join(config.observabilityDir, 'logs'), opts),
  };
  const flushAll = () => {
    sinks.spans.flush();
    sinks.logs.flush();
  };
  process.on('exit', () => {
    sinks.spans.close();
    sinks.logs.close();
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    const onSignal = () => {
      flushAll();
      if (process.listenerCount(signal) === 1) {
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
    };
    process.on(signal, onSignal);
  }
  sinks.flush = flushAll;
  return sinks;
}

// ids is the part every record carries.
export function ids(config) {
  return {
    schemaVersion: SCHEMA_VERSION,
    projectId: config.projectId,
    deploymentId: config.deploymentId,
    buildId: config.buildId,
  };
}

function iso(t) {
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
  if (typeof t === 'number') return new Date(t).toISOString();
  if (typeof t === 'string' && t) {
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

// safe returns a JSON-ready copy of value: cycles become "[Circular]",
// bigints strings, errors {name, message, stack}, functions and symbols are
// dropped; a value whose JSON is larger than maxBytes becomes
// {truncated: true, bytes, preview}.
export function safe(value, maxBytes) {
  if (value === undefined || value === null) return undefined;
  const stack = [];
  let text;
  try {
    text = JSON.stringify(value, function (key, v) {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function' || typeof v === 'symbol') return undefined;
      if (v instanceof Error) v = { name: v.name, message: v.message, stack: v.stack };
      else if (v instanceof Map) v = Object.fromEntries(v);
      else if (v instanceof Set) v = [...v];
      if (v !== null && typeof v === 'object') {
        // `this` is the holder: unwind the path to it, then check for a cycle.
        while (stack.length && stack[stack.length - 1] !== this) stack.pop();
        if (stack.includes(v)) return '[Circular]';
        stack.push(v);
      }
      return v;
    });
  } catch (err) {
    return { unserializable: String(err?.message ?? err) };
  }
  if (text === undefined) return undefined;
  if (text.length > maxBytes) return { truncated: true, bytes: Buffer.byteLength(text), preview: text.slice(0, maxBytes) };
  return JSON.parse(text);
}

function str(v) {
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

// spanRecord turns an exported Mastra span (1.x ExportedSpan or 0.x
// ExportedAISpan: the same fields) into a span line.
export function spanRecord(config, span) {
  const start = iso(span.startTime) ?? new Date().toISOString();
  let end = iso(span.endTime) ?? new Date().toISOString();
  if (end < start) end = start;
  const e = span.errorInfo;
  return {
    ...ids(config),
    kind: 'span',
    traceId: String(span.traceId),
    spanId: String(span.id),
    parentSpanId: str(span.parentSpanId),
    name: String(span.name ?? ''),
    type: String(span.type ?? ''),
    entityType: str(span.entityType),
    entityId: str(span.entityId),
    entityName: str(span.entityName),
    startTime: start,
    endTime: end,
    isRootSpan: span.isRootSpan ? true : undefined,
    isEvent: span.isEvent ? true : undefined,
    attributes: safe(span.attributes, config.maxFieldBytes),
    metadata: safe(span.metadata, config.maxFieldBytes),
    input: safe(span.input, config.maxFieldBytes),
    output: safe(span.output, config.maxFieldBytes),
    tags: Array.isArray(span.tags) && span.tags.length ? span.tags.map(String) : undefined,
    error: e
      ? {
          message: String(e.message ?? e),
          id: str(e.id),
          domain: str(e.domain),
          category: str(e.category),
          details: safe(e.details, config.maxFieldBytes),
        }
      : undefined,
    coreVersion: config.coreVersion,
  };
}

// FileExporter writes one span line per finished span. Each generation
// subclasses it with the method its Mastra calls for a tracing event
// (exportTracingEvent on 1.x, exportEvent on 0.x), which passes the event
// to record.
export class FileExporter {
  name = 'mastra-admin-file-exporter';
  #writer;
  #config;

  constructor(writer, config) {
    this.#writer = writer;
    this.#config = config;
  }

  record(event) {
    if (event?.type !== 'span_ended' || !event.exportedSpan) return;
    this.#writer.write(spanRecord(this.#config, event.exportedSpan));
  }

  init() {}

  async flush() {
    this.#writer.flush();
  }

  async shutdown() {
    this.#writer.flush();
  }
}

// logData turns the arguments after a log message into the record's data.
function logData(args, maxBytes) {
  if (!args || args.length === 0) return undefined;
  if (args.length === 1) {
    const a = args[0];
    if (a instanceof Error) return safe({ error: a }, maxBytes);
    if (a !== null && typeof a === 'object' && !Array.isArray(a)) return safe(a, maxBytes);
  }
  return safe({ args }, maxBytes);
}

// logRecord builds a log line; trace is {traceId, spanId} or undefined.
export function logRecord(config, level, message, args, trace, loggerName) {
  let msg = message;
  if (msg instanceof Error) msg = msg.message;
  else if (typeof msg !== 'string') msg = JSON.stringify(safe(msg, config.maxFieldBytes)) ?? String(msg);
  return {
    ...ids(config),
    kind: 'log',
    time: new Date().toISOString(),
    level,
    message: msg,
    data: logData(args, config.maxFieldBytes),
    traceId: str(trace?.traceId),
    spanId: trace?.traceId ? str(trace?.spanId) : undefined,
    logger: str(loggerName),
    coreVersion: config.coreVersion,
  };
}

// forceServer makes the server listen where the admin says (PORT and
// MASTRA_HOST), whatever the project's own server config says, keeping the
// rest of that config. setServer exists from Mastra 1.x; on 0.x the
// instance's getServer is shadowed instead (createNodeServer reads it).
export function forceServer(mastra, env = process.env) {
  const forced = {};
  const port = Number(env.PORT);
  if (env.PORT && Number.isInteger(port) && port > 0 && port < 65536) forced.port = port;
  if (env.MASTRA_HOST) forced.host = env.MASTRA_HOST;
  if (Object.keys(forced).length === 0) return;
  const current = mastra.getServer?.() ?? {};
  if (typeof mastra.setServer === 'function') {
    mastra.setServer({ ...current, ...forced });
    return;
  }
  const original = mastra.getServer?.bind(mastra);
  mastra.getServer = () => ({ ...(original?.() ?? {}), ...forced });
}

// forward calls method on the user's logger, never letting its failure
// break the caller.
export function forward(inner, method, args) {
  try {
    const fn = inner?.[method];
    if (typeof fn === 'function') return fn.apply(inner, args);
  } catch {}
  return undefined;
}

// defineFileLogger returns a logger class extending the Mastra version's own
// MastraLogger (Base). Each call writes a log line (at or above
// config.logLevel) with the active span's ids from traceFields(logger), then
// forwards the call to the logger the project had (inner), so its own
// output and transports keep working. Methods named in delegate (log
// queries, transports) are answered by inner when it has them.
export function defineFileLogger(Base, { traceFields = () => undefined, delegate = [] } = {}) {
  class FileLogger extends Base {
    #inner;
    #writer;
    #config;

    constructor(inner, writer, config) {
      super({ name: 'mastra-admin', level: config.logLevel });
      this.#inner = inner;
      this.#writer = writer;
      this.#config = config;
    }

    // inner is the project's own logger.
    get inner() {
      return this.#inner;
    }

    debug(message, ...args) {
      this.#log('debug', message, args);
    }

    info(message, ...args) {
      this.#log('info', message, args);
    }

    warn(message, ...args) {
      this.#log('warn', message, args);
    }

    error(message, ...args) {
      this.#log('error', message, args);
    }

    trackException(error, metadata) {
      forward(this.#inner, 'trackException', [error, metadata]);
    }

    #log(level, message, args) {
      if (levelEnabled(this.#config, level)) {
        try {
          this.#writer.write(logRecord(this.#config, level, message, args, traceFields(this), this.#inner?.baseLogger?.name ?? this.#inner?.name));
        } catch {}
      }
      forward(this.#inner, level, [message, ...args]);
    }
  }
  for (const name of delegate) {
    FileLogger.prototype[name] = function (...args) {
      const inner = this.inner;
      if (typeof inner?.[name] === 'function') return inner[name](...args);
      return Base.prototype[name]?.apply(this, args);
    };
  }
  return FileLogger;
}
