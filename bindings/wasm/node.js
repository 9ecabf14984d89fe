// The Node entry of @lokryn/compliance-log-wasm: reads the WebAssembly
// module from disk and instantiates it synchronously.
import { readFileSync } from "node:fs";

import { initSync, setup } from "./lib.js";

const wasmExports = initSync({
  module: readFileSync(new URL("./pkg/lokryn_compliance_log_wasm_bg.wasm", import.meta.url)),
});
setup(wasmExports);

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
  encode,
  decode,
  encodeDelimited,
  decodeDelimited,
  toJsonString,
  fromJsonString,
  toJson,
  fromJson,
  validate,
  validateDelimited,
  assertValid,
  findSensitive,
  scanText,
  redact,
  redactText,
  DelimitedDecoder,
} from "./lib.js";
