// The API of @lokryn/compliance-log-wasm, shared by its browser entry
// (index.js) and its Node entry (node.js), which instantiate the WebAssembly
// module first (setup.js) and then re-export this file: the API declared in
// index.d.ts. The work is done in Rust, compiled to WebAssembly with
// wasm-bindgen.

import * as wasm from "./pkg/lokryn_compliance_log_wasm.js";
import * as runtime from "./runtime.js";
import { decodeEntry, encodeEntry, fromJsonEntry, toJsonBytes, toJsonEntry } from "./codec.js";
import { replay, withEntriesTape, withEntryTape } from "./tape.js";

export { VERSION, ComplianceLogError, ValidationError } from "./runtime.js";
// The schema's enums, listed in enums.js by `cargo xtask codegen`.
export * from "./enums.js";

export { validateDelimited, scanText, redactText } from "./pkg/lokryn_compliance_log_wasm.js";

// Entries go in, and come out, on tapes (tape.js): one crossing of the
// module's boundary per call instead of one per field. `encode`, `decode`,
// `toJsonString` and `fromJsonString` first try codec.js, the wire codec and
// canonical JSON writer and reader generated in JavaScript from the schema,
// which leaves to the module every input it does not write or read exactly
// as the module would (options, unusual values, malformed bytes or text,
// errors).

export function encode(entry, options) {
  if (options === undefined) {
    const bytes = encodeEntry(entry);
    if (bytes !== undefined) return bytes;
  }
  return withEntryTape(entry, (tape) => wasm.encodeTape(tape, options));
}

export function encodeDelimited(entries, options) {
  return withEntriesTape(entries, (tape) => wasm.encodeDelimitedTape(tape, options));
}

export function toJsonString(entry) {
  // An encoded entry is written as JSON straight from its bytes.
  const text = entry instanceof Uint8Array ? toJsonBytes(entry) : toJsonEntry(entry);
  if (text !== undefined) return text;
  return withEntryTape(entry, wasm.toJsonStringTape);
}

export function validate(entry, options) {
  return withEntryTape(entry, (tape) => wasm.validateTape(tape, options));
}

export function assertValid(entry, options) {
  return withEntryTape(entry, (tape) => wasm.assertValidTape(tape, options));
}

export function findSensitive(entry) {
  return withEntryTape(entry, wasm.findSensitiveTape);
}

export function redact(entry, options) {
  return replay(withEntryTape(entry, (tape) => wasm.redactTape(tape, options)));
}

export function decode(bytes, options) {
  if (options === undefined) {
    const entry = decodeEntry(bytes);
    if (entry !== undefined) return entry;
  }
  return replay(
    bytes instanceof Uint8Array ? wasm.decodeBytes(bytes, options) : wasm.decodeTape(bytes, options),
  );
}

export function decodeDelimited(bytes, options) {
  return replay(wasm.decodeDelimitedTape(bytes, options));
}

export function fromJsonString(text, options) {
  if (options === undefined) {
    const entry = fromJsonEntry(text);
    if (entry !== undefined) return entry;
  }
  return replay(wasm.fromJsonStringTape(text, options));
}

export function toJson(entry) {
  return JSON.parse(toJsonString(entry));
}

export function fromJson(json, options) {
  return fromJsonString(runtime.jsonText(json), options);
}

/** Decodes a length-delimited stream pushed in chunks. */
export class DelimitedDecoder {
  #inner;

  constructor(options) {
    this.#inner = new wasm.DelimitedDecoder(options);
  }

  /** Appends the next bytes of the stream. */
  push(chunk) {
    this.#inner.push(chunk);
  }

  /** The next entry, or `undefined` until more bytes are pushed. */
  read() {
    const address = this.#inner.readTape();
    return address === undefined ? undefined : replay(address);
  }

  /** Ends the stream; throws when it stopped inside an entry. */
  end() {
    this.#inner.end();
  }

  /** Frees the decoder's memory in the module now (the garbage collector would later). */
  free() {
    this.#inner.free();
  }
}

// A ledger proof is checked against the entry's exact bytes: an entry object
// is encoded first (the core's deterministic encoding, as the ledger stores it).
export function checkProof(proof, checkpoints, key, entry) {
  const bytes = entry === undefined || entry === null || entry instanceof Uint8Array ? entry : encode(entry);
  return wasm.checkProofBytes(proof, checkpoints, key, bytes);
}
