// Value tapes between this package's JavaScript and its WebAssembly module.
//
// Every value that crosses wasm-bindgen's boundary on its own costs a call
// and a slot in its heap table, and every string is re-encoded: reading an
// entry object field by field from Rust, or building one value by value,
// crosses about sixty times per entry. Instead, an entry object is written
// here into one byte buffer (an input tape) that the module reads in one
// call, and a decoded entry comes back as one buffer (an output tape) that
// is replayed here into objects.
//
// This file only records what it sees and replays what it is given: every
// check of the schema stays in Rust, which answers from the tape exactly as
// it answers from live values (same results, same errors). The format is
// described in bindings/js/src/tape.rs, its other half.

import { factories, messageFactories, messageReaders, messageShapes } from "./runtime.js";
import {
  FACTORIES,
  T_ARRAY,
  T_BIGINT,
  T_BIGINT_OUT_OF_RANGE,
  T_BUILD,
  T_BYTES,
  T_DATE,
  T_FALSE,
  T_FUNCTION,
  T_MESSAGE,
  T_NULL,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  T_SYMBOL,
  T_TRUE,
  T_UNDEFINED,
} from "./tape_tags.js";

const LOG_ENTRY = 0;
// google.protobuf.Timestamp, which also takes a Date.
const TIMESTAMP = messageFactories.findIndex((f) => f().$typeName === "google.protobuf.Timestamp");

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

class Writer {
  constructor() {
    this.buf = new Uint8Array(4096);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    this.busy = false;
  }

  reserve(n) {
    if (this.pos + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
  }

  tag(t) {
    this.reserve(1);
    this.buf[this.pos++] = t;
  }

  // A tag and a u32 (a length or a count).
  tagged(t, n) {
    this.reserve(5);
    this.buf[this.pos] = t;
    this.view.setUint32(this.pos + 1, n, true);
    this.pos += 5;
  }

  f64(t, v) {
    this.reserve(9);
    this.buf[this.pos] = t;
    this.view.setFloat64(this.pos + 1, v, true);
    this.pos += 9;
  }

  string(s) {
    const n = s.length;
    // At most three UTF-8 bytes per UTF-16 unit.
    this.reserve(5 + 3 * n);
    const buf = this.buf;
    const start = this.pos + 5;
    let p = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: the whole string through the engine's encoder (which,
        // as wasm-bindgen's, writes U+FFFD for a lone surrogate).
        p = start + encoder.encodeInto(s, buf.subarray(start)).written;
        break;
      }
      buf[p++] = c;
    }
    buf[this.pos] = T_STRING;
    this.view.setUint32(this.pos + 1, p - start, true);
    this.pos = p;
  }

  bytes(v) {
    this.tagged(T_BYTES, v.length);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
}

// A value as it is (what `typeof` and the classes the module asks about
// say of it). An Array nested in an Array is not read further: no field
// holds one, and the module asks only that it is an object.
function value(w, v, nested) {
  switch (typeof v) {
    case "undefined":
      w.tag(T_UNDEFINED);
      return;
    case "boolean":
      w.tag(v ? T_TRUE : T_FALSE);
      return;
    case "number":
      w.f64(T_NUMBER, v);
      return;
    case "string":
      w.string(v);
      return;
    case "bigint":
      if (BigInt.asIntN(64, v) === v) {
        w.reserve(9);
        w.buf[w.pos] = T_BIGINT;
        w.view.setBigInt64(w.pos + 1, v, true);
        w.pos += 9;
      } else {
        w.tag(T_BIGINT_OUT_OF_RANGE);
      }
      return;
    case "symbol":
      w.tag(T_SYMBOL);
      return;
    case "object":
      if (v === null) {
        w.tag(T_NULL);
      } else if (v instanceof Uint8Array) {
        w.bytes(v);
      } else if (Array.isArray(v) && !nested) {
        const n = v.length;
        w.tagged(T_ARRAY, n);
        for (let i = 0; i < n; i++) value(w, v[i], true);
      } else if (v instanceof Date) {
        w.f64(T_DATE, v.getTime());
      } else {
        w.tag(T_OBJECT);
      }
      return;
    default:
      w.tag(T_FUNCTION);
  }
}

// A message object, as the values its reader reads (the module asks
// nothing else of it).
function message(w, o, m) {
  const values = messageReaders[m](o);
  const shape = messageShapes[m];
  const n = values.length;
  w.tagged(T_MESSAGE, n);
  for (let i = 0; i < n; i++) {
    const s = i < shape.length ? shape[i] : 0;
    const v = values[i];
    if (s === 0) value(w, v, false);
    else if (s > 0) field(w, v, s - 1, true);
    else list(w, v, -s - 1);
  }
}

// The value of a message field (or an element of a repeated one).
function field(w, v, m, single) {
  if (typeof v !== "object" || v === null) {
    value(w, v, false);
  } else if (single && m === TIMESTAMP && v instanceof Date) {
    w.f64(T_DATE, v.getTime());
  } else {
    message(w, v, m);
  }
}

function list(w, v, m) {
  if (!Array.isArray(v)) {
    value(w, v, false);
    return;
  }
  const n = v.length;
  w.tagged(T_ARRAY, n);
  for (let i = 0; i < n; i++) field(w, v[i], m, false);
}

const shared = new Writer();

// Writes a tape with `write` and hands it to `use`, which must copy it
// (every wasm-bindgen call does) before it returns. A getter that calls
// back into the package while the shared writer is busy gets its own.
function withTape(write, use) {
  const w = shared.busy ? new Writer() : shared;
  w.busy = true;
  try {
    w.pos = 0;
    write(w);
    return use(w.buf.subarray(0, w.pos));
  } finally {
    w.busy = false;
  }
}

// An entry argument: an object is read as a LogEntry's fields, except
// what the module takes for an encoded entry or refuses as one (a
// Uint8Array, an Array), which goes as it is, like any other value.
function entry(w, v) {
  if (typeof v === "object" && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v)) {
    message(w, v, LOG_ENTRY);
  } else {
    value(w, v, false);
  }
}

/** Calls `use` with the input tape of an entry argument. */
export function withEntryTape(v, use) {
  return withTape((w) => entry(w, v), use);
}

/** Calls `use` with the input tape of an argument that should be an Array of entries. */
export function withEntriesTape(v, use) {
  return withTape((w) => {
    if (Array.isArray(v)) {
      const n = v.length;
      w.tagged(T_ARRAY, n);
      for (let i = 0; i < n; i++) entry(w, v[i]);
    } else {
      value(w, v, false);
    }
  }, use);
}

let memory;

/** Called once the module is instantiated, with its exports. */
export function setMemory(exports) {
  memory = exports.memory;
}

/**
 * The value the output tape at `address` in the module's memory holds. Read
 * at once: the module writes its next tape over this one.
 */
export function replay(address) {
  const buffer = memory.buffer;
  const total = new DataView(buffer, address, 4).getUint32(0, true);
  const tape = new Uint8Array(buffer, address, total);
  const view = new DataView(buffer, address, total);
  const end = 8 + view.getUint32(4, true);
  const strings = end < total ? decoder.decode(tape.subarray(end)) : "";
  let s = 0;
  const stack = [];
  let p = 8;
  while (p < end) {
    switch (tape[p++]) {
      case T_UNDEFINED:
        stack.push(undefined);
        break;
      case T_FALSE:
        stack.push(false);
        break;
      case T_TRUE:
        stack.push(true);
        break;
      case T_NUMBER:
        stack.push(view.getFloat64(p, true));
        p += 8;
        break;
      case T_BIGINT:
        stack.push(view.getBigInt64(p, true));
        p += 8;
        break;
      case T_STRING: {
        const n = view.getUint32(p, true);
        p += 4;
        stack.push(strings.substring(s, s + n));
        s += n;
        break;
      }
      case T_BYTES: {
        const n = view.getUint32(p, true);
        p += 4;
        // A copy: the module's memory is reused.
        stack.push(tape.slice(p, p + n));
        p += n;
        break;
      }
      case T_ARRAY: {
        const n = view.getUint32(p, true);
        p += 4;
        stack.push(n === 0 ? [] : stack.splice(stack.length - n, n));
        break;
      }
      case T_BUILD: {
        const code = tape[p];
        const m = tape[p + 1];
        const n = view.getUint32(p + 2, true);
        p += 6;
        const args = stack.splice(stack.length - n, n);
        stack.push(builder(code, m).apply(undefined, args));
        break;
      }
      default:
        throw new Error("@lokryn/compliance-log-wasm: malformed output tape (reinstall the package)");
    }
  }
  return stack[0];
}

function builder(code, m) {
  const name = FACTORIES[code];
  if (name === undefined) {
    throw new Error("@lokryn/compliance-log-wasm: malformed output tape (reinstall the package)");
  }
  return name === null ? messageFactories[m] : factories[name];
}
