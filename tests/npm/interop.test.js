// The packages, the Rust core and protobuf-es (with code buf generates from
// proto/) agree both ways on every vector: the golden vectors of
// tests/vectors/wire (written by the Rust core) and the object vectors of
// vectors.js: the same bytes, the same JSON value, and each reads what the
// other writes into the same object.

import { create, equals, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { sizeDelimitedEncode, sizeDelimitedDecodeStream } from "@bufbuild/protobuf/wire";

import { assert, test } from "./harness.js";
import { lib, packageName } from "./lib.js";
import { entries, goldenVectors, specFirstExample, vectors } from "./vectors.js";
import { LogEntrySchema } from "./gen/lokryn/compliancelog/v1/logentry_pb.js";
import { ValidationReportSchema } from "./gen/lokryn/compliancelog/v1/report_pb.js";

const golden = await goldenVectors();

test(`${packageName}: the spec README's first example encodes to the Rust core's bytes and is valid`, () => {
  const core = golden.find((v) => v.name === "spec-tool-invocation");
  assert.deepEqual(lib.encode(specFirstExample), core.binary);
  assert.deepEqual(toBinary(LogEntrySchema, create(LogEntrySchema, specFirstExample)), core.binary);
  assert.equal(lib.toJsonString(specFirstExample), core.json);
  assert.equal(lib.validate(specFirstExample).valid, true);
  lib.assertValid(specFirstExample);
});

test(`${packageName} ↔ Rust core ↔ protobuf-es: every golden vector of tests/vectors/wire`, () => {
  assert.ok(golden.length > 50, `only ${golden.length} vectors`);
  for (const { name, binary, json } of golden) {
    const message = fromBinary(LogEntrySchema, binary);
    const value = JSON.parse(json);
    // Reading the core's bytes and JSON gives protobuf-es's object.
    const decoded = lib.decode(binary);
    assert.deepEqual(decoded, message, name);
    assert.ok(equals(LogEntrySchema, lib.fromJsonString(json), message), name);
    // Writing it back gives the core's bytes and JSON, from our object and
    // from protobuf-es's.
    assert.deepEqual(lib.encode(decoded), binary, name);
    assert.deepEqual(lib.encode(message), binary, name);
    assert.equal(lib.toJsonString(decoded), json, name);
    assert.equal(lib.toJsonString(binary), json, name);
    assert.deepEqual(lib.toJson(message), toJson(LogEntrySchema, message), name);
    assert.deepEqual(lib.toJson(message), value, name);
    // protobuf-es reads what the package writes.
    assert.ok(equals(LogEntrySchema, fromBinary(LogEntrySchema, lib.encode(decoded)), message), name);
    assert.ok(equals(LogEntrySchema, fromJson(LogEntrySchema, lib.toJson(decoded)), message), name);
  }
  // All of them as one length-delimited stream.
  const stream = lib.encodeDelimited(golden.map((v) => lib.decode(v.binary)));
  assert.deepEqual(
    lib.decodeDelimited(stream),
    golden.map((v) => fromBinary(LogEntrySchema, v.binary)),
  );
});

for (const [name, init] of vectors) {
  test(`${packageName} ↔ protobuf-es: ${name}`, () => {
    const message = create(LogEntrySchema, init);
    const theirs = toBinary(LogEntrySchema, message);

    // Same bytes, from a plain object and from protobuf-es's message itself.
    assert.deepEqual(lib.encode(init), theirs);
    assert.deepEqual(lib.encode(message), theirs);

    // Each reads the other's bytes into the same object.
    const decoded = lib.decode(theirs);
    assert.deepEqual(decoded, fromBinary(LogEntrySchema, theirs));
    assert.ok(equals(LogEntrySchema, fromBinary(LogEntrySchema, lib.encode(init)), message));

    // What the package returns is a protobuf-es message.
    assert.deepEqual(toBinary(LogEntrySchema, decoded), theirs);

    // Same JSON value, and each parses the other's JSON.
    const theirJson = toJson(LogEntrySchema, message);
    assert.deepEqual(lib.toJson(init), theirJson);
    assert.deepEqual(lib.toJson(theirs), theirJson);
    assert.deepEqual(JSON.parse(lib.toJsonString(message)), theirJson);
    assert.ok(equals(LogEntrySchema, fromJson(LogEntrySchema, lib.toJson(init)), message));
    // (JSON.stringify writes -0 as 0, hence protobuf-es's `equals`.)
    assert.ok(equals(LogEntrySchema, lib.fromJson(theirJson), decoded));
    assert.ok(equals(LogEntrySchema, lib.fromJsonString(JSON.stringify(theirJson)), decoded));
  });
}

test(`${packageName} ↔ protobuf-es: length-delimited streams`, async () => {
  const messages = entries.map((e) => create(LogEntrySchema, e));
  const parts = messages.map((m) => sizeDelimitedEncode(LogEntrySchema, m));
  const theirs = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    theirs.set(p, offset);
    offset += p.length;
  }
  assert.deepEqual(lib.encodeDelimited(entries), theirs);
  assert.deepEqual(lib.encodeDelimited(messages), theirs);

  const decoded = lib.decodeDelimited(theirs);
  assert.equal(decoded.length, entries.length);
  assert.deepEqual(decoded, entries.map((e) => fromBinary(LogEntrySchema, toBinary(LogEntrySchema, create(LogEntrySchema, e)))));

  const back = [];
  async function* chunks() {
    yield lib.encodeDelimited(entries);
  }
  for await (const m of sizeDelimitedDecodeStream(LogEntrySchema, chunks())) {
    back.push(m);
  }
  assert.equal(back.length, entries.length);
  for (let i = 0; i < back.length; i++) {
    assert.ok(equals(LogEntrySchema, back[i], messages[i]), `entry ${i}`);
  }
});

test(`${packageName} ↔ protobuf-es: text protobuf-es cannot encode losslessly reads the same`, () => {
  // A lone surrogate is not UTF-8: both replace it with U+FFFD.
  const init = { actorId: "a\ud800b", message: "\udc00" };
  const theirs = toBinary(LogEntrySchema, create(LogEntrySchema, init));
  assert.deepEqual(lib.encode(init), theirs);
  assert.equal(lib.decode(theirs).actorId, "a\ufffdb");
});

test(`${packageName}: report objects are report.proto's ValidationReport, read and written by protobuf-es`, () => {
  const report = lib.validate({ actorId: "a", message: "card 4111 1111 1111 1111" }, { profile: "pci" });
  assert.ok(report.violations.length > 0 && report.findings.length > 0);
  const keys = (schema) => schema.fields.map((f) => f.jsonName).sort();
  assert.deepEqual(Object.keys(report).sort(), keys(ValidationReportSchema));
  const message = fromJson(ValidationReportSchema, report);
  assert.deepEqual({ error: null, ...toJson(ValidationReportSchema, message, { alwaysEmitImplicit: true }) }, report);
  const [unreadable] = lib.validateDelimited(new Uint8Array([2, 0xff, 0xff]));
  const { code, message: text } = unreadable.error;
  const back = fromJson(ValidationReportSchema, { ...unreadable, error: { code, message: text } });
  assert.deepEqual([back.valid, back.error.code], [false, "DECODE"]);
});
