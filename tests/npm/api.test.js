// The shape of the API: what the packages export, what they return, and
// what they accept besides protobuf-es messages.

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";
import { specFirstExample, vectors } from "./vectors.js";

async function readText(relative) {
  const url = new URL(relative, import.meta.url);
  if (isNode) {
    const { readFile } = await import("node:fs/promises");
    return readFile(url, "utf8");
  }
  return (await fetch(url)).text();
}

test(`${packageName}: exports exactly what index.d.ts declares`, async () => {
  const dir = binding === "node" ? "node" : "wasm";
  const dts = await readText(`../../bindings/${dir}/index.d.ts`);
  const declared = new Set();
  for (const m of dts.matchAll(/^export declare (?:function|const|class|enum) (\w+)/gm)) {
    declared.add(m[1]);
  }
  const exported = new Set(Object.keys(lib).filter((k) => k !== "default" && k !== "module.exports"));
  assert.deepEqual([...exported].sort(), [...declared].sort());
});

test(`${packageName}: VERSION is the package's version`, async () => {
  const dir = binding === "node" ? "node" : "wasm";
  const pkg = JSON.parse(await readText(`../../bindings/${dir}/package.json`));
  assert.equal(lib.VERSION, pkg.version);
  assert.match(lib.VERSION, /^\d+\.\d+\.\d+/);
});

test(`${packageName}: enums are numeric TypeScript enums with protobuf-es's member names`, () => {
  assert.equal(lib.EventType.EVENT_TOOL_INVOCATION, 13);
  assert.equal(lib.EventType[13], "EVENT_TOOL_INVOCATION");
  assert.equal(lib.EventType.EVENT_TYPE_UNSPECIFIED, 0);
  assert.equal(lib.Outcome.SUCCESS, 1);
  assert.equal(lib.Outcome[1], "SUCCESS");
  assert.equal(lib.Severity.EMERGENCY, 8);
  assert.equal(lib.Sensitivity.HIGHLY_RESTRICTED, 5);
  assert.equal(lib.ActorType.AGENT, 3);
  assert.equal(lib.PayloadFormat.CBOR, 2);
});

test(`${packageName}: decode returns plain objects with every field, messages only when set`, () => {
  const e = lib.decode(lib.encode({ actorId: "x" }));
  assert.equal(Object.getPrototypeOf(e), Object.prototype);
  assert.equal(e.$typeName, "lokryn.compliancelog.v1.LogEntry");
  assert.equal(e.actorId, "x");
  assert.equal(e.component, "");
  assert.equal(e.durationMs, 0n);
  assert.deepEqual(e.policyTags, []);
  assert.deepEqual(e.payload, new Uint8Array(0));
  assert.ok(!("time" in e));
  assert.ok(!("genai" in e));
  // Fresh containers per object.
  const f = lib.decode(lib.encode({}));
  assert.notEqual(e.policyTags, f.policyTags);
});

test(`${packageName}: encode returns a plain Uint8Array`, () => {
  const bytes = lib.encode(specFirstExample);
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
  assert.equal(lib.encode({}).length, 0);
});

test(`${packageName}: inputs beyond protobuf-es's shape`, () => {
  // A Date for a Timestamp; numbers and decimal strings for 64-bit integers;
  // null for unset; Node Buffers (a Uint8Array) for bytes.
  const viaDate = lib.decode(lib.encode({ time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 250)) }));
  assert.deepEqual(viaDate.time, { $typeName: "google.protobuf.Timestamp", seconds: 1_767_225_600n, nanos: 250_000_000 });
  const before1970 = lib.decode(lib.encode({ time: new Date(-1) }));
  assert.equal(before1970.time.seconds, -1n);
  assert.equal(before1970.time.nanos, 999_000_000);
  assert.deepEqual(lib.encode({ durationMs: 42 }), lib.encode({ durationMs: 42n }));
  assert.deepEqual(lib.encode({ durationMs: "-42" }), lib.encode({ durationMs: -42n }));
  assert.deepEqual(lib.encode({ actorId: null, time: null, genai: null }), new Uint8Array(0));
  // An empty message is still a message that is set.
  assert.deepEqual(lib.encode({ genai: { temperature: null } }), new Uint8Array([0xea, 0x01, 0x00]));
  if (isNode) {
    const payload = Buffer.from("abc");
    assert.deepEqual(lib.decode(lib.encode({ payload })).payload, new Uint8Array([97, 98, 99]));
  }
});

test(`${packageName}: every function that reads an entry also takes its bytes`, () => {
  for (const [, init] of vectors) {
    const bytes = lib.encode(init);
    assert.equal(lib.toJsonString(bytes), lib.toJsonString(init));
    assert.deepEqual(lib.toJson(bytes), lib.toJson(init));
    assert.deepEqual(lib.validate(bytes), lib.validate(init));
  }
});

test(`${packageName}: the input is not modified`, () => {
  const init = structuredClone(vectors[4][1]);
  const copy = structuredClone(init);
  lib.encode(init);
  lib.toJsonString(init);
  lib.validate(init);
  assert.deepEqual(init, copy);
});

test(`${packageName}: readers honour maxEntryBytes`, () => {
  const bytes = lib.encode(specFirstExample);
  assert.equal(lib.decode(bytes, { maxEntryBytes: bytes.length }).actorId, "agent-001");
  assert.throws(() => lib.decode(bytes, { maxEntryBytes: bytes.length - 1 }), {
    code: "TOO_LARGE",
    size: bytes.length,
    limit: bytes.length - 1,
  });
  const stream = lib.encodeDelimited([{}, specFirstExample]);
  assert.throws(() => lib.decodeDelimited(stream, { maxEntryBytes: 10 }), {
    code: "TOO_LARGE",
    index: 1,
    offset: 1,
  });
  const text = lib.toJsonString(specFirstExample);
  assert.throws(() => lib.fromJsonString(text, { maxEntryBytes: 10 }), { code: "TOO_LARGE" });
});

test(`${packageName}: fromJson reads every spelling proto3 JSON allows`, () => {
  const e = lib.fromJson({
    event_type: "EVENT_LOGIN",
    outcome: 1,
    actorId: "a",
    durationMs: 5,
    payload: "-_8=",
    time: "2026-01-01T01:00:00+01:00",
    genai: null,
  });
  assert.equal(e.eventType, lib.EventType.EVENT_LOGIN);
  assert.equal(e.outcome, lib.Outcome.SUCCESS);
  assert.equal(e.durationMs, 5n);
  assert.deepEqual(e.payload, new Uint8Array([0xfb, 0xff]));
  assert.equal(e.time.seconds, 1_767_225_600n);
  assert.throws(() => lib.fromJson({ actorID: "typo" }), { code: "JSON" });
  assert.equal(lib.fromJson({ actorID: "typo", actorId: "a" }, { ignoreUnknownFields: true }).actorId, "a");
});

test(`${packageName}: delimited streams of no entries`, () => {
  assert.deepEqual(lib.encodeDelimited([]), new Uint8Array(0));
  assert.deepEqual(lib.decodeDelimited(new Uint8Array(0)), []);
  assert.deepEqual(lib.validateDelimited(new Uint8Array(0)), []);
  // An empty entry is one byte: its zero length.
  assert.deepEqual(lib.encodeDelimited([{}, {}]), new Uint8Array([0, 0]));
  assert.equal(lib.decodeDelimited(new Uint8Array([0, 0])).length, 2);
});

test(`${packageName}: the wasm module is under 500 KB gzipped`, { skip: !isNode || binding !== "wasm" }, async () => {
  const { readFile } = await import("node:fs/promises");
  const { gzipSync } = await import("node:zlib");
  const wasm = await readFile(new URL("../../bindings/wasm/pkg/lokryn_compliance_log_wasm_bg.wasm", import.meta.url));
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  assert.ok(gzipped < 500_000, `${gzipped} bytes gzipped`);
});

test(`${packageName}: DelimitedDecoder reads a stream pushed in chunks of any size`, () => {
  const entries = vectors.map(([, init]) => init);
  const stream = lib.encodeDelimited(entries);
  const expected = lib.decodeDelimited(stream);
  for (const size of [1, 7, 100, stream.length]) {
    const decoder = new lib.DelimitedDecoder();
    const out = [];
    for (let i = 0; i < stream.length; i += size) {
      assert.equal(decoder.push(stream.subarray(i, i + size)), undefined);
      for (let e; (e = decoder.read()) !== undefined; ) out.push(e);
    }
    decoder.end();
    assert.deepEqual(out, expected, `chunks of ${size}`);
  }
});

test(`${packageName}: DelimitedDecoder reports broken streams and goes on after a bad body`, () => {
  const good = lib.encodeDelimited([specFirstExample]);
  const decoder = new lib.DelimitedDecoder();
  decoder.push(new Uint8Array([2, 0xff, 0xff, ...good, ...good.subarray(0, 5)]));
  assert.throws(() => decoder.read(), { code: "DECODE", index: 0, offset: 0 });
  assert.equal(decoder.read().actorId, "agent-001");
  assert.equal(decoder.read(), undefined);
  assert.throws(() => decoder.end(), { code: "TRUNCATED", index: 2 });
  assert.throws(() => decoder.push("bytes"), { code: "TYPE" });
  assert.throws(() => new lib.DelimitedDecoder({ maxEntryBytes: -1 }), { code: "TYPE" });
  const small = new lib.DelimitedDecoder({ maxEntryBytes: 10 });
  small.push(good);
  assert.throws(() => small.read(), { code: "TOO_LARGE" });
  assert.equal(small.read(), undefined);
});
