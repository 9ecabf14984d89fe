// Value tapes for the audit logger's `log` (bindings/js/src/tape.rs holds
// the format; bindings/wasm/tape.js is the WebAssembly package's writer).
//
// Read field by field through Node-API, an entry object costs one call into
// the engine per field and per string. Written here instead, the object is
// one byte buffer (each value with its kind, message objects as the values
// their runtime reader reads) and one string holding all its strings in
// order: two arguments, one crossing. The native side answers every question
// about these values exactly as it answers them about live ones (same
// results, same errors). The record the logger wrote comes back as an output
// tape, which `replay` turns into the object `log` returns.
//
// Unlike the WebAssembly package's writer, the kinds of objects are told
// apart as Node-API tells them apart (whatever realm they come from, and a
// Proxy is never an Array), and strings are not encoded here: Node-API
// copies the one string at once.
"use strict";

const { types } = require("node:util");
const { factories, messageFactories, messageReaders, messageShapes } = require("./runtime.cjs");
const {
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
} = require("./tape_tags.cjs");

const LOG_ENTRY = 0;
// google.protobuf.Timestamp, which also takes a Date.
const TIMESTAMP = messageFactories.findIndex((f) => f().$typeName === "google.protobuf.Timestamp");

/** Thrown to give up on a tape (its text would be too long); never seen by callers. */
const TOO_LONG = { tooLong: true };
/** The most UTF-16 units a tape's text holds; longer strings go through Node-API one by one. */
const MAX_TEXT = 1 << 27;

// The name of a typed array's class, whatever its realm (undefined for
// anything else), and a Date's time.
const typedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
).get;
const getTime = Date.prototype.getTime;

class Writer {
  constructor() {
    this.buf = new Uint8Array(1024);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    this.text = "";
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
    if (this.text.length + s.length > MAX_TEXT) throw TOO_LONG;
    this.tagged(T_STRING, s.length);
    this.text += s;
  }

  bytes(v) {
    this.tagged(T_BYTES, v.length);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
}

/** Whether Node-API's `napi_is_array` holds for `v` (a Proxy is never an Array). */
function isArray(v) {
  return !types.isProxy(v) && Array.isArray(v);
}

// An object as Node-API sees it: an Array, a Uint8Array, a Date, or any
// other object.
function object(w, v, nested) {
  if (isArray(v)) {
    if (nested) {
      // No field holds an Array of Arrays: the engine asks only that it is an object.
      w.tag(T_OBJECT);
      return;
    }
    const n = v.length;
    w.tagged(T_ARRAY, n);
    for (let i = 0; i < n; i++) value(w, v[i], true);
  } else if (typedArrayName.call(v) === "Uint8Array") {
    w.bytes(v);
  } else if (types.isDate(v)) {
    w.f64(T_DATE, getTime.call(v));
  } else {
    w.tag(T_OBJECT);
  }
}

// A value as it is.
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
      if (v === null) w.tag(T_NULL);
      else object(w, v, nested);
      return;
    default:
      w.tag(T_FUNCTION);
  }
}

// A message object, as the values its reader reads (the engine asks
// nothing else of it); returns them.
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
  return values;
}

// The value of a message field (or an element of a repeated one).
function field(w, v, m, single) {
  if (typeof v !== "object" || v === null) {
    value(w, v, false);
  } else if (single && m === TIMESTAMP && types.isDate(v)) {
    w.f64(T_DATE, getTime.call(v));
  } else {
    message(w, v, m);
  }
}

function list(w, v, m) {
  if (!isArray(v)) {
    value(w, v, false);
    return;
  }
  const n = v.length;
  w.tagged(T_ARRAY, n);
  for (let i = 0; i < n; i++) field(w, v[i], m, false);
}

const shared = new Writer();

/**
 * Calls `use(buffer, length, text, values)` with the input tape of an entry
 * argument (the first `length` bytes of `buffer`; an object is read as a
 * LogEntry's fields, whose values as its reader read them are `values`,
 * anything else goes as it is), or
 * returns `undefined` without calling it when the entry's strings are too
 * long for one tape's text. `use` must be done with the tape when it
 * returns; a getter that logs while the shared writer is busy gets its own.
 */
function withEntryTape(v, use) {
  const w = shared.busy ? new Writer() : shared;
  w.busy = true;
  w.pos = 0;
  w.text = "";
  let values;
  try {
    if (typeof v === "object" && v !== null && !isArray(v) && typedArrayName.call(v) !== "Uint8Array") {
      values = message(w, v, LOG_ENTRY);
    } else {
      value(w, v, false);
    }
  } catch (err) {
    w.busy = false;
    w.text = "";
    if (err === TOO_LONG) return undefined;
    throw err;
  }
  try {
    return use(w.buf, w.pos, w.text, values);
  } finally {
    w.busy = false;
    w.text = "";
  }
}

/** The values being built by `replay`; `sp` values are in use. */
const stack = [];

/**
 * The value of the output tape whose operations are at the start of `tape`
 * (a Uint8Array, `view` a DataView of it) and whose strings are `strings`.
 * The operations are read at once: `tape` is reused.
 *
 * The record of `logTaped` leaves out the top-level strings that are the
 * caller's, unchanged: bit i of the u32 in the first four bytes (where the
 * tape's own length was) tells that the record's field i is `values[i]`,
 * the caller's value as the LogEntry reader read it (a string), which goes
 * to the last factory call (the record's) in place of the empty string on
 * the tape.
 */
function replay(tape, view, strings, values) {
  const keep = values === undefined ? 0 : view.getUint32(0, true);
  const end = 8 + view.getUint32(4, true);
  let s = 0;
  let sp = 0;
  let p = 8;
  while (p < end) {
    switch (tape[p++]) {
      case T_UNDEFINED:
        stack[sp++] = undefined;
        break;
      case T_FALSE:
        stack[sp++] = false;
        break;
      case T_TRUE:
        stack[sp++] = true;
        break;
      case T_NUMBER:
        stack[sp++] = view.getFloat64(p, true);
        p += 8;
        break;
      case T_BIGINT:
        stack[sp++] = view.getBigInt64(p, true);
        p += 8;
        break;
      case T_STRING: {
        const n = view.getUint32(p, true);
        p += 4;
        stack[sp++] = strings.substring(s, s + n);
        s += n;
        break;
      }
      case T_BYTES: {
        const n = view.getUint32(p, true);
        p += 4;
        stack[sp++] = tape.slice(p, p + n);
        p += n;
        break;
      }
      case T_ARRAY: {
        const n = view.getUint32(p, true);
        p += 4;
        const items = n === 0 ? [] : stack.slice(sp - n, sp);
        sp -= n;
        stack[sp++] = items;
        break;
      }
      case T_BUILD: {
        const code = tape[p];
        const m = tape[p + 1];
        const n = view.getUint32(p + 2, true);
        p += 6;
        const args = stack.slice(sp - n, sp);
        sp -= n;
        if (keep !== 0 && p === end) {
          for (let i = 0; i < n; i++) if ((keep >>> i) & 1) args[i] = values[i];
        }
        stack[sp++] = builder(code, m).apply(undefined, args);
        break;
      }
      default:
        throw new Error("@lokryn/compliance-log: malformed output tape (reinstall the package)");
    }
  }
  const value = stack[0];
  stack.fill(undefined);
  if (sp !== 1) throw new Error("@lokryn/compliance-log: malformed output tape (reinstall the package)");
  return value;
}

function builder(code, m) {
  const name = FACTORIES[code];
  if (name === undefined) {
    throw new Error("@lokryn/compliance-log: malformed output tape (reinstall the package)");
  }
  return name === null ? messageFactories[m] : factories[name];
}

module.exports = { withEntryTape, replay };
