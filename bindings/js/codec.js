// The wire codec of both npm packages in plain JavaScript: the helpers the
// per-message functions (generated from the schema by
// xtask/src/codegen/typescript/codec.rs, placed before this file in each
// package's codec.cjs or codec.js) call, and the two entry points.
//
// It takes the common case only. Whenever the input is anything but an entry
// the native code would accept and write (or read) in the plainest way — a
// value of an unexpected type, a key that is not a field, a malformed or
// unusual encoding, an entry over the size limit — it gives up (returns
// `undefined`), and the package calls the native code, which then returns
// the same result or throws the error it always threw. So the output is the
// native code's for every input (tests/npm/codec.test.js holds it to that),
// and every error still comes from the one Rust implementation.

/** Thrown to give up; caught by the entry points, never seen by callers. */
const BAIL = { bail: true };

function bail() {
  throw BAIL;
}

/** The default `maxEntryBytes` (codec::Limits::DEFAULT). */
const MAX_ENTRY_BYTES = 4 << 20;

// ------------------------------------------------------------- reading

/** The bytes being read, and the position in them. */
let B = new Uint8Array(0);
let P = 0;
/** The high 32 bits of the last varint `rv` read. */
let HI = 0;
let view = null;

/**
 * A varint ending before `end`: its low 32 bits (as an unsigned number);
 * its high 32 bits in `HI`. Gives up on what prost refuses (more than ten
 * bytes, a tenth byte above 1, a varint cut by `end`).
 */
function rv(end) {
  if (P >= end) bail();
  let b = B[P++];
  if (b < 128) {
    HI = 0;
    return b;
  }
  let lo = b & 127;
  let hi = 0;
  for (let i = 1; i < 10; i++) {
    if (P >= end) bail();
    b = B[P++];
    if (i < 4) {
      lo |= (b & 127) << (7 * i);
    } else if (i === 4) {
      lo |= (b & 15) << 28;
      hi = (b & 127) >> 4;
    } else if (i < 9) {
      hi |= (b & 127) << (7 * i - 32);
    } else {
      if (b > 1) bail();
      hi |= b << 31;
    }
    if (b < 128) {
      HI = hi >>> 0;
      return lo >>> 0;
    }
  }
  return bail();
}

/** A field key: its field number times 8 plus its wire type. */
function rkey(end) {
  // One or two bytes: every field of the schema.
  const b = B[P];
  if (b >= 8 && b < 128) {
    P++;
    return b;
  }
  if (b >= 128 && P + 1 < end) {
    const c = B[P + 1];
    if (c !== 0 && c < 128) {
      P += 2;
      return (b & 127) | (c << 7);
    }
  }
  const key = rv(end);
  // prost refuses keys above u32::MAX and field number 0.
  if (HI !== 0 || key < 8) bail();
  return key;
}

/** The length of a length-delimited field, within `end`. */
function rlen(end) {
  if (P < end) {
    const b = B[P];
    if (b < 128 && b < end - P) {
      P++;
      return b;
    }
  }
  const n = rv(end);
  if (HI !== 0 || n > end - P) bail();
  return n;
}

/** The end of the message whose length comes next. */
function rend(end) {
  const n = rlen(end);
  return P + n;
}

/** An `int32` or enum value: the low 32 bits of the varint (prost's `as i32`). */
function rint32(end) {
  return rv(end) | 0;
}

/** An `int64` value as a bigint. */
function rint64(end) {
  const lo = rv(end);
  if (HI === 0) return BigInt(lo);
  return BigInt.asIntN(64, (BigInt(HI) << 32n) | BigInt(lo));
}

function rdouble(end) {
  if (end - P < 8) bail();
  if (view === null || view.buffer !== B.buffer) view = new DataView(B.buffer);
  const v = view.getFloat64(B.byteOffset + P, true);
  P += 8;
  return v;
}

const decoder = new TextDecoder();

/** A `string` value: UTF-8 that is not well-formed is for the native code to refuse. */
function rstring(end) {
  const n = rlen(end);
  const start = P;
  P += n;
  if (n < 64) {
    // Short ASCII text is cheaper to build here, eight characters at a
    // time, than to hand to a decoder.
    let s = "";
    let i = start;
    for (; i + 7 < P; i += 8) {
      const c1 = B[i];
      const c2 = B[i + 1];
      const c3 = B[i + 2];
      const c4 = B[i + 3];
      const c5 = B[i + 4];
      const c6 = B[i + 5];
      const c7 = B[i + 6];
      const c8 = B[i + 7];
      if ((c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) & 0x80) return rutf8(start, P);
      s += String.fromCharCode(c1, c2, c3, c4, c5, c6, c7, c8);
    }
    for (; i < P; i++) {
      const c = B[i];
      if (c & 0x80) return rutf8(start, P);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return rutf8(start, P);
}

/** UTF-8 text that is not all ASCII. */
function rutf8(start, stop) {
  const s = utf8Slice === null ? decoder.decode(B.subarray(start, stop)) : utf8Slice.call(B, start, stop);
  // Both decoders put U+FFFD where the bytes are not UTF-8; prost refuses
  // them. Text holding U+FFFD itself is rare: the native code reads it.
  if (s.indexOf("\uFFFD") !== -1) bail();
  return s;
}

/** A `bytes` value, copied into a new Uint8Array (never a view of the input). */
function rbytes(end) {
  const n = rlen(end);
  P += n;
  return B.slice(P - n, P);
}

/** Skips the value of a field this schema does not define (as prost does). */
function rskip(key, end) {
  switch (key & 7) {
    case 0:
      rv(end);
      return;
    case 1:
      if (end - P < 8) bail();
      P += 8;
      return;
    case 2:
      P += rlen(end);
      return;
    case 5:
      if (end - P < 4) bail();
      P += 4;
      return;
    default:
      // Groups and invalid wire types: for the native code.
      bail();
  }
}

/**
 * `decode(bytes)` without options: the entry, or `undefined` when the native
 * code must answer (for its result or its error).
 */
function decodeEntry(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_ENTRY_BYTES) return undefined;
  // A plain Uint8Array over the same memory (not a Buffer, whose slice()
  // is a view), so that `bytes` fields are copies of the plain kind.
  B = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  P = 0;
  try {
    return LogEntry$decode(bytes.length);
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  } finally {
    B = EMPTY;
    view = null;
  }
}

const EMPTY = new Uint8Array(0);

// ------------------------------------------------------------- writing

/** The buffer being written (reused between calls), and the position in it. */
let W = new Uint8Array(1024);
let Q = 0;
/** Set while an entry is written: a getter that encodes gets the native code. */
let writing = false;

const encoder = new TextEncoder();

function grow(n) {
  let size = W.length * 2;
  while (size < Q + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(W.subarray(0, Q));
  W = next;
}

/** A varint of a number in [0, 2^32). */
function wv(n) {
  if (Q + 5 > W.length) grow(5);
  while (n > 127) {
    W[Q++] = (n & 127) | 128;
    n >>>= 7;
  }
  W[Q++] = n;
}

/** A varint of the 64 bits `hi:lo` (each an unsigned 32-bit number). */
function wv64(lo, hi) {
  if (Q + 10 > W.length) grow(10);
  while (hi !== 0) {
    W[Q++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    W[Q++] = (lo & 127) | 128;
    lo >>>= 7;
  }
  W[Q++] = lo;
}

/** An `int32` or enum value (negative ones take ten bytes, as in prost). */
function wint32(n) {
  if (n >= 0) wv(n);
  else wv64(n >>> 0, 0xffffffff);
}

/** An `int64` value already checked by `int64Of`. */
function wint64(v) {
  if (typeof v === "number" ? v >= 0 && v <= 0xffffffff : v >= 0n && v <= 0xffffffffn) {
    wv(Number(v));
    return;
  }
  const u = BigInt.asUintN(64, BigInt(v));
  wv64(Number(u & 0xffffffffn), Number(u >> 32n));
}

function wdouble(v) {
  if (Q + 8 > W.length) grow(8);
  if (view64 === null || view64.buffer !== W.buffer) view64 = new DataView(W.buffer);
  view64.setFloat64(Q, v, true);
  Q += 8;
}
let view64 = null;

/** The UTF-8 length of `s` (lone surrogates count as U+FFFD, as napi and TextEncoder write them). */
function utf8Length(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        // A pair: two UTF-16 units, four bytes.
        n += 2;
        i++;
      } else {
        n += 2;
      }
    } else {
      n += 2;
    }
  }
  return n;
}

/** A string's length and UTF-8 bytes. */
function wstring(s) {
  const n = s.length;
  if (n < 43) {
    // At most 126 bytes: the length takes one byte, written last.
    if (Q + 1 + 3 * n > W.length) grow(1 + 3 * n);
    const at = Q++;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        W[Q++] = c;
      } else {
        Q = at + 1;
        Q += encoder.encodeInto(s, W.subarray(Q)).written;
        break;
      }
    }
    W[at] = Q - at - 1;
    return;
  }
  const len = utf8Length(s);
  wv(len);
  if (Q + len > W.length) grow(len);
  if (utf8Write !== null) {
    utf8Write.call(W, s, Q, len);
  } else {
    encoder.encodeInto(s, W.subarray(Q, Q + len));
  }
  Q += len;
}

function wbytes(b) {
  const n = b.length;
  wv(n);
  if (Q + n > W.length) grow(n);
  W.set(b, Q);
  Q += n;
}

/** Reserves one byte for the length of the message written next; returns its place. */
function wbegin() {
  if (Q + 1 > W.length) grow(1);
  return Q++;
}

/** Writes the length of the message begun at `at`, moving it when it needs more than one byte. */
function wend(at) {
  const n = Q - at - 1;
  if (n < 128) {
    W[at] = n;
    return;
  }
  let size = 1;
  for (let m = n >>> 7; m > 0; m >>>= 7) size++;
  if (Q + size > W.length) grow(size);
  W.copyWithin(at + size, at + 1, Q);
  Q = at;
  wv(n);
  Q += n;
}

/** The value of a `string` field as the native reader accepts it. */
function stringOf(v) {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  return bail();
}

function bytesOf(v) {
  if (v instanceof Uint8Array) return v;
  if (v === undefined || v === null) return EMPTY;
  return bail();
}

/** An `int32` or an enum value: an integral number in range. */
function int32Of(v) {
  if (typeof v === "number") {
    if ((v | 0) === v) return v;
    if (v === 0) return 0; // -0
    return bail();
  }
  if (v === undefined || v === null) return 0;
  return bail();
}

/** An `int64`: a bigint in range or a safe integer (decimal strings: for the native code). */
function int64Of(v) {
  if (typeof v === "bigint") {
    if (BigInt.asIntN(64, v) !== v) bail();
    return v === 0n ? 0 : v;
  }
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) bail();
    return v === 0 ? 0 : v;
  }
  if (v === undefined || v === null) return 0;
  return bail();
}

function doubleOf(v) {
  if (typeof v === "number") return v;
  return bail();
}

/** A message value: an object. */
function messageOf(v) {
  if (typeof v === "object" && v !== null) return v;
  return bail();
}

/** An `Array` (a repeated field), or `undefined` for an unset one. */
function arrayOf(v) {
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) return undefined;
  return bail();
}

/** Gives up on an object holding a key that is not a field (the native code names it). */
function checkKeys(o, fields) {
  for (const k in o) {
    if (!fields.has(k) && k.charCodeAt(0) !== 36) bail();
  }
}

/** A Timestamp field: `{ seconds, nanos }` or a `Date`. */
function wtimestamp(key, v) {
  if (v instanceof Date) {
    const ms = v.getTime();
    if (!Number.isFinite(ms)) bail();
    const seconds = Math.floor(ms / 1000);
    const nanos = Math.round((ms - seconds * 1000) * 1_000_000);
    wv(key);
    const at = wbegin();
    if (seconds !== 0) {
      wv(8);
      wint64(seconds);
    }
    if (nanos !== 0) {
      wv(16);
      wint32(nanos);
    }
    wend(at);
    return;
  }
  // A Date of another realm, or anything else with a getTime(): for the native code.
  if (typeof v.getTime === "function") bail();
  wv(key);
  const at = wbegin();
  Timestamp$encode(v);
  wend(at);
}

/**
 * `encode(entry)` without options: the bytes, or `undefined` when the
 * native code must answer.
 */
function encodeEntry(entry) {
  if (typeof entry !== "object" || entry === null || writing) return undefined;
  if (ArrayBuffer.isView(entry) || Array.isArray(entry)) return undefined;
  writing = true;
  Q = 0;
  try {
    LogEntry$encode(entry);
    if (Q > MAX_ENTRY_BYTES) return undefined;
    return W.slice(0, Q);
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  } finally {
    writing = false;
    if (W.length > 1 << 20) W = new Uint8Array(1024);
  }
}

// ------------------------------------------------------------- canonical JSON

/** An enum value: its name, or its number when the schema does not know it. */
function enumJson(names, v) {
  const name = names[v];
  return name === undefined ? v : name;
}

/**
 * A `double`, when JavaScript prints it as the core does (Rust's `ryu`):
 * fractions between 1e-5 and 1e15. Integral values ("1.0"), zero and the
 * exponent forms are left to the native code.
 */
function doubleJson(v) {
  if (v !== v) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  const a = Math.abs(v);
  if (a >= 1e-5 && a < 1e15 && !Number.isInteger(v)) return v;
  return bail();
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64, with padding. */
function base64(b) {
  if (base64Slice !== null) return base64Slice.call(b, 0, b.length);
  let s = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += BASE64[n >> 18] + BASE64[(n >> 12) & 63] + BASE64[(n >> 6) & 63] + BASE64[n & 63];
  }
  if (i + 1 === b.length) {
    const n = b[i] << 16;
    s += `${BASE64[n >> 18]}${BASE64[(n >> 12) & 63]}==`;
  } else if (i + 2 === b.length) {
    const n = (b[i] << 16) | (b[i + 1] << 8);
    s += `${BASE64[n >> 18]}${BASE64[(n >> 12) & 63]}${BASE64[(n >> 6) & 63]}=`;
  }
  return s;
}

/** A Timestamp (`{ seconds, nanos }` or a `Date`) as RFC 3339 in UTC, within years 1-9999. */
function timestampJson(v) {
  let seconds;
  let nanos;
  if (v instanceof Date) {
    const ms = v.getTime();
    if (!Number.isFinite(ms)) bail();
    seconds = Math.floor(ms / 1000);
    nanos = Math.round((ms - seconds * 1000) * 1_000_000);
  } else {
    if (typeof v.getTime === "function") bail();
    seconds = Number(int64Of(v.seconds));
    nanos = int32Of(v.nanos);
    checkKeys(v, Timestamp$fields);
  }
  if (seconds < -62_135_596_800 || seconds > 253_402_300_799 || nanos < 0 || nanos > 999_999_999) bail();
  let s = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos !== 0) {
    if (nanos % 1_000_000 === 0) s += `.${String(nanos / 1_000_000).padStart(3, "0")}`;
    else if (nanos % 1000 === 0) s += `.${String(nanos / 1000).padStart(6, "0")}`;
    else s += `.${String(nanos).padStart(9, "0")}`;
  }
  return `${s}Z`;
}

/**
 * Characters of JSON.stringify's output that the core writes otherwise: the
 * line breaks U+0085, U+2028 and U+2029 (escaped by the core) and escaped
 * lone surrogates (U+FFFD in the core, which only sees well-formed text).
 */
const JSON_DIFFERS = /[\u0085\u2028\u2029]|\\u[dD][89abcdefABCDEF]/;

/**
 * `toJsonString(entry)` of an entry object: the canonical JSON text, or
 * `undefined` when the native code must answer. An encoded entry is for the
 * native code too, which reads and writes it without building an object.
 */
function toJsonEntry(entry) {
  if (typeof entry !== "object" || entry === null || ArrayBuffer.isView(entry) || Array.isArray(entry)) {
    return undefined;
  }
  let text;
  try {
    text = JSON.stringify(LogEntry$json(entry));
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
  // indexOf first: a search for a character outside Latin-1 in a one-byte
  // string returns at once, where the regular expression walks the text.
  const suspect =
    text.indexOf("\\u") !== -1 ||
    text.indexOf("\u0085") !== -1 ||
    text.indexOf("\u2028") !== -1 ||
    text.indexOf("\u2029") !== -1;
  return suspect && JSON_DIFFERS.test(text) ? undefined : text;
}
