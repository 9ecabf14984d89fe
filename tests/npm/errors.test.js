// Bad input: a thrown ComplianceLogError with a stable code and the place
// of the problem, never a crash, and the package still works afterwards.

import { assert, test } from "./harness.js";
import { lib, packageName } from "./lib.js";
import { specFirstExample } from "./vectors.js";

const { ComplianceLogError, ValidationError } = lib;

function throwsCode(fn, expected) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof ComplianceLogError, `not a ComplianceLogError: ${err}`);
    assert.ok(err instanceof Error);
    for (const [k, v] of Object.entries(expected)) {
      if (v instanceof RegExp) {
        assert.match(String(err[k]), v);
      } else {
        assert.deepEqual(err[k], v, `${k} of ${err.message}`);
      }
    }
    return true;
  });
}

test(`${packageName}: errors are Error subclasses with a name, a code and a stack`, () => {
  let caught;
  try {
    lib.decode(new Uint8Array([0xff]));
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ComplianceLogError);
  assert.equal(caught.name, "ComplianceLogError");
  assert.equal(caught.code, "DECODE");
  assert.equal(typeof caught.stack, "string");
  assert.match(String(caught), /^ComplianceLogError: invalid protobuf/);
});

test(`${packageName}: a key that is not a field is refused, never dropped`, () => {
  throwsCode(() => lib.encode({ actorID: "alice" }), {
    code: "TYPE",
    field: "",
    message: "entry: `actorID` is not a field of LogEntry (did you mean `actorId`?)",
  });
  throwsCode(() => lib.validate({ actor_id: "alice" }), { code: "TYPE", message: /did you mean `actorId`/ });
  throwsCode(() => lib.encode({ delegationChain: [{ actorId: "a" }, { actorId: "b", scope: ["x"] }] }), {
    code: "TYPE",
    field: "delegationChain[1]",
    message: /`scope` is not a field of DelegationLink$/,
  });
  throwsCode(() => lib.encodeDelimited([{}, { outcom: 1 }]), { code: "TYPE", index: 1 });
  // protobuf-es's own keys start with `$` and are not fields.
  assert.equal(
    lib.encode({ $typeName: "lokryn.compliancelog.v1.LogEntry", $unknown: undefined, actorId: "a" }).length,
    3,
  );
});

test(`${packageName}: wrong types name the field and what was expected`, () => {
  throwsCode(() => lib.encode({ actorId: 5 }), {
    code: "TYPE",
    field: "actorId",
    message: "entry.actorId: expected a string, got a number",
  });
  throwsCode(() => lib.encode({ eventType: "EVENT_LOGIN" }), {
    code: "TYPE",
    field: "eventType",
    message: /expected a value of EventType \(a number\), got a string/,
  });
  throwsCode(() => lib.encode({ eventType: 1.5 }), { code: "TYPE", field: "eventType" });
  throwsCode(() => lib.encode({ eventType: 2 ** 31 }), { code: "TYPE", field: "eventType" });
  throwsCode(() => lib.encode({ durationMs: 2 ** 60 }), { code: "TYPE", field: "durationMs" });
  throwsCode(() => lib.encode({ durationMs: 2n ** 63n }), { code: "TYPE", field: "durationMs" });
  throwsCode(() => lib.encode({ durationMs: "12abc" }), { code: "TYPE", field: "durationMs" });
  throwsCode(() => lib.encode({ payload: "bytes" }), { code: "TYPE", field: "payload" });
  throwsCode(() => lib.encode({ payload: [1, 2] }), { code: "TYPE", field: "payload" });
  throwsCode(() => lib.encode({ payload: new Uint16Array(2) }), { code: "TYPE", field: "payload" });
  throwsCode(() => lib.encode({ policyTags: "PCI" }), { code: "TYPE", field: "policyTags" });
  throwsCode(() => lib.encode({ policyTags: ["a", 1] }), {
    code: "TYPE",
    field: "policyTags[1]",
    message: "entry.policyTags[1]: expected a string, got a number",
  });
  throwsCode(() => lib.encode({ delegationChain: [{}, { scopes: [null] }] }), {
    code: "TYPE",
    field: "delegationChain[1].scopes[0]",
  });
  throwsCode(() => lib.encode({ delegationChain: [null] }), { code: "TYPE", field: "delegationChain[0]" });
  throwsCode(() => lib.encode({ time: "2026-01-01" }), { code: "TYPE", field: "time" });
  throwsCode(() => lib.encode({ time: new Date(NaN) }), { code: "TYPE", field: "time" });
  throwsCode(() => lib.encode({ time: { seconds: 1.5 } }), { code: "TYPE", field: "time.seconds" });
  throwsCode(() => lib.encode({ genai: { temperature: "hot" } }), { code: "TYPE", field: "genai.temperature" });
  throwsCode(() => lib.encode({ mcp: 7 }), { code: "TYPE", field: "mcp" });
});

test(`${packageName}: arguments of the wrong kind are TYPE errors`, () => {
  for (const bad of [undefined, null, 1, "x", true, 1n, Symbol("s"), [], new Uint8Array(1)]) {
    throwsCode(() => lib.encode(bad), { code: "TYPE", message: /^entry: expected a LogEntry object/ });
  }
  for (const bad of [undefined, null, "x", [1, 2], {}, new Uint16Array(1)]) {
    throwsCode(() => lib.decode(bad), { code: "TYPE", message: /^bytes: expected a Uint8Array/ });
    throwsCode(() => lib.decodeDelimited(bad), { code: "TYPE" });
    throwsCode(() => lib.validateDelimited(bad), { code: "TYPE" });
  }
  throwsCode(() => lib.encodeDelimited({}), { code: "TYPE", message: /^entries: expected an Array/ });
  throwsCode(() => lib.encodeDelimited([{}, 5]), { code: "TYPE", index: 1, message: /^entries\[1\]: expected/ });
  throwsCode(() => lib.fromJsonString(5), { code: "TYPE", message: /^text: expected a string/ });
  throwsCode(() => lib.fromJson(undefined), { code: "TYPE" });
  throwsCode(() => lib.fromJson({ a: 1n }), { code: "TYPE" });
  throwsCode(() => lib.validate(5), { code: "TYPE" });
});

test(`${packageName}: unknown options are refused, so no check is silently skipped`, () => {
  throwsCode(() => lib.validate(specFirstExample, { profiles: "hipaa" }), {
    code: "TYPE",
    message: "options: unknown option `profiles` (known: profile, maxEntryBytes)",
  });
  throwsCode(() => lib.validate(specFirstExample, { profile: "gdpr" }), { code: "UNKNOWN_PROFILE", message: /unknown validation profile `gdpr`/ });
  throwsCode(() => lib.validate(specFirstExample, { profile: 5 }), { code: "TYPE" });
  throwsCode(() => lib.redact(specFirstExample, { key: 5 }), { code: "TYPE" });
  throwsCode(() => lib.scanText(5), { code: "TYPE" });
  throwsCode(() => lib.decode(new Uint8Array(0), { maxBytes: 1 }), { code: "TYPE", message: /known: maxEntryBytes/ });
  throwsCode(() => lib.decode(new Uint8Array(0), { maxEntryBytes: 0 }), { code: "TYPE" });
  throwsCode(() => lib.decode(new Uint8Array(0), { maxEntryBytes: "1" }), { code: "TYPE" });
  throwsCode(() => lib.decode(new Uint8Array(0), 5), { code: "TYPE" });
  throwsCode(() => lib.fromJsonString("{}", { ignoreUnknownFields: 1 }), { code: "TYPE" });
});

test(`${packageName}: garbage bytes are DECODE errors`, () => {
  throwsCode(() => lib.decode(new Uint8Array([0x0a, 0x05, 0x61])), { code: "DECODE" });
  throwsCode(() => lib.decode(new Uint8Array([0x08])), { code: "DECODE" });
  throwsCode(() => lib.toJsonString(new Uint8Array([0xff, 0xff])), { code: "DECODE" });
  throwsCode(() => lib.validate(new Uint8Array([0x07])), { code: "DECODE" });
  // Random noise, seeded: never anything but a result or a ComplianceLogError.
  let seed = 42;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 500; i++) {
    const bytes = new Uint8Array(Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
    for (const f of [lib.decode, lib.decodeDelimited, lib.validateDelimited, lib.toJsonString]) {
      try {
        f(bytes);
      } catch (err) {
        assert.ok(err instanceof ComplianceLogError, `${err}`);
      }
    }
  }
});

test(`${packageName}: broken streams name the entry and its byte offset`, () => {
  const good = lib.encodeDelimited([specFirstExample, specFirstExample]);
  const first = lib.encodeDelimited([specFirstExample]).length;
  throwsCode(() => lib.decodeDelimited(good.subarray(0, good.length - 3)), {
    code: "TRUNCATED",
    index: 1,
    offset: first,
    needed: 3,
  });
  const badBody = new Uint8Array([...good.subarray(0, first), 2, 0xff, 0xff]);
  throwsCode(() => lib.decodeDelimited(badBody), { code: "DECODE", index: 1, offset: first });
  throwsCode(() => lib.decodeDelimited(new Uint8Array(11).fill(0xff)), { code: "LENGTH_PREFIX", index: 0 });
});

test(`${packageName}: validateDelimited gives one report per entry, an unreadable one carrying its error`, () => {
  const one = lib.encodeDelimited([specFirstExample]);
  const bad = new Uint8Array([2, 0xff, 0xff]);
  const invalid = lib.encodeDelimited([{ actorId: "x" }]);
  const stream = new Uint8Array([...one, ...bad, ...invalid, ...one]);
  const reports = lib.validateDelimited(stream);
  assert.equal(reports.length, 4);
  assert.deepEqual(reports.map((r) => r.valid), [true, false, false, true]);
  assert.deepEqual(reports.map((r) => r.error === null), [true, false, true, true]);
  const { error } = reports[1];
  assert.ok(error instanceof lib.ComplianceLogError);
  assert.equal(error.code, "DECODE");
  assert.equal(error.index, 1);
  assert.equal(error.offset, one.length);
  assert.deepEqual([reports[1].violations, reports[1].findings], [[], []]);
  assert.ok(reports[2].violations.length > 0);
  assert.deepEqual(reports[0], lib.validate(specFirstExample));
  // A broken frame is reported too, and ends the stream.
  const cut = lib.validateDelimited(stream.subarray(0, stream.length - 3));
  assert.equal(cut.length, 4);
  assert.equal(cut[3].error.code, "TRUNCATED");
  assert.equal(cut[3].error.index, 3);
  // Over the limit is unreadable, unless the limit is raised.
  const limit = one.length - 3; // under the entry, whose length prefix is at most 2 bytes
  assert.equal(lib.validateDelimited(one, { maxEntryBytes: limit })[0].error.code, "TOO_LARGE");
  assert.equal(lib.validateDelimited(one, { maxEntryBytes: one.length })[0].error, null);
});

test(`${packageName}: writers refuse what readers with the same maxEntryBytes refuse`, () => {
  const big = { ...specFirstExample, message: "m".repeat(5000) };
  const bytes = lib.encode(big);
  throwsCode(() => lib.encode(big, { maxEntryBytes: 1000 }), { code: "TOO_LARGE", size: bytes.length, limit: 1000 });
  throwsCode(() => lib.decode(bytes, { maxEntryBytes: 1000 }), { code: "TOO_LARGE" });
  throwsCode(() => lib.encodeDelimited([specFirstExample, big], { maxEntryBytes: 1000 }), {
    code: "TOO_LARGE",
    index: 1,
  });
  throwsCode(() => lib.validate(bytes, { maxEntryBytes: 1000 }), { code: "TOO_LARGE" });
  // The default limits agree (4 MiB).
  throwsCode(() => lib.encode({ message: "x".repeat(4 << 20) }), { code: "TOO_LARGE" });
  // Raised on both sides, it reads back.
  const options = { maxEntryBytes: bytes.length };
  const stream = lib.encodeDelimited([big], options);
  assert.equal(lib.decodeDelimited(stream, options)[0].message, big.message);
  assert.equal(lib.decode(lib.encode(big, options), options).message, big.message);
  assert.equal(lib.validate(bytes, options).error, null);
});

test(`${packageName}: a JSON key given twice is refused, naming it and its path`, () => {
  throwsCode(() => lib.fromJsonString('{"eventType": "EVENT_LOGIN", "actorId": "alice", "actorId": "mallory"}'), {
    code: "JSON",
    message: /\(field `actorId`\): duplicate key `actorId`$/,
  });
  throwsCode(() => lib.fromJsonString('{"actorId": "alice", "actor_id": "mallory"}'), {
    code: "JSON",
    message: /\(field `actor_id`\): duplicate key `actor_id`: the field was already given as `actorId`/,
  });
  throwsCode(() => lib.fromJsonString('{"delegationChain": [{"actorId": "a"}, {"actorId": "b", "actorId": "c"}]}'), {
    code: "JSON",
    message: /\(field `delegationChain\[1\]\.actorId`\)/,
  });
});

test(`${packageName}: bad JSON names the line and column`, () => {
  throwsCode(() => lib.fromJsonString('{\n  "actorId": 3\n}'), {
    code: "JSON",
    jsonLine: 2,
    message: /^invalid JSON at line 2/,
  });
  throwsCode(() => lib.fromJsonString("not json"), { code: "JSON", jsonLine: 1, jsonColumn: 2 });
  throwsCode(() => lib.fromJsonString('{"eventType":"EVENT_NOPE"}'), { code: "JSON" });
  throwsCode(() => lib.fromJsonString(""), { code: "JSON" });
});

test(`${packageName}: a value without a JSON form is JSON_VALUE naming the field`, () => {
  throwsCode(() => lib.toJsonString({ time: { seconds: 253_402_300_800n } }), {
    code: "JSON_VALUE",
    field: "time",
  });
  throwsCode(() => lib.toJson({ time: { nanos: -1 } }), { code: "JSON_VALUE", field: "time" });
});

test(`${packageName}: assertValid throws a ValidationError carrying the violations`, () => {
  let caught;
  try {
    lib.assertValid({ eventType: 1, outcome: 1, severity: 2 });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ValidationError);
  assert.ok(caught instanceof ComplianceLogError);
  assert.equal(caught.name, "ValidationError");
  assert.equal(caught.code, "INVALID");
  assert.match(caught.message, /actorId/);
  assert.deepEqual(caught.violations, lib.validate({ eventType: 1, outcome: 1, severity: 2 }).violations);
  assert.equal(lib.assertValid(specFirstExample), undefined);
});

test(`${packageName}: a getter that throws passes its exception through, and the package still works`, () => {
  const boom = new Error("boom");
  const entry = {
    get actorId() {
      throw boom;
    },
  };
  assert.throws(() => lib.encode(entry), (err) => err === boom);
  assert.deepEqual(lib.decode(lib.encode(specFirstExample)).actorId, "agent-001");
});

test(`${packageName}: messages never repeat the record's content`, () => {
  const secret = "4111-1111-1111-1111";
  for (const fn of [
    () => lib.encode({ actorId: secret, durationMs: secret }),
    () => lib.encode({ policyTags: [secret, 7] }),
    () => lib.fromJsonString(`{"actorId":"${secret}","eventType":"${secret}"}`),
    () => lib.fromJsonString(`{"actorId":"${secret}",}`),
    () => lib.fromJsonString(`{"durationMs":"${secret}"}`),
    () => lib.fromJsonString(`{"time":"${secret}"}`),
    () => lib.assertValid({ message: secret }),
  ]) {
    try {
      fn();
      assert.ok(false, "expected an error");
    } catch (err) {
      assert.ok(!String(err.message).includes(secret), err.message);
    }
  }
});
