// The packages and protobuf-es (with code buf generates from proto/) agree
// both ways on every vector: the same bytes, the same JSON value, and each
// reads what the other writes into the same object.

import { create, equals, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { sizeDelimitedEncode, sizeDelimitedDecodeStream } from "@bufbuild/protobuf/wire";

import { assert, test } from "./harness.js";
import { lib, packageName } from "./lib.js";
import { entries, specFirstExample, vectors } from "./vectors.js";
import { LogEntrySchema } from "./gen/lokryn/compliancelog/v1/logentry_pb.js";
import golden from "./spec-example.json" with { type: "json" };

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

test(`${packageName}: the spec README's first example encodes to the Rust core's bytes and is valid`, () => {
  assert.equal(hex(lib.encode(specFirstExample)), golden.hex);
  assert.equal(hex(toBinary(LogEntrySchema, create(LogEntrySchema, specFirstExample))), golden.hex);
  assert.equal(lib.toJsonString(specFirstExample), golden.json);
  assert.equal(lib.validate(specFirstExample).valid, true);
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
