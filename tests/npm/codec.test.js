// The wire codec generated in JavaScript (codec.cjs / codec.js, from
// xtask/src/codegen/typescript/codec.rs) against the native one it stands in
// for. `encode(x)` and `decode(b)` take the JavaScript path when they can;
// with an options object (`{}`) they always take the native one. Both must
// give the same bytes, the same object or the same error, for every golden
// vector, every entry of vectors.js, odd values, and mutated bytes.

import { assert, outcome, random, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";
import { entries, goldenVectors } from "./vectors.js";

const codec = binding === "node"
  ? (await import("../../bindings/node/codec.cjs")).default
  : await import("../../bindings/wasm/codec.js");

const golden = await goldenVectors();
const NATIVE = {};

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function sameAsNative(what, js, native) {
  assert.deepEqual(js, native, what);
}

test(`${packageName}: every golden vector decodes in JavaScript to the native object and encodes back to its bytes`, () => {
  assert.ok(golden.length > 50);
  for (const v of golden) {
    const fast = codec.decodeEntry(v.binary);
    assert.notEqual(fast, undefined, `${v.name}: the JavaScript decoder gave up`);
    assert.deepEqual(fast, lib.decode(v.binary, NATIVE), v.name);
    assert.deepEqual(lib.decode(v.binary), fast, v.name);
    const bytes = codec.encodeEntry(fast);
    assert.notEqual(bytes, undefined, `${v.name}: the JavaScript encoder gave up`);
    assert.equal(hex(bytes), hex(v.binary), v.name);
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, `${v.name}: a plain Uint8Array`);
    assert.equal(hex(lib.encode(fast)), hex(lib.encode(fast, NATIVE)), v.name);
  }
});

test(`${packageName}: the JavaScript encoder writes the native bytes for every test entry`, () => {
  for (const entry of entries) {
    const fast = codec.encodeEntry(entry);
    assert.notEqual(fast, undefined, `gave up on ${JSON.stringify(Object.keys(entry))}`);
    assert.equal(hex(fast), hex(lib.encode(entry, NATIVE)));
    assert.deepEqual(codec.decodeEntry(fast), lib.decode(fast, NATIVE));
  }
});

/** Odd but valid values, and invalid ones: the same bytes or the same error either way. */
const oddEntries = [
  { eventType: -1, outcome: 2147483647, severity: -2147483648 },
  { eventType: -0, durationMs: -0 },
  { durationMs: -1n },
  { durationMs: 9223372036854775807n },
  { durationMs: -9223372036854775808n },
  { durationMs: 9007199254740991 },
  { durationMs: -9007199254740991 },
  { durationMs: 4294967296 },
  { durationMs: 4294967295 },
  { durationMs: "12345" },
  { durationMs: "-9223372036854775808" },
  { durationMs: 9223372036854775808n },
  { durationMs: 1.5 },
  { durationMs: 2 ** 60 },
  { time: new Date(0) },
  { time: new Date(-1) },
  { time: new Date(-86_400_001) },
  { time: new Date(1_764_321_234_567) },
  { time: new Date(Number.NaN) },
  { time: { seconds: -62135596800n, nanos: 999999999 } },
  { time: { seconds: 0n, nanos: 0 } },
  { time: { seconds: 1, nanos: -1 } },
  { time: { seconds: 1, nanos: 1, extra: 1 } },
  { time: {} },
  { actorId: "é", component: "日本語", environment: "😀", resource: "a\uD800b", message: "\uDC00" },
  { message: "x".repeat(42), resource: "y".repeat(43), component: "é".repeat(42), environment: "😀".repeat(21) },
  { message: "x".repeat(127), resource: "x".repeat(128), host: "x".repeat(16_383), userAgent: "x".repeat(16_384) },
  { message: "\uD83D".repeat(50) + "é".repeat(100) },
  { producer: { name: "p".repeat(200), version: "v" } },
  { producer: {}, genai: {}, mcp: {} },
  { genai: { temperature: 0, topP: -0, maxTokens: 0, inputTokens: 0n } },
  { genai: { temperature: Number.NaN, topP: Number.POSITIVE_INFINITY, maxTokens: -5 } },
  { genai: { temperature: "0.5" } },
  { mcp: { jsonrpcErrorCode: 0 } },
  { mcp: { jsonrpcErrorCode: -32602 } },
  { mcp: { jsonrpcErrorCode: 2 ** 31 } },
  { delegationChain: [{}, { actorId: "a", scopes: ["", "x"] }, { reason: "r".repeat(300) }] },
  { delegationChain: [null] },
  { delegationChain: {} },
  { policyTags: ["", "a", "é"] },
  { policyTags: ["a", 1] },
  { policyTags: "a" },
  { payload: new Uint8Array(0) },
  { payload: new Uint8Array(300_000).fill(7) },
  { payload: [1, 2] },
  { payload: new Int8Array(2) },
  { actorId: null, payload: null, policyTags: null, time: null, producer: null, durationMs: null },
  { actorId: 5 },
  { actorId: new String("x") },
  { eventType: 1.5 },
  { eventType: 2 ** 31 },
  { eventType: "1" },
  { actorid: "misspelt" },
  { $typeName: "lokryn.compliancelog.v1.LogEntry", $unknown: [] },
  { producer: { name: "x", nmae: "y" } },
  Object.create({ actorId: "inherited" }),
  Object.create({ inheritedKey: "x" }),
  [],
  new Uint8Array(0),
  null,
  "entry",
  { message: "x".repeat(5 << 20) },
];

test(`${packageName}: odd and invalid entries encode as the native code encodes them, or fail as it fails`, () => {
  let fast = 0;
  for (const entry of oddEntries) {
    const js = outcome(() => lib.encode(entry));
    const native = outcome(() => lib.encode(entry, NATIVE));
    if (js.value) js.value = hex(js.value);
    if (native.value) native.value = hex(native.value);
    sameAsNative(`encode(${String(JSON.stringify(entry, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)))?.slice(0, 200)})`, js, native);
    if (entry !== null && typeof entry === "object" && codec.encodeEntry(entry) !== undefined) fast++;
  }
  // Most odd values are still written by the JavaScript encoder.
  assert.ok(fast > 30, `only ${fast} entries took the JavaScript path`);
});

test(`${packageName}: a getter that encodes while an entry is encoded gets the right bytes`, () => {
  const inner = { actorId: "inner" };
  const outer = {
    get actorId() {
      return hex(lib.encode(inner));
    },
    message: "outer",
  };
  assert.equal(hex(lib.encode(outer)), hex(lib.encode(outer, NATIVE)));
  assert.equal(hex(lib.encode({ message: "after" })), hex(lib.encode({ message: "after" }, NATIVE)));
});

function mutate(bytes, rnd) {
  const b = Array.from(bytes);
  const at = () => Math.floor(rnd() * (b.length + 1));
  const byte = () => {
    const r = rnd();
    // Bytes that matter to the wire format more often than their share.
    if (r < 0.2) return 0x80 | Math.floor(rnd() * 128);
    if (r < 0.3) return 0xff;
    if (r < 0.4) return [0x08, 0x0a, 0x12, 0x1a, 0x62, 0x7a, 0xda, 0x01, 0x00][Math.floor(rnd() * 9)];
    return Math.floor(rnd() * 256);
  };
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(rnd() * 6);
    if (kind === 0 && b.length > 0) b[Math.min(at(), b.length - 1)] = byte();
    else if (kind === 1) b.splice(at(), 0, byte());
    else if (kind === 2) b.splice(at(), 1 + Math.floor(rnd() * 4));
    else if (kind === 3) b.length = Math.floor(rnd() * b.length);
    else if (kind === 4 && b.length > 0) {
      // A copy of a slice somewhere else: repeated fields, merged messages.
      const from = Math.min(at(), b.length - 1);
      const len = 1 + Math.floor(rnd() * 40);
      b.splice(at(), 0, ...b.slice(from, from + len));
    } else {
      // An unknown or invalid field appended.
      b.push(byte(), byte(), byte());
    }
  }
  return new Uint8Array(b);
}

test(`${packageName}: mutated golden vectors decode in JavaScript as natively, or are left to the native code`, () => {
  const rnd = random(0x5eed);
  let accepted = 0;
  let refused = 0;
  let left = 0;
  const rounds = binding === "node" ? 60 : 25;
  for (const v of golden) {
    for (let i = 0; i < rounds; i++) {
      const bytes = mutate(v.binary, rnd);
      const native = outcome(() => lib.decode(bytes, NATIVE));
      const js = outcome(() => lib.decode(bytes));
      sameAsNative(`${v.name}, mutant ${i}: ${hex(bytes)}`, js, native);
      const fast = codec.decodeEntry(bytes);
      if (fast !== undefined) {
        // What the JavaScript decoder returns, the native one returns too.
        assert.ok("value" in native, `${v.name}, mutant ${i}: JavaScript read what native code refused: ${hex(bytes)}`);
        accepted++;
      } else if ("error" in native) {
        refused++;
      } else {
        left++;
      }
    }
  }
  // Both kinds of mutant were seen in numbers.
  console.log(`# mutants: ${accepted} read in JavaScript, ${left} left to native code that read them, ${refused} refused`);
  assert.ok(accepted > golden.length, `only ${accepted} mutants read in JavaScript`);
  assert.ok(refused > 10 * golden.length, `only ${refused} mutants refused`);
});

test(`${packageName}: decode in JavaScript reads what prost reads (wire corner cases)`, () => {
  const cases = {
    "packed-looking enum": [0x0a, 0x01, 0x01],
    "enum as a ten-byte negative": [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "enum above 32 bits": [0x08, 0x80, 0x80, 0x80, 0x80, 0x10],
    "eleven-byte varint": [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "tenth byte 2": [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
    "overlong zero": [0x08, 0x80, 0x00],
    "field 0": [0x00, 0x01],
    "unknown varint": [0xf8, 0x07, 0x05],
    "unknown fixed32": [0xfd, 0x07, 1, 2, 3, 4],
    "unknown fixed64": [0xf9, 0x07, 1, 2, 3, 4, 5, 6, 7, 8],
    "unknown bytes": [0xfa, 0x07, 0x02, 0x61, 0x62],
    "unknown bytes, then a field": [0xfa, 0x07, 0x02, 0x00, 0x02, 0x08, 0x01],
    // Skipped from after its length (prost then refuses key 0x01): counted
    // from the length byte, the skip would land on 0x08 and read a field.
    "unknown bytes ending in what looks like a key": [0xfa, 0x07, 0x02, 0x61, 0x08, 0x01],
    "unknown group": [0xfb, 0x07, 0xfc, 0x07],
    "wire type 6": [0xfe, 0x07],
    "key above u32": [0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00],
    "string with bad UTF-8": [0x22, 0x02, 0xc3, 0x28],
    "string with a surrogate": [0x22, 0x03, 0xed, 0xa0, 0x80],
    "string with U+FFFD": [0x22, 0x03, 0xef, 0xbf, 0xbd],
    "overlong UTF-8": [0x22, 0x02, 0xc0, 0xaf],
    "long non-ASCII string": [0x22, 30, ...new Array(15).fill([0xc3, 0xa9]).flat()],
    "time twice": [0x62, 0x02, 0x08, 0x01, 0x62, 0x02, 0x10, 0x02],
    "timestamp seconds negative": [0x62, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "double truncated": [0xca, 0x01, 0x03, 0x49, 0x00, 0x00],
    "double": [0xea, 0x01, 0x09, 0x49, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
    "length past the end": [0x22, 0x05, 0x61],
    "message length past its parent": [0xda, 0x01, 0x02, 0x0a, 0x05, 0x61],
    "string as varint": [0x20, 0x01],
    "int64 as fixed64": [0xc1, 0x01, 1, 2, 3, 4, 5, 6, 7, 8],
    "repeated delegation": [0x7a, 0x00, 0x7a, 0x02, 0x0a, 0x00],
  };
  for (const [name, list] of Object.entries(cases)) {
    const bytes = new Uint8Array(list);
    sameAsNative(name, outcome(() => lib.decode(bytes)), outcome(() => lib.decode(bytes, NATIVE)));
  }
  // A Buffer (Node) or a view into a larger buffer reads as its own bytes.
  const inner = golden[0].binary;
  const big = new Uint8Array(inner.length + 10);
  big.set(inner, 5);
  const view = big.subarray(5, 5 + inner.length);
  assert.deepEqual(lib.decode(view), lib.decode(inner, NATIVE));
  const decoded = lib.decode(view);
  if (decoded.payload.length > 0) {
    assert.notEqual(decoded.payload.buffer, big.buffer, "bytes are copied, not views of the input");
  }
});

test(`${packageName}: strings of every length up to 80 bytes, with and without one non-ASCII sequence anywhere, decode as natively`, () => {
  // The JavaScript reader takes ASCII text under 16 bytes in one step,
  // longer short text eight bytes at a time and the last 8 to 15 in one
  // more step, with a case for each count; anything else, and text from 64
  // bytes, goes to a decoder (or to the native code). Every length across
  // those steps and thresholds, every position of a sequence that is not
  // one ASCII byte.
  const sequences = {
    "two-byte é": [0xc3, 0xa9],
    "three-byte €": [0xe2, 0x82, 0xac],
    "four-byte 😀": [0xf0, 0x9f, 0x98, 0x80],
    "U+FFFD itself": [0xef, 0xbf, 0xbd],
    "a lone surrogate": [0xed, 0xa0, 0x80],
    "a cut sequence": [0xe2, 0x82],
    "a byte never in UTF-8": [0xff],
    "a continuation byte alone": [0x80],
  };
  const ascii = (n) => Array.from({ length: n }, (_, i) => i === 3 ? 0x7f : i === 5 ? 0 : 0x20 + ((i * 7) % 95));
  const entry = (text) => new Uint8Array([0x22, text.length, ...text]);
  let read = 0;
  for (let n = 0; n <= 80; n++) {
    const text = ascii(n);
    const bytes = entry(text);
    const fast = codec.decodeEntry(bytes);
    assert.ok(fast !== undefined, `${n} ASCII bytes are read in JavaScript`);
    assert.equal(fast.actorId, String.fromCharCode(...text), `${n} ASCII bytes`);
    sameAsNative(`${n} ASCII bytes`, outcome(() => lib.decode(bytes)), outcome(() => lib.decode(bytes, NATIVE)));
    for (const [name, seq] of Object.entries(sequences)) {
      if (n + seq.length > 80) continue;
      for (let at = 0; at <= n; at++) {
        const mixed = entry([...text.slice(0, at), ...seq, ...text.slice(at)]);
        const what = `${name} at ${at} of ${n} ASCII bytes`;
        const native = outcome(() => lib.decode(mixed, NATIVE));
        sameAsNative(what, outcome(() => lib.decode(mixed)), native);
        const js = codec.decodeEntry(mixed);
        if (js !== undefined) {
          sameAsNative(`${what} (JavaScript)`, { value: js }, native);
          read++;
        }
      }
    }
  }
  // Well-formed text other than U+FFFD is read in JavaScript, not only left to the native code.
  assert.ok(read > 3 * 2000, `only ${read} non-ASCII strings read in JavaScript`);
});

// ------------------------------------------------------------- canonical JSON

/**
 * The native `toJsonString`, reached past codec.js: the addon's function,
 * or the WebAssembly module's (through an entry tape, as lib.js calls it).
 */
const nativeToJson = binding === "node"
  ? (await import("../../bindings/node/native.cjs")).default.toJsonString
  : await (async () => {
    const { withEntryTape } = await import("../../bindings/wasm/tape.js");
    const pkg = await import("../../bindings/wasm/pkg/lokryn_compliance_log_wasm.js");
    return (entry) => withEntryTape(entry, pkg.toJsonStringTape);
  })();

test(`${packageName}: every golden vector's canonical JSON is written in JavaScript as the core writes it`, () => {
  let fast = 0;
  for (const v of golden) {
    const object = lib.decode(v.binary, NATIVE);
    const text = codec.toJsonEntry(object);
    if (text !== undefined) {
      assert.equal(text, v.json, v.name);
      fast++;
    }
    assert.equal(lib.toJsonString(object), v.json, v.name);
    assert.equal(lib.toJsonString(v.binary), v.json, v.name);
  }
  // Only integral or tiny or huge doubles, and the line breaks the core escapes, are left to native code.
  assert.ok(fast > golden.length - 10, `only ${fast} of ${golden.length} written in JavaScript`);
});

/** Entries whose canonical JSON is odd: strings that need escapes or the native writer, edge times, doubles, bytes. */
const oddJsonEntries = [
  ...entries,
  ...oddEntries.filter((e) => !(e && typeof e === "object" && typeof e.message === "string" && e.message.length > 1e6)),
  { message: "line\u2028break\u2029and\u0085next" },
  { message: "controls \u0000\u0001\u001f\b\f\n\r\t\"\\/\u007f" },
  { message: "lone \ud800 surrogate", actorId: "😀" },
  { message: "\\ud800 is text here" },
  { time: { seconds: 253402300799n, nanos: 999999999 } },
  { time: { seconds: 253402300800n } },
  { time: { seconds: -62135596801n } },
  { time: { seconds: 1, nanos: 1000 } },
  { time: { seconds: 1, nanos: 1000000 } },
  { time: { seconds: 1, nanos: 10 } },
  { time: new Date("0001-01-01T00:00:00Z") },
  { time: new Date("1969-12-31T23:59:59.999Z") },
  { eventType: 999, outcome: -3 },
  { genai: { temperature: 0.5, topP: 1, maxTokens: 3 } },
  { genai: { temperature: 1e-5, topP: 9.99e14 } },
  { genai: { temperature: 1e-6, topP: 1e15 } },
  { genai: { temperature: 0, topP: -0 } },
  { genai: { temperature: -0.25, topP: 123456.789 } },
  { payload: new Uint8Array([1]) },
  { payload: new Uint8Array([1, 2]) },
  { payload: new Uint8Array([1, 2, 3]) },
  { payload: new Uint8Array(255).map((_, i) => i) },
  { policyTags: ["q\"uote", "back\\slash", "tab\t", "\u2028"], actorId: "\u007f" },
  { delegationChain: [{ reason: "line\nbreak \"quoted\"", scopes: ["😀", "\u0001"] }], message: "emoji 😀 and é" },
  { producer: { name: "\u0085", version: "\\" } },
];

test(`${packageName}: odd entries give the native canonical JSON, or its error`, () => {
  let fast = 0;
  for (const entry of oddJsonEntries) {
    const what = `toJsonString(${String(JSON.stringify(entry, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)))?.slice(0, 200)})`;
    sameAsNative(what, outcome(() => lib.toJsonString(entry)), outcome(() => nativeToJson(entry)));
    if (entry !== null && typeof entry === "object" && codec.toJsonEntry(entry) !== undefined) fast++;
    const bytes = outcome(() => lib.encode(entry, NATIVE));
    if ("value" in bytes) {
      sameAsNative(`${what} (bytes)`, outcome(() => lib.toJsonString(bytes.value)), outcome(() => nativeToJson(bytes.value)));
    }
  }
  console.log(`# canonical JSON: ${fast} of ${oddJsonEntries.length} entries written in JavaScript`);
  assert.ok(fast > 40, `only ${fast} entries written in JavaScript`);
});

// The native writer of an encoded entry, reached past codec.js, holds the
// text written in JavaScript to the core's in both packages and in a browser.
test(`${packageName}: the canonical JSON written in JavaScript is the native writer's text of the entry's encoding`, () => {
  let fast = 0;
  for (const entry of oddJsonEntries) {
    if (entry === null || typeof entry !== "object") continue;
    const text = codec.toJsonEntry(entry);
    if (text === undefined) continue;
    fast++;
    const what = `toJsonString(${String(JSON.stringify(entry, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)))?.slice(0, 200)})`;
    const bytes = outcome(() => lib.encode(entry, NATIVE));
    assert.ok("value" in bytes, `${what}: written in JavaScript, but the native code refuses to encode it`);
    assert.equal(text, nativeToJson(bytes.value), what);
    assert.equal(lib.toJsonString(entry), text, what);
    assert.equal(codec.toJsonBytes(bytes.value), text, `${what}, from its encoding`);
  }
  assert.ok(fast > 40, `only ${fast} entries written in JavaScript`);
});

test(`${packageName}: every golden vector's encoding is written as canonical JSON in JavaScript, straight from the wire`, () => {
  let fast = 0;
  for (const v of golden) {
    const text = codec.toJsonBytes(v.binary);
    if (text !== undefined) {
      assert.equal(text, v.json, v.name);
      fast++;
    }
    assert.equal(lib.toJsonString(v.binary), v.json, v.name);
  }
  // Only integral or tiny or huge doubles, and the line breaks the core escapes, are left to native code.
  assert.ok(fast > golden.length - 10, `only ${fast} of ${golden.length} written in JavaScript`);
  // A Buffer, or a view into a larger buffer, is read as its own bytes.
  const v = golden.find((g) => g.binary.length > 100);
  const big = new Uint8Array(v.binary.length + 10).fill(0xff);
  big.set(v.binary, 5);
  assert.equal(codec.toJsonBytes(big.subarray(5, 5 + v.binary.length)), v.json);
  if (binding === "node") assert.equal(lib.toJsonString(Buffer.from(v.binary)), v.json);
});

test(`${packageName}: mutated golden vectors give the native canonical JSON from the wire, or its error`, () => {
  // Fields repeated or reordered (the last scalar wins, repeated fields
  // gather), unknown fields, cut and malformed encodings.
  const rnd = random(0x15a9);
  let written = 0;
  let refused = 0;
  const rounds = binding === "node" ? 60 : 25;
  for (const v of golden) {
    for (let i = 0; i < rounds; i++) {
      const bytes = mutate(v.binary, rnd);
      const what = `${v.name}, mutant ${i}: ${hex(bytes)}`;
      const native = outcome(() => nativeToJson(bytes));
      sameAsNative(what, outcome(() => lib.toJsonString(bytes)), native);
      const text = codec.toJsonBytes(bytes);
      if (text !== undefined) {
        sameAsNative(`${what} (JavaScript)`, { value: text }, native);
        written++;
      } else if ("error" in native) {
        refused++;
      }
    }
  }
  console.log(`# mutants: ${written} written as JSON in JavaScript, ${refused} refused`);
  assert.ok(written > golden.length, `only ${written} mutants written in JavaScript`);
  assert.ok(refused > 10 * golden.length, `only ${refused} mutants refused`);
});

test(`${packageName}: wire corner cases give the native canonical JSON`, () => {
  const cases = {
    "int64 at 2^53 - 1": [0xc0, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
    "int64 at 2^53": [0xc0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10],
    "int64 at 2^53 + 1": [0xc0, 0x01, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10],
    "int64 at 2^32": [0xc0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10],
    "int64 -1": [0xc0, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "int64 zero on the wire": [0xc0, 0x01, 0x00],
    "empty string on the wire": [0x22, 0x00],
    "empty bytes on the wire": [0x4a, 0x00],
    "bytes twice, the last wins": [0x4a, 0x02, 0x01, 0x02, 0x4a, 0x03, 0xfb, 0xff, 0x00],
    "string twice, the last wins": [0x22, 0x01, 0x61, 0x22, 0x01, 0x62],
    "string then empty": [0x22, 0x01, 0x61, 0x22, 0x00],
    "enum out of the schema": [0x08, 0xe7, 0x07],
    "enum negative": [0x08, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "empty time": [0x62, 0x00],
    "time before 1970": [0x62, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "time with nanos": [0x62, 0x06, 0x08, 0x01, 0x10, 0xe8, 0x07],
    "time past year 9999": [0x62, 0x06, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    "time with negative nanos": [0x62, 0x0d, 0x08, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    "time twice": [0x62, 0x02, 0x08, 0x01, 0x62, 0x02, 0x10, 0x02],
    "time with an unknown field": [0x62, 0x04, 0x08, 0x01, 0x18, 0x01],
    "empty message": [0xda, 0x01, 0x00],
    "repeated delegation": [0x7a, 0x00, 0x7a, 0x02, 0x0a, 0x00],
    "unknown fields only": [0xf8, 0x07, 0x05, 0xfa, 0x07, 0x02, 0x61, 0x62],
    "string with a quote and a control": [0x22, 0x03, 0x22, 0x01, 0x5c],
    "string with U+2028": [0x22, 0x03, 0xe2, 0x80, 0xa8],
    "string with U+0085": [0x22, 0x02, 0xc2, 0x85],
    "double": [0xea, 0x01, 0x09, 0x49, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f],
  };
  for (const [name, list] of Object.entries(cases)) {
    const bytes = new Uint8Array(list);
    sameAsNative(name, outcome(() => lib.toJsonString(bytes)), outcome(() => nativeToJson(bytes)));
    const text = codec.toJsonBytes(bytes);
    if (text !== undefined) sameAsNative(`${name} (JavaScript)`, { value: text }, outcome(() => nativeToJson(bytes)));
  }
  // Most are written in JavaScript.
  const fast = Object.values(cases).filter((list) => codec.toJsonBytes(new Uint8Array(list)) !== undefined).length;
  assert.ok(fast > 15, `only ${fast} corner cases written in JavaScript`);
});
