// The writer of input tapes that both npm packages share, and the factory
// lookup of their output tapes: the npm build (xtask/src/codegen/
// typescript/tape.rs) copies it into `bindings/node/tape_writer.cjs` and
// `bindings/wasm/tape_writer.js`, with the imports and exports of each
// package's module syntax, so that it exists once. The format is described
// in bindings/js/src/tape.rs.
//
// What differs between the packages is left to a subclass of
// `TapeWriter`: how a string goes on the tape (the Node package gathers
// the strings in one JavaScript string, the wasm one encodes them as
// UTF-8), and how objects are told apart (`object`, `isArray`, `isDate`,
// `time`: as Node-API tells them apart, or with `instanceof`). Everything
// else (every tag, every message, in the order the engine reads them) is
// here.

// google.protobuf.Timestamp, which also takes a Date.
const TIMESTAMP = messageFactories.findIndex((f) => f().$typeName === "google.protobuf.Timestamp");

class TapeWriter {
  // A writer of a new buffer of `size` bytes, or of `buf` (and its
  // DataView `view`) when given.
  constructor(size, buf, view) {
    this.buf = buf ?? new Uint8Array(size);
    this.view = view ?? new DataView(this.buf.buffer);
    this.pos = 0;
    this.busy = false;
    // A package's writer may set this to its copy of the list it just
    // wrote; `message` puts it among the values it returns instead of the
    // caller's list.
    this.copy = undefined;
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

  bytes(v) {
    this.tagged(T_BYTES, v.length);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  // A value as it is (what `typeof` says of it, objects by `object`).
  value(v, nested) {
    // The usual kinds first, each tested on its own (cheaper than the
    // name of the type that a switch on it makes).
    if (typeof v === "string") {
      this.string(v);
      return;
    }
    if (v === undefined) {
      this.tag(T_UNDEFINED);
      return;
    }
    if (typeof v === "number") {
      this.f64(T_NUMBER, v);
      return;
    }
    switch (typeof v) {
      case "undefined":
        this.tag(T_UNDEFINED);
        return;
      case "boolean":
        this.tag(v ? T_TRUE : T_FALSE);
        return;
      case "number":
        this.f64(T_NUMBER, v);
        return;
      case "string":
        this.string(v);
        return;
      case "bigint":
        if (BigInt.asIntN(64, v) === v) {
          this.reserve(9);
          this.buf[this.pos] = T_BIGINT;
          this.view.setBigInt64(this.pos + 1, v, true);
          this.pos += 9;
        } else {
          this.tag(T_BIGINT_OUT_OF_RANGE);
        }
        return;
      case "symbol":
        this.tag(T_SYMBOL);
        return;
      case "object":
        if (v === null) this.tag(T_NULL);
        else this.object(v, nested);
        return;
      default:
        this.tag(T_FUNCTION);
    }
  }

  // A message object of messageFactories[m], as the values its reader
  // reads (the engine asks nothing else of it); returns them.
  message(o, m) {
    const values = messageReaders[m](o);
    const shape = messageShapes[m];
    const n = values.length;
    this.tagged(T_MESSAGE, n);
    for (let i = 0; i < n; i++) {
      const s = i < shape.length ? shape[i] : 0;
      const v = values[i];
      if (s === 0) {
        this.value(v, false);
        if (this.copy !== undefined) {
          values[i] = this.copy;
          this.copy = undefined;
        }
      } else if (s > 0) this.field(v, s - 1, true);
      else this.list(v, -s - 1);
    }
    return values;
  }

  // The value of a message field (or an element of a repeated one).
  field(v, m, single) {
    if (typeof v !== "object" || v === null) {
      this.value(v, false);
    } else if (single && m === TIMESTAMP && this.isDate(v)) {
      this.f64(T_DATE, this.time(v));
    } else {
      this.message(v, m);
    }
  }

  list(v, m) {
    if (!this.isArray(v)) {
      this.value(v, false);
      return;
    }
    const n = v.length;
    this.tagged(T_ARRAY, n);
    for (let i = 0; i < n; i++) this.field(v[i], m, false);
  }
}

/** The factory the operation T_BUILD `code` of an output tape calls (`m`: the message). */
function tapeBuilder(code, m) {
  const name = FACTORIES[code];
  if (name === undefined) throw malformedTape();
  return name === null ? messageFactories[m] : factories[name];
}

/** What a tape this package's native half did not write (a bug, never expected) throws. */
function malformedTape() {
  return new Error(`${PACKAGE}: malformed output tape (reinstall the package)`);
}
