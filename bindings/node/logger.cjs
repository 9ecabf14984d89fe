// The audit logger of @lokryn/compliance-log (docs/logging.md): the
// JavaScript half. The engine (record completion, validation policy,
// redaction, encoding, the sinks, delivery) is the Rust crate lokryn-logger,
// reached through the native `AuditLogger` of bindings/node/src/logger.rs;
// records cross on value tapes (tape.cjs). What only JavaScript can do lives
// here: checking the options, the OpenTelemetry trace context of the active
// span, `run` (which awaits), the flush at process exit and the default
// warning of the "warn" policy.
"use strict";

const runtime = require("./runtime.cjs");
const native = require("./native.cjs");
const tape = require("./tape.cjs");

// ------------------------------------------------------------ trace context

// `@opentelemetry/api` is an optional dependency: without it (or without an
// active span) records carry no trace context unless given one.
let otel = null;
try {
  otel = require("@opentelemetry/api");
} catch {
  otel = null;
}

/** `[traceId, spanId]` of the active, valid span, or `undefined`. */
function activeTrace() {
  if (otel === null) return undefined;
  const span = otel.trace.getActiveSpan();
  if (span === undefined) return undefined;
  const context = span.spanContext();
  if (!otel.trace.isSpanContextValid(context)) return undefined;
  return [context.traceId, context.spanId];
}

// -------------------------------------------------------------------- sinks

function typeError(message, field) {
  return runtime.newError("TYPE", message, ["field", field]);
}

/** `options` as a plain object holding only `allowed` keys with values of the right type. */
function sinkOptions(what, options, allowed) {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw typeError(`${what}: options must be an object`, "options");
  }
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const type = allowed[key];
    if (type === undefined) {
      throw typeError(
        `${what}: unknown option \`${key}\` (known: ${Object.keys(allowed).join(", ")})`,
        `options.${key}`,
      );
    }
    const ok =
      type === "count"
        ? Number.isSafeInteger(value) && value >= 0
        : type === "headers"
          ? typeof value === "object" && value !== null &&
            Object.values(value).every((v) => typeof v === "string")
          : Array.isArray(type)
            ? type.includes(value)
            : typeof value === type;
    if (!ok) {
      const expected =
        type === "count"
          ? "a non-negative integer"
          : type === "headers"
            ? "an object of strings"
            : Array.isArray(type)
              ? type.map((t) => JSON.stringify(t)).join(" or ")
              : `a ${type}`;
      throw typeError(`${what}: option \`${key}\` must be ${expected}`, `options.${key}`);
    }
    out[key] = type === "headers" ? { ...value } : value;
  }
  return out;
}

function pathArg(what, value, name) {
  if (typeof value !== "string" || value === "") {
    throw typeError(`${what}: ${name} must be a non-empty string`, name);
  }
  return value;
}

const FILE_OPTIONS = {
  rotateBytes: "count",
  rotateEveryMs: "count",
  compressRotated: ["gzip", "zstd"],
  durable: "boolean",
};

// A sink is a plain, frozen description of where records go: the native
// logger opens it. Plain data, so that it also crosses into the worker
// thread of the pino transport (structured clone). Each works with or
// without `new`.

/** Records as JSON Lines (canonical proto3 JSON, one record a line). */
function JsonLines(path, options) {
  return Object.freeze({
    kind: "jsonLines",
    path: pathArg("JsonLines", path, "path"),
    ...sinkOptions("JsonLines", options, FILE_OPTIONS),
  });
}

/** Records length-delimited (the format `decodeDelimited` and `complog` read). */
function Binary(path, options) {
  return Object.freeze({
    kind: "binary",
    path: pathArg("Binary", path, "path"),
    ...sinkOptions("Binary", options, FILE_OPTIONS),
  });
}

/** The tamper-evident ledger at `dir` (docs/ledger.md), one commit per record by default. */
function Ledger(dir, options) {
  return Object.freeze({
    kind: "ledger",
    path: pathArg("Ledger", dir, "dir"),
    ...sinkOptions("Ledger", options, { commitEvery: "count", commitEveryMs: "count" }),
  });
}

/** An OpenTelemetry Collector's OTLP/HTTP endpoint (`<endpoint>/v1/logs`). */
function Otlp(endpoint, options) {
  return Object.freeze({
    kind: "otlp",
    path: pathArg("Otlp", endpoint, "endpoint"),
    ...sinkOptions("Otlp", options, {
      batchSize: "count",
      batchTimeoutMs: "count",
      queueCapacity: "count",
      maxRetries: "count",
      maxElapsedMs: "count",
      initialBackoffMs: "count",
      maxBackoffMs: "count",
      spillDir: "string",
      blockTimeoutMs: "count",
      timeoutMs: "count",
      headers: "headers",
      gzip: "boolean",
    }),
  });
}

/** Standard output, JSON Lines. */
function Stdout() {
  return Object.freeze({ kind: "stdout" });
}

const sinks = Object.freeze({ JsonLines, Binary, Ledger, Otlp, Stdout });

const KINDS = new Set(["jsonLines", "binary", "ledger", "otlp", "stdout"]);

/**
 * A sink for the native side: a built-in's description, or `{ kind: "user",
 * index }` with the object pushed on `users`.
 */
function nativeSink(sink, where, users) {
  if (typeof sink !== "object" || sink === null) {
    throw typeError(`${where}: expected a sink (sinks.JsonLines(...), ..., or an object with write(entry))`, where);
  }
  if (typeof sink.write === "function") {
    // One function per user sink, called by the native side with what to do.
    users.push((op, entry) => {
      if (op === 0) sink.write(entry);
      else if (op === 1) sink.flush?.();
      else sink.close?.();
    });
    const index = users.length - 1;
    const name = typeof sink.name === "string" && sink.name !== "" ? sink.name : `user:${index}`;
    return { kind: "user", index, name };
  }
  if (!KINDS.has(sink.kind)) {
    throw typeError(`${where}: not a sink: use sinks.JsonLines(...), sinks.Binary(...), sinks.Ledger(...), sinks.Otlp(...), sinks.Stdout() or an object with write(entry)`, where);
  }
  return { ...sink };
}

// ------------------------------------------------------------------ logger

const LOGGER_OPTIONS = new Set([
  "sinks", "profile", "onInvalid", "quarantine", "redact", "defaults", "producer", "onWarning", "exitTimeoutMs",
]);

/** What the "warn" policy does by default: a process warning. */
function emitAuditWarning(entry, report) {
  const rules = report.violations.map((v) => `${v.field}: ${v.message}`).join("; ");
  process.emitWarning(`audit record ${entry.eventId} is not valid: ${rules}`, {
    type: "AuditWarning",
    code: "INVALID",
  });
}

/** The loggers to flush and close when the process ends (held weakly). */
const open = new Set();
let hooked = false;

function atExit(close) {
  for (const ref of [...open]) {
    const logger = ref.deref();
    if (logger === undefined) {
      open.delete(ref);
      continue;
    }
    try {
      if (close) logger.close(logger.exitTimeoutMs);
      else logger.flush(logger.exitTimeoutMs);
    } catch (err) {
      // Nothing can be thrown past process exit: say what was not delivered.
      process.stderr.write(`@lokryn/compliance-log: ${close ? "close" : "flush"} at exit: ${err.code ?? ""} ${err.message}\n`);
    }
  }
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  // `beforeExit` runs when the event loop empties (not after process.exit());
  // `exit` always runs, synchronously, which the native close is.
  process.on("beforeExit", () => atExit(false));
  process.on("exit", () => atExit(true));
}

/** Each AuditLogger's native half, for `logJson` (the pino transport's path). */
const natives = new WeakMap();

/**
 * Logs the record of proto3 JSON `text` (keys the schema does not define are
 * ignored) and returns nothing: no entry object is made either way.
 */
function logJson(logger, text) {
  natives.get(logger).logJson(text);
}

/**
 * Where the native logger writes the operations of the output tape of the
 * record it wrote (when they fit); shared by every logger of the thread,
 * replayed at once.
 */
const output = new Uint8Array(8192);
const outputView = new DataView(output.buffer);

/**
 * `new AuditLogger({ sinks, profile, onInvalid, quarantine, redact, defaults })`.
 */
class AuditLogger {
  #native;
  /** The native `logTaped(tape, length, text, out, traceId?, spanId?)` of `#native`. */
  #logTaped;
  #ref;

  constructor(options = {}) {
    if (typeof options !== "object" || options === null) {
      throw typeError("AuditLogger: options must be an object", "options");
    }
    for (const key of Object.keys(options)) {
      if (!LOGGER_OPTIONS.has(key)) {
        throw typeError(`AuditLogger: unknown option \`${key}\` (known: ${[...LOGGER_OPTIONS].join(", ")})`, key);
      }
    }
    const { sinks: list = [], quarantine, profile, onInvalid, redact = true, defaults } = options;
    if (!Array.isArray(list)) throw typeError("AuditLogger: sinks must be an array", "sinks");
    const users = [];
    const config = { sinks: list.map((s, i) => nativeSink(s, `sinks[${i}]`, users)) };
    if (quarantine !== undefined) config.quarantine = nativeSink(quarantine, "quarantine", users);
    if (profile !== undefined) {
      const profiles = typeof profile === "string" ? [profile] : profile;
      if (!Array.isArray(profiles) || !profiles.every((p) => typeof p === "string")) {
        throw typeError("AuditLogger: profile must be a string or an array of strings", "profile");
      }
      config.profiles = [...profiles];
    }
    if (onInvalid !== undefined) {
      if (!["raise", "warn", "quarantine"].includes(onInvalid)) {
        throw typeError('AuditLogger: onInvalid must be "raise", "warn" or "quarantine"', "onInvalid");
      }
      config.onInvalid = onInvalid;
    }
    if (typeof redact === "boolean") {
      config.redact = redact;
    } else if (typeof redact === "string" || redact instanceof Uint8Array) {
      config.redact = true;
      config.redactKey = typeof redact === "string" ? Buffer.from(redact, "utf8") : redact;
    } else {
      throw typeError("AuditLogger: redact must be a boolean, or the key (a Uint8Array or a string) of keyed redaction", "redact");
    }
    if (options.producer !== undefined) {
      const { name, version } = options.producer ?? {};
      if (typeof name !== "string" || typeof version !== "string" || name === "") {
        throw typeError("AuditLogger: producer must be { name, version } (strings)", "producer");
      }
      config.producerName = name;
      config.producerVersion = version;
    }
    const onWarning = options.onWarning ?? emitAuditWarning;
    if (typeof onWarning !== "function") {
      throw typeError("AuditLogger: onWarning must be a function", "onWarning");
    }
    const exitTimeoutMs = options.exitTimeoutMs ?? 5000;
    if (!Number.isSafeInteger(exitTimeoutMs) || exitTimeoutMs < 0) {
      throw typeError("AuditLogger: exitTimeoutMs must be a non-negative integer", "exitTimeoutMs");
    }
    /** How long the flush and close at process exit may take (ms). */
    this.exitTimeoutMs = exitTimeoutMs;
    this.#native = new native.AuditLogger(config, defaults, users, onWarning);
    this.#logTaped = this.#native.tapedLog();
    natives.set(this, this.#native);
    this.#ref = new WeakRef(this);
    open.add(this.#ref);
    hookExit();
  }

  /** Completes, checks, redacts and writes one record; returns it as written. */
  log(fields) {
    const trace = activeTrace();
    // The fields cross on a value tape and the record comes back on one
    // (tape.cjs; `log_taped` in src/logger.rs, called through the function
    // `tapedLog` made); strings too long for one tape are read through
    // Node-API one by one.
    // The record leaves out the strings of `fields` that it holds
    // unchanged; the replay takes them from `values`.
    let values;
    const written = tape.withEntryTape(fields, (t, length, text, read) => {
      values = read;
      return trace === undefined
        ? this.#logTaped(t, length, text, output)
        : this.#logTaped(t, length, text, output, trace[0], trace[1]);
    });
    if (written === undefined) {
      return trace === undefined
        ? this.#native.log(fields)
        : this.#native.log(fields, trace[0], trace[1]);
    }
    return typeof written === "string" ? tape.replay(output, outputView, written, values) : written;
  }

  /**
   * Starts timing an operation: `end(fields?)` logs it as a success,
   * `fail(error, fields?)` as a failure, with its duration.
   */
  operation(eventType, fields) {
    return new Operation(this.#native.operation(eventType, fields));
  }

  /**
   * Runs `fn(operation)` (sync or async) as an operation: logged as a success
   * when it returns, as a failure with the error when it throws (rethrown).
   */
  async run(eventType, fields, fn) {
    if (typeof fn !== "function") throw typeError("run: fn must be a function", "fn");
    const op = this.operation(eventType, fields);
    let result;
    try {
      result = await fn(op);
    } catch (err) {
      if (!op.finished) op.fail(err);
      throw err;
    }
    if (!op.finished) op.end();
    return result;
  }

  /** Waits until every sink has delivered what it was given (at most `timeoutMs`). */
  flush(timeoutMs) {
    this.#native.flush(timeoutMs);
  }

  /** Flushes and closes every sink (idempotent); `log` then throws CLOSED. */
  close(timeoutMs) {
    try {
      this.#native.close(timeoutMs);
    } finally {
      open.delete(this.#ref);
    }
  }

  /** Counters of the logger and of each sink. */
  get stats() {
    return this.#native.stats();
  }
}

/** Error code and message of what a failed operation threw. */
function errorFields(err) {
  if (err instanceof Error) {
    const code = typeof err.code === "string" && err.code !== "" ? err.code : err.name;
    return [code || "Error", err.message];
  }
  return ["Error", String(err)];
}

/** A timed operation of `logger.operation(...)`; finished once. */
class Operation {
  #native;

  constructor(handle) {
    this.#native = handle;
  }

  /** Whether `end` or `fail` was called. */
  get finished() {
    return this.#native.finished;
  }

  /** Logs the operation as a success (with `fields` added); returns the record. */
  end(fields) {
    const trace = activeTrace();
    return this.#native.end(fields, trace?.[0], trace?.[1]);
  }

  /**
   * Logs the operation as a failure: errorCode is the error's string `code`
   * (Node's "ENOENT", ...) or else its class name, errorMessage its message.
   */
  fail(error, fields) {
    const [code, message] = errorFields(error);
    const trace = activeTrace();
    return this.#native.fail(code, message, fields, trace?.[0], trace?.[1]);
  }
}

module.exports = { AuditLogger, Operation, logJson, sinks };
