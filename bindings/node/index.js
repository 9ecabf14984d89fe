// @lokryn/compliance-log: compliance-grade audit log records for Node.js.
//
// The work is done by the native addon (Rust, over napi-rs); this file loads
// it, hands it the factories of runtime.cjs (generated from the schema) and
// exports the API declared in index.d.ts. `encode`, `decode`,
// `toJsonString` and `fromJsonString` first try codec.cjs, the wire codec
// and canonical JSON writer and reader generated in JavaScript from the
// schema (no crossing into native code per field), which leaves to the addon
// every input it does not write or read exactly as the addon would: options,
// unusual values, malformed bytes or text, and so every error.
"use strict";

const runtime = require("./runtime.cjs");
const native = require("./native.cjs");
const codec = require("./codec.cjs");

native.init(runtime.factories);

exports.VERSION = runtime.VERSION;

exports.encode = function encode(entry, options) {
  if (options === undefined) {
    const bytes = codec.encodeEntry(entry);
    if (bytes !== undefined) return bytes;
  }
  return native.encode(entry, options);
};
exports.decode = function decode(bytes, options) {
  if (options === undefined) {
    const entry = codec.decodeEntry(bytes);
    if (entry !== undefined) return entry;
  }
  return native.decode(bytes, options);
};
exports.encodeDelimited = native.encodeDelimited;
exports.decodeDelimited = native.decodeDelimited;
exports.toJsonString = function toJsonString(entry) {
  const text = codec.toJsonEntry(entry);
  return text !== undefined ? text : native.toJsonString(entry);
};
exports.fromJsonString = function fromJsonString(text, options) {
  if (options === undefined) {
    const entry = codec.fromJsonEntry(text);
    if (entry !== undefined) return entry;
  }
  return native.fromJsonString(text, options);
};
exports.validate = native.validate;
exports.validateDelimited = native.validateDelimited;
exports.assertValid = native.assertValid;
exports.findSensitive = native.findSensitive;
exports.scanText = native.scanText;
exports.redact = native.redact;
exports.redactText = native.redactText;
exports.DelimitedDecoder = native.DelimitedDecoder;
exports.Ledger = native.Ledger;
exports.checkProof = native.checkProof;

exports.toJson = function toJson(entry) {
  return JSON.parse(exports.toJsonString(entry));
};
exports.fromJson = function fromJson(json, options) {
  return exports.fromJsonString(runtime.jsonText(json), options);
};

// The audit logger (docs/logging.md): the Node package only.
const logger = require("./logger.cjs");
exports.AuditLogger = logger.AuditLogger;
exports.Operation = logger.Operation;
exports.sinks = logger.sinks;

exports.ComplianceLogError = runtime.ComplianceLogError;
exports.ValidationError = runtime.ValidationError;

// The schema's enums, listed in enums.cjs by `cargo xtask codegen`. Copied in
// a shape Node's CommonJS lexer recognises as a re-export, so index.mjs's
// `export *` names them too.
function __exportStar(from, to) {
  for (const name of Object.keys(from)) {
    to[name] = from[name];
  }
}
__exportStar(require("./enums.cjs"), exports);
// Exports to OCSF, ECS and OpenTelemetry logs, and imports back.
__exportStar(require("./export.cjs"), exports);
