// The proto3 JSON reader generated in JavaScript (`fromJsonEntry` of
// codec.cjs / codec.js, from xtask/src/codegen/typescript/codec.rs) against
// the native reader it stands in for. `fromJsonString(text)` takes the
// JavaScript path when it can; with an options object (`{}`) it always takes
// the native one. Both must give the same object or the same error for every
// golden vector's JSON, every other spelling proto3 JSON allows, odd texts
// and mutated ones.

import { assert, outcome, random, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";
import { entries, goldenVectors } from "./vectors.js";

const codec = binding === "node"
  ? (await import("../../bindings/node/codec.cjs")).default
  : await import("../../bindings/wasm/codec.js");

const golden = await goldenVectors();
const NATIVE = {};

/**
 * Reads `text` both ways and holds them to the same outcome; when the
 * JavaScript reader answers, the native one must have read the text too.
 * Returns whether the JavaScript reader answered.
 */
function agree(what, text) {
  const native = outcome(() => lib.fromJsonString(text, NATIVE));
  const js = outcome(() => lib.fromJsonString(text));
  assert.deepEqual(js, native, `${what}: ${String(text).slice(0, 400)}`);
  const fast = codec.fromJsonEntry(text);
  if (fast !== undefined) {
    assert.ok("value" in native, `${what}: JavaScript read what the native reader refused: ${text}`);
    assert.deepEqual(fast, native.value, what);
    return true;
  }
  return false;
}

test(`${packageName}: every golden vector's JSON is read in JavaScript as the native reader reads it`, () => {
  assert.ok(golden.length > 50);
  for (const v of golden) {
    assert.ok(agree(v.name, v.json), `${v.name}: the JavaScript reader gave up`);
    // And the entry is the one the binary encoding holds (NaN included).
    assert.deepEqual(codec.fromJsonEntry(v.json), lib.decode(v.binary, NATIVE), v.name);
  }
});

test(`${packageName}: the canonical JSON of every test entry reads back in JavaScript`, () => {
  for (const entry of entries) {
    const text = lib.toJsonString(entry);
    assert.ok(agree("entry", text), `the JavaScript reader gave up on ${text.slice(0, 200)}`);
  }
});

// ------------------------------------------------------------- other spellings

/** Every enum value's number by name, from the package's enum exports. */
const enumNumbers = new Map();
for (const value of Object.values(lib)) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, n] of Object.entries(value)) {
      if (typeof n === "number" && /^[A-Z][A-Z0-9_]*$/.test(k)) enumNumbers.set(k, n);
    }
  }
}

const RFC3339_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$/;

/** A JSON value with every object and string rewritten by `fn(key, value)` (depth first). */
function rewrite(value, fn, key = "") {
  if (Array.isArray(value)) return fn(key, value.map((v) => rewrite(v, fn, key)));
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, fn, k);
    return fn(key, out);
  }
  return fn(key, value);
}

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `time` shifted to a clock `minutes` off UTC, written with that offset. */
function withOffset(text, minutes) {
  const m = RFC3339_UTC.exec(text);
  if (!m) return text;
  const ms = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(ms)) return text;
  const local = new Date(ms + minutes * 60_000);
  // Years 1-9999 only: Date prints others with a sign.
  if (local.getUTCFullYear() < 1 || local.getUTCFullYear() > 9999) return text;
  const sign = minutes < 0 ? "-" : "+";
  const a = Math.abs(minutes);
  const off = `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
  return `${local.toISOString().slice(0, 19)}${m[2] ?? ""}${off}`;
}

/** Escapes every non-ASCII character as `\uXXXX`, and in values `/` as `\/` and `e` as `\u0065`. */
function escapeText(json) {
  const u = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  return json.replace(/("(?:[^"\\]|\\.)*")(\s*:)?/g, (_m, str, colon) =>
    colon ? str.replace(/[^\u0000-\u007f]/g, u) + colon : str.replace(/[^\u0000-\u007f]|\/|e/g, (c) => (c === "/" ? "\\/" : u(c))),
  );
}

/** Spellings of one text that proto3 JSON readers accept (and a few they do not). */
function spellings(json) {
  const value = JSON.parse(json);
  const out = [];
  const add = (name, v) => out.push([name, typeof v === "string" ? v : JSON.stringify(v)]);
  add("keys reversed", rewrite(value, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
  add("proto field names", rewrite(value, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), x])) : v)));
  add("enums by number", rewrite(value, (_k, v) => (typeof v === "string" && enumNumbers.has(v) ? enumNumbers.get(v) : v)));
  add("64-bit integers as numbers", rewrite(value, (_k, v) => (typeof v === "string" && /^-?\d{1,15}$/.test(v) ? Number(v) : v)));
  add("64-bit integers as exponents", JSON.stringify(rewrite(value, (_k, v) => (typeof v === "string" && /^[1-9]\d{0,5}$/.test(v) ? `${v}e0` : v))).replace(/"(\d+e0)"/g, "$1"));
  add("integers with a fraction", json.replace(/:(-?[1-9]\d{0,8})([,}])/g, ":$1.0$2"));
  add("integers as strings", json.replace(/:(-?[1-9]\d{0,8})([,}])/g, ':"$1"$2'));
  add("integers with a plus sign", json.replace(/:"([1-9]\d{0,8})"/g, ':"+$1"'));
  add("time at +05:30", rewrite(value, (k, v) => (k === "time" && typeof v === "string" ? withOffset(v, 330) : v)));
  add("time at -08:00", rewrite(value, (k, v) => (k === "time" && typeof v === "string" ? withOffset(v, -480) : v)));
  add("time at -00:00", rewrite(value, (k, v) => (k === "time" && typeof v === "string" ? v.replace(/Z$/, "-00:00") : v)));
  add("time with twelve fraction digits", rewrite(value, (k, v) => (k === "time" && typeof v === "string" ? v.replace(/(:\d\d)(?:\.(\d+))?Z$/, (_m, s, f) => `${s}.${(f ?? "").padEnd(12, "7")}Z`) : v)));
  add("time with a leap second", rewrite(value, (k, v) => (k === "time" && typeof v === "string" ? v.replace(/:\d\d(\.\d+)?Z$/, ":60$1Z") : v)));
  add("bytes as base64url", rewrite(value, (k, v) => (k === "payload" && typeof v === "string" ? v.replace(/\+/g, "-").replace(/\//g, "_") : v)));
  add("bytes without padding", rewrite(value, (k, v) => (k === "payload" && typeof v === "string" ? v.replace(/=+$/, "") : v)));
  add("bytes with one pad short", rewrite(value, (k, v) => (k === "payload" && typeof v === "string" && v.endsWith("==") ? v.slice(0, -1) : v)));
  add("null for every absent field", rewrite(value, (k, v) => {
    if (k !== "" || !v || typeof v !== "object") return v;
    const all = { ...Object.fromEntries(ALL_KEYS.map((n) => [n, null])), ...v };
    return all;
  }));
  add("doubles as strings", rewrite(value, (k, v) => ((k === "temperature" || k === "topP") && typeof v === "number" ? String(v) : v)));
  add("pretty-printed", JSON.stringify(value, null, 2));
  add("tabs and carriage returns", JSON.stringify(value, null, "\t").replace(/\n/g, "\r\n"));
  add("escaped", escapeText(json));
  return out;
}

/** The keys of an entry that sets every field. */
const ALL_KEYS = Object.keys(JSON.parse(golden.find((v) => v.name === "all-fields").json));

test(`${packageName}: every spelling proto3 JSON allows reads in JavaScript as natively`, () => {
  const counts = new Map();
  for (const v of golden) {
    for (const [name, text] of spellings(v.json)) {
      const c = counts.get(name) ?? { fast: 0, all: 0 };
      c.all++;
      if (agree(`${v.name} (${name})`, text)) c.fast++;
      counts.set(name, c);
    }
  }
  const summary = [...counts].map(([name, c]) => `${name} ${c.fast}/${c.all}`).join(", ");
  console.log(`# spellings read in JavaScript: ${summary}`);
  // The spellings writers produce are read here, not left to the native reader.
  for (const name of ["keys reversed", "proto field names", "enums by number", "64-bit integers as numbers", "time at +05:30", "time at -08:00", "bytes as base64url", "bytes without padding", "null for every absent field", "pretty-printed", "escaped", "time with twelve fraction digits", "integers with a fraction"]) {
    const c = counts.get(name);
    assert.ok(c.fast > c.all * 0.9, `${name}: only ${c.fast} of ${c.all} read in JavaScript`);
  }
});

/** Texts either reader may find odd: the same entry or the same error either way. */
const oddTexts = [
  "{}",
  " \n{ } \r\n",
  "",
  " ",
  "null",
  "[]",
  "[{}]",
  '"x"',
  "1",
  "{} {}",
  "{},",
  "{",
  "}",
  '{"actorId":"a"} x',
  '{"actorId":"a",}',
  '{,"actorId":"a"}',
  '{"actorId" "a"}',
  '{"actorId":"a" "component":"b"}',
  '{"actorId":}',
  "{'actorId':'a'}",
  '{actorId:"a"}',
  '\uFEFF{"actorId":"a"}',
  // Duplicates, under either name, at any depth, null included.
  '{"actorId":"alice","actorId":"mallory"}',
  '{"actorId":"alice","actor_id":"mallory"}',
  '{"actor_id":"alice","actorId":null}',
  '{"actorId":null,"actorId":null}',
  '{"delegationChain":[{"actorId":"a"},{"actorId":"b","actorId":"c"}]}',
  '{"genai":{"topP":0.5,"top_p":0.9}}',
  '{"policyTags":["a"],"policy_tags":["b"]}',
  '{"mcp":{},"mcp":{"methodName":"x"}}',
  '{"time":"2024-01-01T00:00:00Z","time":"2024-01-01T00:00:00Z"}',
  '{"eventType":1,"event_type":1}',
  // Keys.
  '{"nope":1}',
  '{"ActorId":"a"}',
  '{"actorid":"a"}',
  '{"act\\u006frId":"a"}',
  '{"actorId\\"":"a"}',
  '{"$typeName":"lokryn.compliancelog.v1.LogEntry"}',
  '{"__proto__":{"actorId":"a"}}',
  '{"actorId":"a","constructor":1}',
  // Strings.
  '{"actorId":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}',
  '{"actorId":"\\ud800"}',
  '{"actorId":"\\udc00"}',
  '{"actorId":"\\ud800\\u0041"}',
  '{"actorId":"\\ud83d\\ude00\\ud83d"}',
  '{"actorId":"\\u00"}',
  '{"actorId":"\\u00zz"}',
  '{"actorId":"\\x41"}',
  '{"actorId":"\\a"}',
  '{"actorId":"\\u0000"}',
  '{"actorId":"tab\there"}',
  '{"actorId":"new\nline"}',
  '{"actorId":"\u0001"}',
  '{"actorId":"\u007f\u0085\u2028"}',
  '{"actorId":"lone \ud800 surrogate"}',
  '{"actorId":"\udc00"}',
  '{"actorId":"😀 日本語 é"}',
  '{"actorId":"a\\',
  '{"actorId":"a',
  '{"actorId":1}',
  '{"actorId":true}',
  '{"actorId":["a"]}',
  '{"actorId":{}}',
  '{"actorId":nul}',
  '{"actorId":nullx}',
  '{"actorId":NULL}',
  // Enums.
  '{"eventType":"EVENT_LOGIN"}',
  '{"eventType":"EVENT_NOPE"}',
  '{"eventType":"event_login"}',
  '{"eventType":"5"}',
  '{"eventType":5}',
  '{"eventType":9999,"outcome":-3}',
  '{"eventType":-0}',
  '{"eventType":0}',
  '{"eventType":5.0}',
  '{"eventType":5e0}',
  '{"eventType":2147483647}',
  '{"eventType":2147483648}',
  '{"eventType":-2147483648}',
  '{"eventType":-2147483649}',
  '{"eventType":18446744073709551616}',
  '{"eventType":true}',
  '{"eventType":"EVENT_\\u004cOGIN"}',
  // 32-bit integers.
  '{"mcp":{"jsonrpcErrorCode":-32602}}',
  '{"mcp":{"jsonrpcErrorCode":0}}',
  '{"mcp":{"jsonrpcErrorCode":-0}}',
  '{"mcp":{"jsonrpcErrorCode":"-0"}}',
  '{"mcp":{"jsonrpcErrorCode":"007"}}',
  '{"mcp":{"jsonrpcErrorCode":"+7"}}',
  '{"mcp":{"jsonrpcErrorCode":" 7"}}',
  '{"mcp":{"jsonrpcErrorCode":"7 "}}',
  '{"mcp":{"jsonrpcErrorCode":""}}',
  '{"mcp":{"jsonrpcErrorCode":"1e3"}}',
  '{"mcp":{"jsonrpcErrorCode":"0x10"}}',
  '{"mcp":{"jsonrpcErrorCode":1e3}}',
  '{"mcp":{"jsonrpcErrorCode":1.5}}',
  '{"mcp":{"jsonrpcErrorCode":-1.0e0}}',
  '{"mcp":{"jsonrpcErrorCode":2147483647}}',
  '{"mcp":{"jsonrpcErrorCode":2147483648}}',
  '{"mcp":{"jsonrpcErrorCode":-2147483648.0}}',
  '{"mcp":{"jsonrpcErrorCode":-2147483649}}',
  '{"mcp":{"jsonrpcErrorCode":01}}',
  '{"mcp":{"jsonrpcErrorCode":1.}}',
  '{"mcp":{"jsonrpcErrorCode":.5}}',
  '{"mcp":{"jsonrpcErrorCode":+1}}',
  '{"mcp":{"jsonrpcErrorCode":-}}',
  '{"mcp":{"jsonrpcErrorCode":1e}}',
  '{"mcp":{"jsonrpcErrorCode":null}}',
  // 64-bit integers.
  '{"durationMs":"9223372036854775807"}',
  '{"durationMs":"-9223372036854775808"}',
  '{"durationMs":"9223372036854775808"}',
  '{"durationMs":"-9223372036854775809"}',
  '{"durationMs":9223372036854775807}',
  '{"durationMs":-9223372036854775808}',
  '{"durationMs":9223372036854775808}',
  '{"durationMs":18446744073709551615}',
  '{"durationMs":18446744073709551616}',
  '{"durationMs":9007199254740993}',
  '{"durationMs":9007199254740993.0}',
  '{"durationMs":9.223372036854775807e18}',
  '{"durationMs":1e19}',
  '{"durationMs":1e3}',
  '{"durationMs":1.5}',
  '{"durationMs":-0}',
  '{"durationMs":-0.0}',
  '{"durationMs":"007"}',
  '{"durationMs":"+12"}',
  '{"durationMs":"1.0"}',
  '{"durationMs":"00000000000000000000000000001"}',
  '{"genai":{"maxTokens":0,"inputTokens":"0","outputTokens":-1}}',
  '{"genai":{"maxTokens":null}}',
  // Doubles.
  '{"genai":{"temperature":0.5,"topP":1}}',
  '{"genai":{"temperature":0,"topP":-0}}',
  '{"genai":{"temperature":0.0,"topP":-0.0}}',
  '{"genai":{"temperature":1e-3,"topP":12.5E+2}}',
  '{"genai":{"temperature":1e400}}',
  '{"genai":{"temperature":-1e400}}',
  '{"genai":{"temperature":1e-400}}',
  '{"genai":{"temperature":4.9e-324}}',
  '{"genai":{"temperature":1.7976931348623157e308}}',
  '{"genai":{"temperature":0.98274693029350269}}',
  '{"genai":{"temperature":123456789012345678901234567890}}',
  '{"genai":{"temperature":18446744073709551615}}',
  '{"genai":{"temperature":"NaN","topP":"Infinity"}}',
  '{"genai":{"temperature":"-Infinity"}}',
  '{"genai":{"temperature":"nan"}}',
  '{"genai":{"temperature":"inf"}}',
  '{"genai":{"temperature":"infinity"}}',
  '{"genai":{"temperature":"0.5"}}',
  '{"genai":{"temperature":"-0"}}',
  '{"genai":{"temperature":"1e400"}}',
  '{"genai":{"temperature":"1."}}',
  '{"genai":{"temperature":".5"}}',
  '{"genai":{"temperature":"+0.5"}}',
  '{"genai":{"temperature":" 0.5"}}',
  '{"genai":{"temperature":""}}',
  '{"genai":{"temperature":"0x10"}}',
  '{"genai":{"temperature":NaN}}',
  '{"genai":{"temperature":Infinity}}',
  '{"genai":{"temperature":true}}',
  '{"genai":{"temperature":null,"topP":null}}',
  // Bytes.
  '{"payload":""}',
  '{"payload":"AAEC/+8="}',
  '{"payload":"AAEC_-8="}',
  '{"payload":"AAEC_-8"}',
  '{"payload":"AAEC/-8="}',
  '{"payload":"AAEC+_8="}',
  '{"payload":"AA=="}',
  '{"payload":"AA="}',
  '{"payload":"AA"}',
  '{"payload":"AAA="}',
  '{"payload":"AAA"}',
  '{"payload":"AAA=="}',
  '{"payload":"A"}',
  '{"payload":"A==="}',
  '{"payload":"===="}',
  '{"payload":"AB=="}',
  '{"payload":"AP=="}',
  '{"payload":"AAB="}',
  '{"payload":"AA==AA=="}',
  '{"payload":"AA=A"}',
  '{"payload":"A A="}',
  '{"payload":"AAEC\\n/+8="}',
  '{"payload":"AAEC\\/+8="}',
  '{"payload":"AAEC/+8é"}',
  '{"payload":1}',
  '{"payload":null}',
  // Timestamps.
  '{"time":"2024-02-29T23:59:59Z"}',
  '{"time":"2023-02-29T00:00:00Z"}',
  '{"time":"2023-04-31T00:00:00Z"}',
  '{"time":"2023-13-01T00:00:00Z"}',
  '{"time":"2023-00-01T00:00:00Z"}',
  '{"time":"2023-01-00T00:00:00Z"}',
  '{"time":"2023-01-01T24:00:00Z"}',
  '{"time":"2023-01-01T23:60:00Z"}',
  '{"time":"2023-01-01T23:59:60Z"}',
  '{"time":"2023-01-01T12:00:60Z"}',
  '{"time":"2023-01-01T12:00:61Z"}',
  '{"time":"2023-01-01T00:00:00.Z"}',
  '{"time":"2023-01-01T00:00:00.1Z"}',
  '{"time":"2023-01-01T00:00:00.123456789Z"}',
  '{"time":"2023-01-01T00:00:00.1234567890Z"}',
  '{"time":"2023-01-01T00:00:00.9999999999999Z"}',
  '{"time":"2023-01-01T00:00:00z"}',
  '{"time":"2023-01-01t00:00:00Z"}',
  '{"time":"2023-01-01 00:00:00Z"}',
  '{"time":"2023-01-01T00:00:00"}',
  '{"time":"2023-01-01T00:00Z"}',
  '{"time":"2023-01-01"}',
  '{"time":"2023-01-01T00:00:00+01:00"}',
  '{"time":"2023-01-01T00:00:00-23:59"}',
  '{"time":"2023-01-01T00:00:00+24:00"}',
  '{"time":"2023-01-01T00:00:00+01:60"}',
  '{"time":"2023-01-01T00:00:00+0100"}',
  '{"time":"2023-01-01T00:00:00+01"}',
  '{"time":"2023-01-01T00:00:00.5+01:00"}',
  '{"time":"2023-01-01T00:00:00Z "}',
  '{"time":"0001-01-01T00:00:00Z"}',
  '{"time":"0001-01-01T00:00:00+00:01"}',
  '{"time":"0001-01-01T00:59:59+01:00"}',
  '{"time":"0000-12-31T23:59:59Z"}',
  '{"time":"9999-12-31T23:59:59.999999999Z"}',
  '{"time":"9999-12-31T23:59:59-00:01"}',
  '{"time":"9999-12-31T23:00:00-00:59"}',
  '{"time":"+2023-01-01T00:00:00Z"}',
  '{"time":"20230-01-01T00:00:00Z"}',
  '{"time":"1969-12-31T23:59:59.999Z"}',
  '{"time":"1900-02-29T00:00:00Z"}',
  '{"time":"2000-02-29T00:00:00Z"}',
  '{"time":"２023-01-01T00:00:00Z"}',
  '{"time":"2023-01-01T00:00:00\\u005a"}',
  '{"time":1700000000}',
  '{"time":{"seconds":1}}',
  '{"time":null}',
  // Messages and lists.
  '{"producer":{}}',
  '{"producer":null}',
  '{"producer":[]}',
  '{"producer":"x"}',
  '{"producer":{"name":"n","version":"v"}}',
  '{"producer":{"name":"n","nmae":"v"}}',
  '{"genai":{},"mcp":{}}',
  '{"policyTags":[]}',
  '{"policyTags":null}',
  '{"policyTags":[null]}',
  '{"policyTags":["a",null]}',
  '{"policyTags":["a",]}',
  '{"policyTags":[,"a"]}',
  '{"policyTags":["a" "b"]}',
  '{"policyTags":"a"}',
  '{"policyTags":[1]}',
  '{"policyTags":[["a"]]}',
  '{"delegationChain":[]}',
  '{"delegationChain":[{}]}',
  '{"delegationChain":[null]}',
  '{"delegationChain":{}}',
  '{"delegationChain":[{"actorId":"a","scopes":["x",""]},{"reason":"r"}]}',
  '{"delegationChain":[{"actor_type":"ACTOR_TYPE_AGENT","actorId":"a"}]}',
  // Every field of an entry null.
  `{${"actorId,component,environment,resource,message,payload,policyTags,time,delegationChain,durationMs,producer,genai,mcp,eventType".split(",").map((k) => `"${k}":null`).join(",")}}`,
  // Large ones.
  `{"message":"${"x".repeat(100_000)}"}`,
  `{"policyTags":[${Array.from({ length: 2000 }, (_, i) => `"t${i}"`).join(",")}]}`,
  `{"payload":"${"QUJD".repeat(50_000)}"}`,
];

test(`${packageName}: odd texts read as the native reader reads them, or fail as it fails`, () => {
  let fast = 0;
  for (const text of oddTexts) {
    if (agree("odd text", text)) fast++;
  }
  for (const value of [undefined, null, 1, {}, ["{}"], new String("{}")]) {
    assert.deepEqual(outcome(() => lib.fromJsonString(value)), outcome(() => lib.fromJsonString(value, NATIVE)), String(value));
    assert.equal(codec.fromJsonEntry(value), undefined);
  }
  console.log(`# odd texts: ${fast} of ${oddTexts.length} read in JavaScript`);
  assert.ok(fast > 80, `only ${fast} odd texts read in JavaScript`);
});

test(`${packageName}: fromJson (a parsed value) reads through the same readers`, () => {
  for (const v of golden.slice(0, 20)) {
    assert.deepEqual(outcome(() => lib.fromJson(JSON.parse(v.json))), outcome(() => lib.fromJsonString(v.json, NATIVE)), v.name);
  }
});

// ------------------------------------------------------------- mutations

const ALPHABET = '{}[]",:0123456789-+.eEaZnultrf\\ /_=TA\u00e9\ud83d\ude00\n';
const PIECES = ['"x"', "null", "1e3", "-0", "1.5", "9223372036854775808", '"\\u00e9"', '"\\ud800"', "[]", "{}", "true", '"NaN"', '"2024-01-01T00:00:00+01:00"', '"AA=="', '"EVENT_LOGIN"'];

function mutateText(text, rnd) {
  let t = text;
  const n = 1 + Math.floor(rnd() * 2);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (t.length + 1));
    const kind = Math.floor(rnd() * 7);
    if (kind === 0) t = t.slice(0, at) + t.slice(at + 1);
    else if (kind === 1) t = t.slice(0, at) + ALPHABET[Math.floor(rnd() * ALPHABET.length)] + t.slice(at);
    else if (kind === 2) t = t.slice(0, at) + ALPHABET[Math.floor(rnd() * ALPHABET.length)] + t.slice(at + 1);
    else if (kind === 3) {
      // A member given twice: the text of one `"key":value` copied after itself.
      const m = /"[A-Za-z_]+":("[^"]*"|-?[0-9.eE+-]+|null|\[[^\]]*\]|\{[^{}]*\})/g;
      const found = [...t.matchAll(m)];
      if (found.length > 0) {
        const f = found[Math.floor(rnd() * found.length)];
        const end = f.index + f[0].length;
        t = `${t.slice(0, end)},${f[0]}${t.slice(end)}`;
      }
    } else if (kind === 4) {
      // A value replaced by one of another type or out of range.
      const m = /:("[^"]*"|-?[0-9.eE+-]+|null)/g;
      const found = [...t.matchAll(m)];
      if (found.length > 0) {
        const f = found[Math.floor(rnd() * found.length)];
        t = `${t.slice(0, f.index + 1)}${PIECES[Math.floor(rnd() * PIECES.length)]}${t.slice(f.index + f[0].length)}`;
      }
    } else if (kind === 5) {
      // Two members swapped.
      const obj = /^\{(.*)\}$/s.exec(t);
      if (obj) t = `{${obj[1].split(",").reverse().join(",")}}`;
    } else {
      t = t.slice(0, at);
    }
  }
  return t;
}

test(`${packageName}: mutated JSON reads in JavaScript as natively, or is left to the native reader`, () => {
  const rnd = random(0x150b);
  let accepted = 0;
  let refused = 0;
  let left = 0;
  const rounds = binding === "node" ? 40 : 15;
  for (const v of golden) {
    for (let i = 0; i < rounds; i++) {
      const text = mutateText(v.json, rnd);
      const native = outcome(() => lib.fromJsonString(text, NATIVE));
      if (agree(`${v.name}, mutant ${i}`, text)) accepted++;
      else if ("error" in native) refused++;
      else left++;
    }
  }
  console.log(`# JSON mutants: ${accepted} read in JavaScript, ${left} left to native code that read them, ${refused} refused`);
  // Both kinds of mutant were seen in numbers.
  assert.ok(accepted > (golden.length * rounds) / 10, `only ${accepted} mutants read in JavaScript`);
  assert.ok(refused > (golden.length * rounds) / 4, `only ${refused} mutants refused`);
});
