// The API of @lokryn/compliance-log-wasm, shared by its browser entry
// (index.js) and its Node entry (node.js), which instantiate the WebAssembly
// module first and then call setup(). The work is done in Rust, compiled to
// WebAssembly with wasm-bindgen; this file hands the module the factories of
// runtime.js (generated from the schema) and exports the API declared in
// index.d.ts.

import * as wasm from "./pkg/lokryn_compliance_log_wasm.js";
import * as runtime from "./runtime.js";

export {
  VERSION,
  ComplianceLogError,
  ValidationError,
  EventType,
  Outcome,
  Severity,
  Sensitivity,
  ActorType,
  PayloadFormat,
} from "./runtime.js";

export {
  encode,
  decode,
  encodeDelimited,
  decodeDelimited,
  toJsonString,
  fromJsonString,
  validate,
  validateDelimited,
  assertValid,
  findSensitive,
  scanText,
  redact,
  redactText,
  DelimitedDecoder,
} from "./pkg/lokryn_compliance_log_wasm.js";

export function toJson(entry) {
  return JSON.parse(wasm.toJsonString(entry));
}

export function fromJson(json, options) {
  return wasm.fromJsonString(runtime.jsonText(json), options);
}

/** Called by the entries once the WebAssembly module is instantiated. */
export function setup() {
  wasm.init(runtime.factories);
}

/** The wasm-bindgen initialisers, for the entries. */
export { default as initAsync, initSync } from "./pkg/lokryn_compliance_log_wasm.js";
