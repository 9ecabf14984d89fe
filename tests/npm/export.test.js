// The Node package's exports: the entry in OCSF, ECS and OpenTelemetry logs,
// and back, by the same Rust mapping `complog export` and Python's
// `lokryn_compliance_log.export` follow (the same expectations as
// tests/python/test_export.py). The browser package has no exports: these
// run for the Node package only.

import { assert, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";
import { goldenVectors, specFirstExample, vectors } from "./vectors.js";

const skip = binding === "node" ? false : "the wasm package has no exports";
const golden = binding === "node" ? await goldenVectors() : [];

const login = {
  eventType: 1, // EVENT_LOGIN
  outcome: 3, // OUTCOME_FAILURE_DENIED
  severity: 4, // SEVERITY_WARNING
  actorId: "alice@example.com",
  sourceIp: "203.0.113.7",
  time: { seconds: 1_764_547_200n, nanos: 0 },
};

function throwsCode(fn, code, extra = {}) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof lib.ComplianceLogError, `not a ComplianceLogError: ${err}`);
    assert.equal(err.code, code, err.message);
    for (const [k, v] of Object.entries(extra)) {
      assert.deepEqual(err[k], v, `${k} of ${err.message}`);
    }
    return true;
  });
}

/** The entry's canonical encoding, for comparing entries exactly. */
const bytes = (entry) => lib.encode(entry);

test(`${packageName}: toOcsf gives the Authentication class`, { skip }, () => {
  const event = lib.toOcsf(login, { logName: "audit" });
  assert.deepEqual(
    [event.class_uid, event.activity_id, event.type_uid, event.category_uid],
    [3002, 1, 300201, 3],
  );
  assert.equal(event.severity_id, 3); // Medium
  assert.equal(event.status_id, 2); // Failure
  assert.equal(event.user.uid, "alice@example.com");
  assert.equal(event.src_endpoint.ip, "203.0.113.7");
  assert.equal(event.time, 1_764_547_200_000);
  assert.equal(event.metadata.log_name, "audit");
  assert.equal(event.metadata.version, "1.7.0");
});

test(`${packageName}: an entry without time takes observedTimeNs, bigint or number`, { skip }, () => {
  const big = lib.toOcsf({ actorId: "a" }, { observedTimeNs: 1_764_547_200_000_000_000n });
  assert.equal(big.time, 1_764_547_200_000);
  assert.equal(big.unmapped.time_unset, true);
  const small = lib.toOcsf({ actorId: "a" }, { observedTimeNs: 1_000_000 });
  assert.equal(small.time, 1);
});

test(`${packageName}: bytes and objects give the same documents`, { skip }, () => {
  for (const [name, entry] of vectors) {
    const encoded = lib.encode(entry);
    assert.deepEqual(lib.toOcsf(encoded), lib.toOcsf(entry), name);
    assert.deepEqual(lib.toEcs(encoded), lib.toEcs(entry), name);
  }
});

/** [name, entry object, its encoding] for every entry of examples/good. */
async function examples() {
  const { readdir, readFile } = await import("node:fs/promises");
  const dir = new URL("../../examples/good/", import.meta.url);
  const out = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = new URL(name, dir);
    let entries = [];
    if (name.endsWith(".json")) {
      entries = [lib.fromJsonString(await readFile(path, "utf8"))];
    } else if (name.endsWith(".jsonl")) {
      const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l.trim());
      entries = lines.map((l) => lib.fromJsonString(l));
    } else if (name.endsWith(".binpb")) {
      entries = lib.decodeDelimited(new Uint8Array(await readFile(path)));
    }
    entries.forEach((e, i) => out.push([`${name}[${i}]`, e, lib.encode(e)]));
  }
  return out;
}

test(`${packageName}: bytes and objects give the same bytes for every target`, { skip }, async () => {
  // Bytes are exported from a view of the encoding, objects from the entry
  // they convert to: the same text (or protobuf), on every vector, golden
  // vector and example, one at a time and all in one request.
  const all = [
    ...vectors.map(([name, entry]) => [name, entry, lib.encode(entry)]),
    ...golden.map((v) => [v.name, lib.decode(v.binary), v.binary]),
    ...(await examples()),
  ];
  assert.ok(golden.length > 10 && all.length > vectors.length + golden.length);
  const observed = { observedTimeNs: 1_764_547_200_123_456_789n };
  for (const [name, entry, encoded] of all) {
    assert.equal(lib.toOcsfString(encoded), lib.toOcsfString(entry), name);
    assert.equal(
      lib.toOcsfString(encoded, { ...observed, logName: "audit" }),
      lib.toOcsfString(entry, { ...observed, logName: "audit" }),
      name,
    );
    assert.equal(lib.toEcsString(encoded), lib.toEcsString(entry), name);
    assert.equal(lib.toOtlpJsonString([encoded], observed), lib.toOtlpJsonString([entry], observed), name);
    assert.deepEqual(lib.toOtlp([encoded], observed), lib.toOtlp([entry], observed), name);
  }
  const objects = all.map(([, entry]) => entry);
  const encodings = all.map(([, , encoded]) => encoded);
  const mixed = all.map(([, entry, encoded], i) => (i % 2 ? entry : encoded));
  for (const batch of [encodings, mixed]) {
    assert.equal(lib.toOtlpJsonString(batch, observed), lib.toOtlpJsonString(objects, observed));
    assert.deepEqual(lib.toOtlp(batch, observed), lib.toOtlp(objects, observed));
  }
});

test(`${packageName}: the first bad entry of a batch is the one reported`, { skip }, () => {
  const good = lib.encode(login);
  throwsCode(() => lib.toOtlp([good, new Uint8Array([0xff]), 42]), "DECODE", { index: 1 });
  throwsCode(() => lib.toOtlp([good, 42, new Uint8Array([0xff])]), "TYPE", { index: 1 });
});

/**
 * Whether every number in a JSON value survives `JSON.stringify` exactly:
 * not an integer beyond 2^53, not -0 (written as 0).
 */
function safeNumbers(value) {
  if (typeof value === "number") {
    return !Object.is(value, -0) && (!Number.isInteger(value) || Number.isSafeInteger(value));
  }
  if (value === null || typeof value !== "object") return true;
  return Object.values(value).every(safeNumbers);
}

test(`${packageName}: every vector round-trips through OCSF exactly`, { skip }, () => {
  let lossy = 0;
  const all = [...vectors, ...golden.map((v) => [v.name, lib.decode(v.binary)])];
  assert.ok(golden.length > 0);
  for (const [name, entry] of all) {
    const text = lib.toOcsfString(entry);
    const event = lib.toOcsf(entry);
    assert.deepEqual(JSON.parse(text), event, name);
    // The text is exact: every record comes back.
    assert.deepEqual(bytes(lib.fromOcsf(text)), bytes(entry), name);
    // The object too, unless JavaScript numbers cannot hold its integers.
    if (safeNumbers(event)) {
      assert.deepEqual(bytes(lib.fromOcsf(event)), bytes(entry), name);
    } else {
      lossy += 1;
    }
  }
  // The vectors with int64 extremes or -0.
  assert.ok(lossy > 0 && lossy < all.length / 4, `${lossy} of ${all.length}`);
});

test(`${packageName}: the String functions give the objects' text`, { skip }, () => {
  assert.deepEqual(JSON.parse(lib.toEcsString(login)), lib.toEcs(login));
  const options = { observedTimeNs: 1n };
  assert.deepEqual(JSON.parse(lib.toOtlpJsonString([login], options)), lib.toOtlpJson([login], options));
  assert.equal(lib.toOcsfString(login, { logName: "a" }), JSON.stringify(lib.toOcsf(login, { logName: "a" })));
});

test(`${packageName}: toEcs fields`, { skip }, () => {
  const doc = lib.toEcs(login);
  assert.deepEqual(doc.event.category, ["authentication", "session"]);
  assert.equal(doc.event.outcome, "failure");
  assert.match(doc["@timestamp"], /^2025-12-01T00:00:00/);
  assert.equal(doc.ecs.version, "9.0.0");
});

test(`${packageName}: toOtlpJson and toOtlp`, { skip }, () => {
  const entries = [login, specFirstExample];
  const options = { observedTimeNs: 1_764_547_200_000_000_000n };
  const request = lib.toOtlpJson(entries, options);
  const records = request.resourceLogs.flatMap((rl) =>
    rl.scopeLogs.flatMap((sl) => sl.logRecords),
  );
  assert.equal(records.length, 2);
  assert.equal(records[0].severityNumber, 13); // WARN, the syslog appendix's Warning
  assert.equal(records[0].timeUnixNano, "1764547200000000000");
  assert.equal(records[1].eventName, "lokryn.tool_invocation");
  const body = lib.toOtlp(entries, options);
  assert.ok(body instanceof Uint8Array && body.length > 0);
  assert.deepEqual(lib.toOtlp(entries.map((e) => lib.encode(e)), options), body);
  assert.deepEqual(lib.toOtlp([], options), new Uint8Array(0));
});

test(`${packageName}: fromOcsf refuses a foreign event`, { skip }, () => {
  throwsCode(() => lib.fromOcsf({ class_uid: 4010, activity_id: 3 }), "IMPORT");
  throwsCode(() => lib.fromOcsf("{not json"), "IMPORT");
  throwsCode(() => lib.fromOcsf(undefined), "TYPE");
});

test(`${packageName}: the export functions check their arguments`, { skip }, () => {
  throwsCode(() => lib.toOcsf("not an entry"), "TYPE");
  throwsCode(() => lib.toOcsf(new Uint8Array([0xff])), "DECODE");
  throwsCode(() => lib.toOcsf(login, { logname: "typo" }), "TYPE", { field: "options" });
  throwsCode(() => lib.toOcsf(login, { observedTimeNs: -1 }), "TYPE");
  throwsCode(() => lib.toOcsf(login, { observedTimeNs: 1.5 }), "TYPE");
  throwsCode(() => lib.toOcsf(login, { logName: 7 }), "TYPE");
  throwsCode(() => lib.toOtlp(login), "TYPE");
  throwsCode(() => lib.toOtlp([login, "x"]), "TYPE", { index: 1 });
  throwsCode(() => lib.toOtlpJson([login], { logName: "only for OCSF" }), "TYPE");
});

test(`${packageName}: fromLokryn02 reads JSON Lines and binary`, { skip }, () => {
  const line =
    '{"event_type": "EVENT_TOOL_INVOCATION", "outcome": "OUTCOME_SUCCESS",' +
    ' "actor_id": "agent-7", "duration_ms": "12", "ocsf_class_uid": 6003}';
  const [one, ...rest] = lib.fromLokryn02(line);
  assert.equal(rest.length, 0);
  assert.equal(one.eventType, 13); // EVENT_TOOL_INVOCATION: 20 in 0.2.0
  assert.equal(one.durationMs, 12n);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(one.payload)), { ocsf_class_uid: 6003 });
  assert.deepEqual(
    lib.fromLokryn02(`${line}\n${line}\n`).map(bytes),
    [bytes(one), bytes(one)],
  );
  // Binary, by hand: event_type (1) = 20, actor_id (10) = "agent-7".
  const record = new Uint8Array([0x08, 0x14, 0x52, 0x07, ...new TextEncoder().encode("agent-7")]);
  const [single] = lib.fromLokryn02(record, { framing: "single" });
  assert.deepEqual([single.eventType, single.actorId], [13, "agent-7"]);
  const stream = new Uint8Array([record.length, ...record, record.length, ...record]);
  assert.deepEqual(lib.fromLokryn02(stream).map(bytes), [bytes(single), bytes(single)]);
  throwsCode(() => lib.fromLokryn02('{"no_such_field": 1}'), "IMPORT");
  throwsCode(() => lib.fromLokryn02(`${line}\n{"no_such_field": 1}\n`), "IMPORT", { index: 1 });
  throwsCode(() => lib.fromLokryn02(record, { framing: "chunked" }), "TYPE");
  throwsCode(() => lib.fromLokryn02(42), "TYPE");
});
