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
  const stop = start + n;
  P = stop;
  if (n < 64) {
    // Short ASCII text is cheaper to build here than to hand to a decoder
    // (TextDecoder costs hundreds of nanoseconds a call in Chromium): text
    // under 16 bytes in one `String.fromCharCode` call, longer text eight
    // bytes a call and the last 8 to 15 in one more, with no
    // character-by-character concatenation. In Node, from 16 characters,
    // Node's own decoder is cheaper still (and its string is flat, not a
    // rope), with no scan of the bytes first: ASCII text gives a one-byte
    // string, in which `rutf8`'s search for U+FFFD ends at once.
    if (n >= 16 && utf8Slice !== null) return rutf8(start, stop);
    const b = B;
    let s = "";
    let i = start;
    for (; stop - i >= 16; i += 8) {
      const c1 = b[i];
      const c2 = b[i + 1];
      const c3 = b[i + 2];
      const c4 = b[i + 3];
      const c5 = b[i + 4];
      const c6 = b[i + 5];
      const c7 = b[i + 6];
      const c8 = b[i + 7];
      if ((c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) & 0x80) return rutf8(start, stop);
      s += String.fromCharCode(c1, c2, c3, c4, c5, c6, c7, c8);
    }
    // The last 0 to 15 bytes in one call, spelt out for each count (a call
    // per eight bytes and another for the rest cost more in Chromium, and a
    // function of its own for this is called by V8 rather than inlined):
    // the switch is written here by xtask/src/codegen/typescript/codec.rs.
    // @tail-switch
  }
  return rutf8(start, stop);
}

/** UTF-8 text that is not all ASCII. */
function rutf8(start, stop) {
  const s = utf8Slice === null ? decoder.decode(B.subarray(start, stop)) : utf8Slice.call(B, start, stop);
  // Both decoders put U+FFFD where the bytes are not UTF-8; prost refuses
  // them. Text holding U+FFFD itself is rare: the native code reads it.
  if (s.indexOf("\uFFFD") !== -1) bail();
  return s;
}

/**
 * An `int64` value as a number while it is a safe integer, else as a
 * bigint (never 0n): the same decimal text either way.
 */
function rint64n(end) {
  const lo = rv(end);
  if (HI === 0) return lo;
  if (HI < 0x200000) return HI * 4294967296 + lo;
  return BigInt.asIntN(64, (BigInt(HI) << 32n) | BigInt(lo));
}

/** A `bytes` value as its standard base64 (for JSON), read in place. */
function rbase64(end) {
  const n = rlen(end);
  P += n;
  if (n === 0) return "";
  if (base64Slice !== null) return base64Slice.call(B, P - n, P);
  return base64(B.subarray(P - n, P));
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
    case 2: {
      // Not `P += rlen(end)`: that adds to P as it was before the length was read.
      const n = rlen(end);
      P += n;
      return;
    }
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

/**
 * A string of fewer than 43 characters (at most 126 bytes: its length takes
 * one byte, written last) at Q, for which room was made.
 */
function wshort(s) {
  // Locals, not the module's W and Q, in the loop.
  const w = W;
  const at = Q;
  let q = at + 1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      q = at + 1 + encoder.encodeInto(s, w.subarray(at + 1)).written;
      break;
    }
    w[q++] = c;
  }
  w[at] = q - at - 1;
  Q = q;
}

/** A string's length and UTF-8 bytes. */
function wstring(s) {
  const n = s.length;
  if (n < 43) {
    if (Q + 1 + 3 * n > W.length) grow(1 + 3 * n);
    wshort(s);
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

/** A key of one byte (below 128) and then string `s`, as `wv(key); wstring(s)` write them. */
function wkstring(key, s) {
  const n = s.length;
  if (n < 43) {
    if (Q + 2 + 3 * n > W.length) grow(2 + 3 * n);
    W[Q++] = key;
    wshort(s);
    return;
  }
  wv(key);
  wstring(s);
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

/** An enum value as JSON: its quoted name, or its number when the schema does not know it. */
function enumJson(names, v) {
  const name = names[v];
  return name === undefined ? String(v) : name;
}

/**
 * The characters a string cannot be written with as it is: those JSON
 * escapes (controls, quotation mark, backslash), the line breaks U+0085,
 * U+2028 and U+2029 (escaped by the core, not by `JSON.stringify`) and
 * surrogates (a lone one is U+FFFD in the core, which only sees well-formed
 * text). One test per string: most strings hold none, and are written
 * between quotes as they are, with no scan of the whole text afterwards.
 */
const NEEDS_CARE = /[\u0000-\u001f"\\\u0085\u2028\u2029\ud800-\udfff]/;

/**
 * Characters of `JSON.stringify`'s output that the core writes otherwise:
 * the three line breaks above, and escaped lone surrogates.
 */
const JSON_DIFFERS = /[\u0085\u2028\u2029]|\\u[dD][89abcdefABCDEF]/;

/**
 * A JSON string holding a character of `NEEDS_CARE`: `JSON.stringify`'s
 * escapes, which are the core's, or the native code when they would differ.
 * (The generated writers test `NEEDS_CARE` themselves and call this only on
 * a match.)
 */
function quoteWithCare(s) {
  const text = JSON.stringify(s);
  return JSON_DIFFERS.test(text) ? bail() : text;
}

/** A JSON string. */
function quote(s) {
  return NEEDS_CARE.test(s) ? quoteWithCare(s) : `"${s}"`;
}

/**
 * A `double`, when JavaScript prints it as the core does (Rust's `ryu`):
 * fractions between 1e-5 and 1e15. Integral values ("1.0"), zero and the
 * exponent forms are left to the native code.
 */
function doubleJson(v) {
  if (v !== v) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  const a = Math.abs(v);
  if (a >= 1e-5 && a < 1e15 && !Number.isInteger(v)) return String(v);
  return bail();
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Every pair of base64 digits, by the twelve bits they encode (built on first use). */
let BASE64_PAIRS = null;

/** `Uint8Array.prototype.toBase64`, where the engine has it (browsers since 2025; not Node 20). */
const toBase64 = typeof Uint8Array.prototype.toBase64 === "function" ? Uint8Array.prototype.toBase64 : null;

/** Standard base64, with padding. */
function base64(b) {
  if (base64Slice !== null) return base64Slice.call(b, 0, b.length);
  if (toBase64 !== null) return toBase64.call(b);
  if (BASE64_PAIRS === null) {
    BASE64_PAIRS = new Array(4096);
    for (let i = 0; i < 4096; i++) BASE64_PAIRS[i] = BASE64[i >> 6] + BASE64[i & 63];
  }
  const pairs = BASE64_PAIRS;
  let s = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += pairs[n >> 12] + pairs[n & 4095];
  }
  if (i + 1 === b.length) {
    s += `${pairs[b[i] << 4]}==`;
  } else if (i + 2 === b.length) {
    const n = (b[i] << 10) | (b[i + 1] << 2);
    s += `${pairs[n >> 6]}${BASE64[n & 63]}=`;
  }
  return s;
}

/** "00" to "99". */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

/**
 * `YYYY-MM-DDTHH:MM:SS` of seconds since the epoch (years 1-9999), by
 * Howard Hinnant's `civil_from_days`: no Date object per call.
 */
function civilTime(seconds) {
  const days = Math.floor(seconds / 86_400);
  let rest = seconds - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  const second = rest - minute * 60;
  return `${TWO_DIGITS[Math.floor(year / 100)]}${TWO_DIGITS[year % 100]}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}`;
}

/** "000" to "999". */
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/**
 * A Timestamp (`{ seconds, nanos }` or a `Date`) as a JSON string of RFC
 * 3339 in UTC (quotes included), within years 1-9999.
 */
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
  return timestampText(seconds, nanos);
}

/** A Timestamp's seconds and nanos as `timestampJson` writes them. */
function timestampText(seconds, nanos) {
  if (seconds < -62_135_596_800 || seconds > 253_402_300_799 || nanos < 0 || nanos > 999_999_999) bail();
  const s = civilTime(seconds);
  if (nanos === 0) return `"${s}Z"`;
  if (nanos % 1_000_000 === 0) return `"${s}.${THREE_DIGITS[nanos / 1_000_000]}Z"`;
  if (nanos % 1000 === 0) return `"${s}.${String(nanos / 1000).padStart(6, "0")}Z"`;
  return `"${s}.${String(nanos).padStart(9, "0")}Z"`;
}

/**
 * `toJsonString(entry)` of an entry object: the canonical JSON text, or
 * `undefined` when the native code must answer. An encoded entry is for the
 * native code too, which reads and writes it without building an object.
 */
function toJsonEntry(entry) {
  if (typeof entry !== "object" || entry === null || ArrayBuffer.isView(entry) || Array.isArray(entry)) {
    return undefined;
  }
  try {
    return LogEntry$json(entry);
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
}

/**
 * `toJsonString(bytes)` of an encoded entry: its canonical JSON text,
 * written straight from the wire (no entry object in between), or
 * `undefined` when the native code must answer: where `decodeEntry` would
 * give up, and where `toJsonEntry` would on the entry it returns.
 */
function toJsonBytes(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_ENTRY_BYTES) return undefined;
  B = bytes;
  P = 0;
  try {
    return LogEntry$wireJson(bytes.length);
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  } finally {
    B = EMPTY;
    view = null;
  }
}

// ------------------------------------------------------------- reading proto3 JSON

/** The JSON text being read, and the position in it. */
let S = "";
let I = 0;
/** The first backslash at or after the string being read (-1: none). */
let BSL = -1;
/** Whether the text holds a control character (inside a string, one is an error). */
let CTL = false;
/** Set by `jnumber`: whether the number had no fraction and no exponent; whether it had an exponent. */
let PLAIN = false;
let EXP = false;
/** Set by `jtimestamp`. */
let TS_SECONDS = 0;
let TS_NANOS = 0;

const CONTROL = /[\u0000-\u001f]/;
/** A lone surrogate (for engines without String.prototype.isWellFormed). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A JSON number, as a double field's string may spell one. */
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
/** A decimal integer as Rust's `str::parse` reads one. */
const DECIMAL = /^[+-]?[0-9]+$/;

/** Skips JSON whitespace; the code of the character after it (NaN at the end). */
function jws() {
  let c = S.charCodeAt(I);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = S.charCodeAt(++I);
  return c;
}

/** Consumes `open` (`{` or `[`), which must come next. */
function jopen(open) {
  if (S.charCodeAt(I) !== open) bail();
  I++;
}

/**
 * Whether another member or element follows in the object or array being
 * read (its comma consumed, the whitespace before it skipped); consumes
 * `close` at the end.
 */
function jmore(close, first) {
  const c = jws();
  if (c === close) {
    I++;
    return false;
  }
  if (!first) {
    if (c !== 44) bail();
    I++;
    jws();
  }
  return true;
}

/**
 * The index of the field a key names, in `keys` (either spelling); the
 * colon after it consumed. A key with an escape, or that is not a field,
 * gives up.
 */
function jkey(keys) {
  if (S.charCodeAt(I) !== 34) bail();
  const end = S.indexOf('"', I + 1);
  if (end === -1) bail();
  const k = keys.get(S.slice(I + 1, end));
  if (k === undefined) bail();
  I = end + 1;
  if (jws() !== 58) bail();
  I++;
  jws();
  return k;
}

/** Consumes a `null` if one comes next. */
function jnull() {
  if (S.charCodeAt(I) !== 110) return false;
  if (!S.startsWith("null", I)) bail();
  I += 4;
  return true;
}

/** A JSON string. */
function jstr() {
  if (S.charCodeAt(I) !== 34) bail();
  const start = I + 1;
  const end = S.indexOf('"', start);
  if (end === -1) bail();
  if (BSL !== -1 && BSL < end) {
    if (BSL < start) bail(); // a backslash outside any string
    return jescaped(start);
  }
  if (CTL) {
    for (let i = start; i < end; i++) if (S.charCodeAt(i) < 32) bail();
  }
  I = end + 1;
  return S.slice(start, end);
}

/** The four hex digits at `i`. */
function jhex(i) {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = S.charCodeAt(k);
    let d;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return bail();
    v = v * 16 + d;
  }
  return v;
}

/** A string with escapes, from `start` (after its opening quote). */
function jescaped(start) {
  let out = "";
  let i = start;
  let from = start;
  for (;;) {
    const c = S.charCodeAt(i);
    if (c === 34) break;
    if (c !== 92) {
      // The end of the text (NaN) or a control character.
      if (!(c >= 32)) bail();
      i++;
      continue;
    }
    out += S.slice(from, i);
    const e = S.charCodeAt(i + 1);
    i += 2;
    switch (e) {
      case 34:
        out += '"';
        break;
      case 92:
        out += "\\";
        break;
      case 47:
        out += "/";
        break;
      case 98:
        out += "\b";
        break;
      case 102:
        out += "\f";
        break;
      case 110:
        out += "\n";
        break;
      case 114:
        out += "\r";
        break;
      case 116:
        out += "\t";
        break;
      case 117: {
        const u = jhex(i);
        i += 4;
        if (u >= 0xd800 && u < 0xe000) {
          // Only a pair: a lone surrogate is an error for the native reader.
          if (u >= 0xdc00 || S.charCodeAt(i) !== 92 || S.charCodeAt(i + 1) !== 117) bail();
          const l = jhex(i + 2);
          if (l < 0xdc00 || l >= 0xe000) bail();
          i += 6;
          out += String.fromCharCode(u, l);
        } else {
          out += String.fromCharCode(u);
        }
        break;
      }
      default:
        bail();
    }
    from = i;
  }
  out += S.slice(from, i);
  I = i + 1;
  BSL = S.indexOf("\\", I);
  return out;
}

/** A JSON number token; `PLAIN` and `EXP` tell its form. */
function jnumber() {
  const start = I;
  let c = S.charCodeAt(I);
  const negative = c === 45;
  if (negative) c = S.charCodeAt(++I);
  let v = 0;
  if (c === 48) {
    c = S.charCodeAt(++I);
  } else if (c >= 49 && c <= 57) {
    do {
      v = v * 10 + (c - 48);
      c = S.charCodeAt(++I);
    } while (c >= 48 && c <= 57);
  } else {
    bail();
  }
  PLAIN = true;
  EXP = false;
  if (c === 46) {
    PLAIN = false;
    c = S.charCodeAt(++I);
    if (!(c >= 48 && c <= 57)) bail();
    do c = S.charCodeAt(++I);
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    PLAIN = false;
    EXP = true;
    c = S.charCodeAt(++I);
    if (c === 43 || c === 45) c = S.charCodeAt(++I);
    if (!(c >= 48 && c <= 57)) bail();
    do c = S.charCodeAt(++I);
    while (c >= 48 && c <= 57);
  }
  // Up to 15 digits, the sum is exact.
  if (PLAIN && I - start <= 15) return negative ? -v : v;
  return +S.slice(start, I);
}

/** A negative zero: a float to serde_json, which integer readers take differently. */
function negativeZero(v) {
  return v === 0 && 1 / v < 0;
}

/** An `int32` field: an integral number or a decimal string, in range. */
function jint32() {
  let v;
  if (S.charCodeAt(I) === 34) {
    const s = jstr();
    if (!DECIMAL.test(s) || s.length > 12) bail();
    v = +s;
  } else {
    v = jnumber();
    // Integral floats (1.0, 1e3) are read as integers by the native reader.
    if (!PLAIN && !Number.isInteger(v)) bail();
  }
  if (!(v >= -2147483648 && v <= 2147483647)) bail();
  return v | 0;
}

/** An `int64` field, as a bigint. */
function jint64() {
  if (S.charCodeAt(I) === 34) {
    const s = jstr();
    if (!DECIMAL.test(s) || s.length > 25) bail();
    const v = BigInt(s);
    if (BigInt.asIntN(64, v) !== v) bail();
    return v;
  }
  const start = I;
  const v = jnumber();
  if (PLAIN) {
    if (Number.isSafeInteger(v)) return BigInt(v);
    if (I - start > 25) bail();
    const b = BigInt(S.slice(start, I));
    if (BigInt.asIntN(64, b) !== b) bail();
    return b;
  }
  if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 63) bail();
  return BigInt(v);
}

/** An enum field: a value's name, or a number (proto3 enums are open). */
function jenum(byName) {
  if (S.charCodeAt(I) === 34) {
    const v = byName.get(jstr());
    if (v === undefined) bail();
    return v;
  }
  const v = jnumber();
  // The native reader refuses floats (1.0, -0) for enums.
  if (!PLAIN || negativeZero(v) || !(v >= -2147483648 && v <= 2147483647)) bail();
  return v;
}

/** A `double` field: a number, or a string holding one, "NaN", "Infinity" or "-Infinity". */
function jdouble() {
  if (S.charCodeAt(I) === 34) {
    const s = jstr();
    if (s === "NaN") return Number.NaN;
    if (s === "Infinity") return Number.POSITIVE_INFINITY;
    if (s === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (!NUMBER.test(s)) bail();
    const v = +s;
    if (!Number.isFinite(v) || (v === 0 && /[eE]/.test(s))) bail();
    return v;
  }
  const v = jnumber();
  // Out of range, or an exponent that rounds to zero: for the native reader.
  if (!Number.isFinite(v) || (v === 0 && EXP)) bail();
  return v;
}

/** The value of each base64 character (standard and URL-safe), -1 for others. */
const BASE64_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64_VALUES[BASE64.charCodeAt(i)] = i;
BASE64_VALUES[45] = 62; // -
BASE64_VALUES[95] = 63; // _

/**
 * A `bytes` field: base64, standard or URL-safe, padded or not. Uncommon
 * padding, and the two alphabets mixed, are for the native reader.
 */
function jbytes() {
  const s = jstr();
  let n = s.length;
  if (n > 0 && s.charCodeAt(n - 1) === 61) {
    if (n % 4 !== 0) bail();
    const pads = s.charCodeAt(n - 2) === 61 ? 2 : 1;
    n -= pads;
    if (n % 4 !== 4 - pads) bail();
  }
  if (n % 4 === 1) bail();
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let standard = false;
  let urlSafe = false;
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? BASE64_VALUES[c] : -1;
    if (d < 0) bail();
    if (c === 43 || c === 47) standard = true;
    else if (c === 45 || c === 95) urlSafe = true;
    bits = (bits << 6) | d;
    if (++count === 4) {
      out[o++] = bits >> 16;
      out[o++] = (bits >> 8) & 255;
      out[o++] = bits & 255;
      bits = 0;
      count = 0;
    }
  }
  if (standard && urlSafe) bail();
  // Trailing bits are ignored, as the native reader ignores them.
  if (count === 2) {
    out[o] = bits >> 4;
  } else if (count === 3) {
    out[o++] = bits >> 10;
    out[o] = (bits >> 2) & 255;
  }
  return out;
}

/** Two decimal digits at `i` of `s`. */
function digits2(s, i) {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) bail();
  return a * 10 + b;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`). */
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * A Timestamp field: RFC 3339, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`,
 * read as the native reader reads it (digits past the ninth of a fraction
 * dropped, a leap second as :59, the offset subtracted), within years
 * 1-9999 in UTC. Sets TS_SECONDS and TS_NANOS.
 */
function jtimestamp() {
  const s = jstr();
  const n = s.length;
  if (n < 20) bail();
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) bail();
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) bail();
  const year = digits2(s, 0) * 100 + digits2(s, 2);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  const hour = digits2(s, 11);
  const minute = digits2(s, 14);
  let second = digits2(s, 17);
  let i = 19;
  let nanos = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    let count = 0;
    for (;;) {
      const d = s.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      if (count < 9) nanos = nanos * 10 + d;
      count++;
      i++;
    }
    if (count === 0) bail();
    for (; count < 9; count++) nanos *= 10;
  }
  let offset = 0;
  const c = s.charCodeAt(i);
  if (c === 90 && i + 1 === n) {
    // UTC
  } else if ((c === 43 || c === 45) && i + 6 === n && s.charCodeAt(i + 3) === 58) {
    const oh = digits2(s, i + 1);
    const om = digits2(s, i + 4);
    if (oh > 23 || om > 59) bail();
    offset = (oh * 3600 + om * 60) * (c === 43 ? 1 : -1);
  } else {
    bail();
  }
  if (second === 60) second = 59;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) bail();
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  if (seconds < -62_135_596_800 || seconds > 253_402_300_799) bail();
  TS_SECONDS = seconds;
  TS_NANOS = nanos;
}

/** The longest text read here: every UTF-16 unit is at most 3 UTF-8 bytes of the default 16 MiB limit. */
const MAX_JSON_UNITS = Math.floor((16 << 20) / 3);

/**
 * `fromJsonString(text)` without options: the entry, or `undefined` when
 * the native code must answer (for its result or its error).
 */
function fromJsonEntry(text) {
  if (typeof text !== "string" || text.length > MAX_JSON_UNITS) return undefined;
  // Lone surrogates reach the native reader as U+FFFD.
  if (typeof text.isWellFormed === "function" ? !text.isWellFormed() : LONE_SURROGATE.test(text)) return undefined;
  S = text;
  I = 0;
  BSL = text.indexOf("\\");
  CTL = CONTROL.test(text);
  try {
    jws();
    const entry = LogEntry$fromJson();
    jws();
    return I === S.length ? entry : undefined;
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  } finally {
    S = "";
  }
}
