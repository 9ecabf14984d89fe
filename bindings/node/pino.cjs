// @lokryn/compliance-log/pino: a pino transport (docs/logging.md).
//
//   const log = pino({ transport: { target: "@lokryn/compliance-log/pino", options: {
//     sinks: [sinks.JsonLines("audit.jsonl")], profile: "pci", defaults: { component: "billing" },
//   } } });
//
// pino runs a transport in a worker thread and hands it its options by
// structured clone, so the options are data: the AuditLogger options, with
// sinks made by `sinks.*` (plain objects; user sinks, being functions, cannot
// cross). The logger is built inside the worker. Each pino line becomes one
// record: the level gives `severity` (unless the line has one), `msg` gives
// `message` (unless it has one), pino's `time` gives `time`, and the line's
// properties named like LogEntry fields (proto3 JSON names, lowerCamel or
// snake_case; enums by name or number) are copied; pino's own `pid`,
// `hostname` and `level`, and every other property, are left out.
//
// A line the logger refuses (an invalid record under the "raise" policy, a
// sink that failed) cannot be thrown back to the caller across the thread:
// it is reported on standard error as one JSON line
// `{"lokryn":"audit-log-error","code":...,"message":...,"sink":...}` and the
// transport carries on. Choose `onInvalid: "quarantine"` to keep invalid
// records instead.
"use strict";

const { writeSync } = require("node:fs");
const { Writable } = require("node:stream");

const lib = require("./index.js");
const { logJson } = require("./logger.cjs");

/** pino's numeric levels to the schema's severities. */
function severityOf(level) {
  if (typeof level !== "number") return undefined;
  if (level >= 60) return lib.Severity.CRITICAL; // fatal
  if (level >= 50) return lib.Severity.ERROR;
  if (level >= 40) return lib.Severity.WARNING;
  if (level >= 30) return lib.Severity.INFO;
  return lib.Severity.DEBUG; // debug, trace
}

// pino's own properties, never LogEntry fields even where the names meet.
const PINO_KEYS = new Set(["level", "time", "msg", "pid", "hostname", "v"]);

/** The proto3 JSON of the record one pino line describes. */
function recordJson(line, messageKey) {
  const out = {};
  for (const [key, value] of Object.entries(line)) {
    if (!PINO_KEYS.has(key) && key !== messageKey) out[key] = value;
  }
  if (out.severity === undefined) {
    const severity = severityOf(line.level);
    if (severity !== undefined) out.severity = severity;
  }
  const msg = line[messageKey];
  if (out.message === undefined && typeof msg === "string" && msg !== "") out.message = msg;
  if (typeof line.time === "number") out.time = new Date(line.time).toISOString();
  else if (typeof line.time === "string") out.time = line.time;
  return JSON.stringify(out);
}

function report(err) {
  const line = {
    lokryn: "audit-log-error",
    code: err?.code ?? "ERROR",
    message: err?.message ?? String(err),
  };
  if (err?.sink !== undefined) line.sink = err.sink;
  // Straight to the descriptor: a worker's process.stderr is forwarded
  // through the main thread and may be cut short when the worker exits.
  writeSync(2, `${JSON.stringify(line)}\n`);
}

/**
 * The transport: `options` are the AuditLogger's (see index.d.ts), plus
 * `messageKey` when pino's is not "msg".
 */
function transport(options = {}) {
  const { messageKey: chosenKey, pinoWillSendConfig, ...rest } = options;
  // thread-stream adds its own `$context`.
  const loggerOptions = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith("$")));
  const logger = new lib.AuditLogger(loggerOptions);
  let messageKey = chosenKey ?? "msg";
  if (pinoWillSendConfig === true && chosenKey === undefined) {
    // pino tells the transport its messageKey once it is running.
    const { parentPort } = require("node:worker_threads");
    const onConfig = (message) => {
      if (message?.code === "PINO_CONFIG") {
        if (typeof message.config?.messageKey === "string") messageKey = message.config.messageKey;
        parentPort.off("message", onConfig);
      }
    };
    parentPort?.on("message", onConfig);
  }
  let pending = "";
  const handle = (text) => {
    if (text.trim() === "") return;
    try {
      logJson(logger, recordJson(JSON.parse(text), messageKey));
    } catch (err) {
      report(err);
    }
  };
  const stream = new Writable({
    decodeStrings: false,
    write(chunk, _encoding, callback) {
      pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
      let nl;
      while ((nl = pending.indexOf("\n")) !== -1) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      callback();
    },
    final(callback) {
      handle(pending);
      pending = "";
      try {
        logger.close(logger.exitTimeoutMs);
      } catch (err) {
        report(err);
      }
      callback();
    },
  });
  // pino's `logger.flush()` reaches this (thread-stream calls it in the worker).
  stream.flush = (callback) => {
    try {
      logger.flush(logger.exitTimeoutMs);
      callback();
    } catch (err) {
      callback(err);
    }
  };
  return stream;
}

module.exports = transport;
module.exports.recordJson = recordJson;
