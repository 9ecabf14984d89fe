// Value tapes for the audit logger's `log` (bindings/js/src/tape.rs holds
// the format; the writer is bindings/js/tape_writer.js, which both npm
// packages share and the npm build copies here as tape_writer.cjs).
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
// Unlike the WebAssembly package, this one tells the kinds of objects
// apart as Node-API tells them apart (whatever realm they come from, and a
// Proxy is never an Array), and strings are not encoded here: Node-API
// copies the one string at once.
"use strict";

const { types } = require("node:util");
const { messageFactoriesOf, messageReaders, messageShapes } = require("./runtime.cjs");
const { TapeWriter, malformedTape, tapeBuilder } = require("./tape_writer.cjs");
const {
  T_ARRAY,
  T_BIGINT,
  T_BUILD,
  T_BYTES,
  T_DATE,
  T_FALSE,
  T_MESSAGE,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  T_TRUE,
  T_UNDEFINED,
} = require("./tape_tags.cjs");

const LOG_ENTRY = 0;

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

/** Whether Node-API's `napi_is_array` holds for `v` (a Proxy is never an Array). */
function isArray(v) {
  return !types.isProxy(v) && Array.isArray(v);
}

// The shared writer (tape_writer.cjs) with this package's strings (all in
// one JavaScript string, `text`) and kinds of objects (as Node-API tells
// them apart).
class Writer extends TapeWriter {
  constructor(buf, view) {
    super(1024, buf, view);
    this.text = "";
  }

  string(s) {
    if (this.text.length + s.length > MAX_TEXT) throw TOO_LONG;
    this.tagged(T_STRING, s.length);
    this.text += s;
  }

  // An object as Node-API sees it: an Array, a Uint8Array, a Date, or any
  // other object.
  object(v, nested) {
    if (isArray(v)) {
      if (nested) {
        // No field holds an Array of Arrays: the engine asks only that it is an object.
        this.tag(T_OBJECT);
        return;
      }
      // Each element read once, kept in a copy: the record's list when
      // the engine keeps it (see `replay`).
      const n = v.length;
      this.tagged(T_ARRAY, n);
      const copy = new Array(n);
      for (let i = 0; i < n; i++) {
        const e = v[i];
        copy[i] = e;
        this.value(e, true);
      }
      this.copy = copy;
    } else if (typedArrayName.call(v) === "Uint8Array") {
      this.bytes(v);
    } else if (types.isDate(v)) {
      this.f64(T_DATE, getTime.call(v));
    } else {
      this.tag(T_OBJECT);
    }
  }

  /**
   * `message(o, LOG_ENTRY)`, the same bytes, with the usual values (unset,
   * strings, numbers: each written the same whatever its field's shape)
   * written in place from one reservation; any other by `message`'s own
   * steps.
   */
  entry(o) {
    const values = messageReaders[LOG_ENTRY](o);
    const shape = messageShapes[LOG_ENTRY];
    const n = values.length;
    // Room for the header and each value's tag and number; strings' text
    // is elsewhere, and the other values reserve their own.
    this.reserve(5 + 9 * n);
    let buf = this.buf;
    let view = this.view;
    let pos = this.pos;
    buf[pos] = T_MESSAGE;
    view.setUint32(pos + 1, n, true);
    pos += 5;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === undefined) {
        buf[pos++] = T_UNDEFINED;
        continue;
      }
      if (typeof v === "string") {
        if (this.text.length + v.length > MAX_TEXT) throw TOO_LONG;
        buf[pos] = T_STRING;
        view.setUint32(pos + 1, v.length, true);
        pos += 5;
        this.text += v;
        continue;
      }
      if (typeof v === "number") {
        buf[pos] = T_NUMBER;
        view.setFloat64(pos + 1, v, true);
        pos += 9;
        continue;
      }
      this.pos = pos;
      const s = i < shape.length ? shape[i] : 0;
      if (s === 0) {
        this.value(v, false);
        if (this.copy !== undefined) {
          values[i] = this.copy;
          this.copy = undefined;
        }
      } else if (s > 0) {
        this.field(v, s - 1, true);
      } else {
        this.list(v, -s - 1);
      }
      this.reserve(9 * (n - i));
      buf = this.buf;
      view = this.view;
      pos = this.pos;
    }
    this.pos = pos;
    return values;
  }

  isArray(v) {
    return isArray(v);
  }

  isDate(v) {
    return types.isDate(v);
  }

  time(v) {
    return getTime.call(v);
  }
}

// The buffer (and its view) of the last tape, reused by the next one
// unless that one is written while the last is in use. Each tape gets a
// writer of its own (a new, small object: storing the tape's growing text
// into it needs no write barrier, as storing into a long-lived one does).
let spare = new Writer();
let spareBuf = spare.buf;
let spareView = spare.view;
spare = undefined;
let busy = false;

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
  const nested = busy;
  const w = nested ? new Writer() : new Writer(spareBuf, spareView);
  busy = true;
  let values;
  try {
    if (typeof v === "object" && v !== null && !isArray(v) && typedArrayName.call(v) !== "Uint8Array") {
      values = w.entry(v);
    } else {
      w.value(v, false);
    }
  } catch (err) {
    if (!nested) done(w);
    if (err === TOO_LONG) return undefined;
    throw err;
  }
  try {
    return use(w.buf, w.pos, w.text, values);
  } finally {
    if (!nested) done(w);
  }
}

/** Ends the use of the spare buffer by `w` (which may have grown it). */
function done(w) {
  busy = false;
  if (w.buf !== spareBuf) {
    spareBuf = w.buf;
    spareView = w.view;
  }
}

/** Room for the values of a record's output tape (the stack grows past it if need be). */
const STACK = 16;

/**
 * The value of the output tape whose operations are at the start of `tape`
 * (a Uint8Array, `view` a DataView of it) and whose strings are `strings`.
 * The operations are read at once: `tape` is reused.
 *
 * The record of `logTaped` leaves out the fields whose values are the
 * caller's, unchanged: bit i of the u32 in the first four bytes (where the
 * tape's own length was) tells that the record's field i is `values[i]`,
 * the caller's value as the LogEntry reader read it (a string, a number,
 * a bigint, or undefined or null for a field the record leaves at its
 * zero value: all primitives), or for a list (`policyTags`) the writer's
 * copy of the elements it read: never an object the caller holds. The
 * last factory call (the record's) takes only the other fields' values,
 * and its arguments in `values` itself (an array of this call's, made by
 * the reader): the tape's values go, in order, where the caller's are not
 * kept.
 *
 * The values being built are on a stack of this call's own, `sp` of them
 * in use.
 */
function replay(tape, view, strings, values) {
  const keep = values === undefined ? 0 : view.getUint32(0, true);
  const end = 8 + view.getUint32(4, true);
  const stack = new Array(STACK);
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
        if (n > sp) throw malformedTape();
        const items = n === 0 ? [] : stack.slice(sp - n, sp);
        sp -= n;
        stack[sp++] = items;
        break;
      }
      case T_BUILD: {
        const f = tapeBuilder(tape[p], tape[p + 1]);
        const n = view.getUint32(p + 2, true);
        p += 6;
        if (n > sp) throw malformedTape();
        let built;
        if (p === end && values !== undefined && tape[p - 6] === 0 && tape[p - 5] === LOG_ENTRY && sp === n) {
          // The record's (any number of arguments, 2 too): the tape's
          // values in order where the caller's are not kept, the array
          // given to the factory as it is (not spread into arguments).
          let k = 0;
          for (let i = 0; i < values.length; i++) if (((keep >>> i) & 1) === 0) values[i] = stack[k++];
          if (k !== n) throw malformedTape();
          built = messageFactoriesOf[LOG_ENTRY](values);
        } else if (n === 2) {
          // A Timestamp, a Producer.
          built = f(stack[sp - 2], stack[sp - 1]);
        } else {
          built = f.apply(undefined, stack.slice(sp - n, sp));
        }
        sp -= n;
        stack[sp++] = built;
        break;
      }
      default:
        throw malformedTape();
    }
  }
  if (sp !== 1) throw malformedTape();
  return stack[0];
}

module.exports = { withEntryTape, replay, Writer };
