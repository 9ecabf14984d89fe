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
// described in bindings/js/src/tape.rs, its other half. The writer is the
// one both npm packages share (bindings/js/tape_writer.js, which the npm
// build copies here as tape_writer.js); this package's strings and kinds of
// objects are its own.

import { TapeWriter, malformedTape, tapeBuilder } from "./tape_writer.js";
import {
  T_ARRAY,
  T_BIGINT,
  T_BUILD,
  T_BYTES,
  T_DATE,
  T_FALSE,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  T_TRUE,
  T_UNDEFINED,
} from "./tape_tags.js";

const LOG_ENTRY = 0;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

// The shared writer (tape_writer.js) with this package's strings (UTF-8 in
// the buffer) and kinds of objects (what `instanceof` and `Array.isArray`
// say).
class Writer extends TapeWriter {
  constructor() {
    super(4096);
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

  // An object, as the module asks about it. An Array nested in an Array is
  // not read further: no field holds one, and the module asks only that it
  // is an object.
  object(v, nested) {
    if (v instanceof Uint8Array) {
      this.bytes(v);
    } else if (Array.isArray(v) && !nested) {
      const n = v.length;
      this.tagged(T_ARRAY, n);
      for (let i = 0; i < n; i++) this.value(v[i], true);
    } else if (v instanceof Date) {
      this.f64(T_DATE, v.getTime());
    } else {
      this.tag(T_OBJECT);
    }
  }

  isArray(v) {
    return Array.isArray(v);
  }

  isDate(v) {
    return v instanceof Date;
  }

  time(v) {
    return v.getTime();
  }
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
    w.message(v, LOG_ENTRY);
  } else {
    w.value(v, false);
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
      w.value(v, false);
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
        stack.push(tapeBuilder(code, m).apply(undefined, args));
        break;
      }
      default:
        throw malformedTape();
    }
  }
  return stack[0];
}

