// `AuditLogger.log` of the Node package takes its fields object on a value
// tape (bindings/node/tape.cjs) and returns the record replayed from one.
// The native logger's own `log`, which reads the object through Node-API
// field by field, is the reference: for the same calls, both must return the
// same records (event ids and times aside), write the same lines, throw the
// same errors and warn alike, for the shared logger cases, every test entry
// and odd or hostile values. Node package only.

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";
import { entries } from "./vectors.js";

const skip = binding === "node" ? false : "the wasm package has no logger";

const fs = isNode ? await import("node:fs") : null;
const os = isNode ? await import("node:os") : null;
const path = isNode ? await import("node:path") : null;
const vm = isNode ? await import("node:vm") : null;
// The native half of the package's AuditLogger (initialised by the package).
const native = binding === "node" ? (await import("../../bindings/node/native.cjs")).default : null;
// The package's tape writer (an internal module).
const tape = binding === "node" ? (await import("../../bindings/node/tape.cjs")).default : null;

const cases = isNode
  ? JSON.parse(fs.readFileSync(new URL("../vectors/logger/cases.json", import.meta.url), "utf8")).cases
  : [];

/** A record without what differs from call to call (the time unless `keepTime`). */
function stable(entry, keepTime = false) {
  if (typeof entry !== "object" || entry === null) return entry;
  const { eventId: _id, time, ...rest } = entry;
  return keepTime ? { ...rest, time } : rest;
}

/** `{ value }` or `{ error }` (its class, message and own properties) of `fn()`. */
function outcome(fn, keepTime) {
  try {
    return { value: stable(fn(), keepTime) };
  } catch (err) {
    if (typeof err !== "object" || err === null) return { thrown: err };
    const own = {};
    for (const k of Object.keys(err)) own[k] = err[k];
    return { error: { class: err.constructor?.name, name: err.name, message: err.message, ...own } };
  }
}

function lines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => stable(JSON.parse(l)));
}

/**
 * Two loggers of the same options writing to their own files: the
 * package's (tape path) and the native one (the object read field by
 * field), each with its warnings collected.
 */
function pair(options = {}, quarantine = options.onInvalid === "quarantine") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-tape-"));
  const files = (side) => ({ main: path.join(dir, `${side}.jsonl`), held: path.join(dir, `${side}-q.jsonl`) });
  const taped = { files: files("taped"), warned: [] };
  const live = { files: files("live"), warned: [] };
  taped.logger = new lib.AuditLogger({
    ...options,
    sinks: [lib.sinks.JsonLines(taped.files.main)],
    ...(quarantine ? { quarantine: lib.sinks.JsonLines(taped.files.held) } : {}),
    onWarning: (entry, report) => taped.warned.push([stable(entry), report]),
  });
  const config = { sinks: [{ kind: "jsonLines", path: live.files.main }] };
  if (quarantine) config.quarantine = { kind: "jsonLines", path: live.files.held };
  if (options.profile !== undefined) config.profiles = [options.profile].flat();
  if (options.producer !== undefined) {
    config.producerName = options.producer.name;
    config.producerVersion = options.producer.version;
  }
  if (options.onInvalid !== undefined) config.onInvalid = options.onInvalid;
  if (typeof options.redact === "string") config.redactKey = Buffer.from(options.redact, "utf8");
  if (options.redact === false) config.redact = false;
  live.logger = new native.AuditLogger(config, options.defaults, [], (entry, report) =>
    live.warned.push([stable(entry), report]),
  );
  return {
    /** Logs `fields` with both; `keepTime` compares the records' times too. */
    log(fields, what, keepTime = false) {
      assert.deepEqual(
        outcome(() => taped.logger.log(fields), keepTime),
        outcome(() => live.logger.log(fields), keepTime),
        what,
      );
    },
    close(what) {
      taped.logger.close();
      live.logger.close();
      assert.deepEqual(lines(taped.files.main), lines(live.files.main), `${what}: the lines written`);
      assert.deepEqual(lines(taped.files.held), lines(live.files.held), `${what}: the lines quarantined`);
      assert.deepEqual(taped.warned, live.warned, `${what}: the warnings`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The options of a shared case, as its test gives them to AuditLogger. */
function caseOptions(options) {
  const out = {};
  if (options.defaults) out.defaults = lib.fromJson(options.defaults);
  if (options.producer) out.producer = options.producer;
  if (options.profiles) out.profile = options.profiles;
  if (options.onInvalid) out.onInvalid = options.onInvalid;
  if (options.redact !== undefined) {
    out.redact = typeof options.redact === "object" ? options.redact.key : options.redact;
  }
  return out;
}

test(`${packageName}: AuditLogger.log on a tape does what the field-by-field read does, for the shared logger cases`, { skip }, () => {
  let calls = 0;
  for (const c of cases) {
    if (c.buildError !== undefined) continue;
    const p = pair(caseOptions(c.options), Boolean(c.options.quarantine));
    for (const [i, step] of c.calls.entries()) {
      if (step.log === undefined) continue;
      p.log(lib.fromJson(step.log), `${c.name}, call ${i}`);
      calls++;
    }
    p.close(c.name);
  }
  assert.ok(calls >= 10, `only ${calls} calls`);
});

test(`${packageName}: AuditLogger.log on a tape does what the field-by-field read does, for every test entry`, { skip }, () => {
  for (const options of [{}, { profile: "pci", onInvalid: "quarantine" }, { onInvalid: "warn", profile: "hipaa" }]) {
    const p = pair(options);
    entries.forEach((entry, i) => p.log(entry, `entry ${i} with ${JSON.stringify(options)}`));
    p.close(JSON.stringify(options));
  }
});

test(`${packageName}: AuditLogger.log on a tape does what the field-by-field read does, for odd and hostile values`, { skip }, () => {
  const base = { eventType: 13, outcome: 1, severity: 2, actorId: "agent-7", resource: "tools/search" };
  const other = vm.runInNewContext("({ date: new Date(1700000000123), bytes: new Uint8Array([1, 2, 3]), array: ['x', 'y'] })");
  const proxied = new Proxy(["a", "b"], {});
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  let reads = 0;
  const getters = Object.defineProperty({ ...base }, "message", {
    enumerable: true,
    get() {
      reads++;
      return `read ${reads > 0 ? "once or more" : "never"}`;
    },
  });
  const throwing = Object.defineProperty({ ...base }, "component", {
    enumerable: true,
    get() {
      throw new RangeError("no component today");
    },
  });
  // Records that give their time (compared too).
  const times = new Set([
    { ...base, time: new Date(1700000000123) },
    { ...base, time: other.date },
    { ...base, time: new Date(Number.NaN) },
    { ...base, time: { seconds: 1700000000n, nanos: 5 } },
    { ...base, time: { seconds: "x" } },
    { ...base, time: 5 },
  ]);
  const odd = [
    // Text: non-ASCII, unpaired surrogates, a pair split across two fields, sensitive data.
    { ...base, message: "café ✓ 😀 for bob@example.com, card 4111 1111 1111 1111" },
    { ...base, message: "lone \ud800 and \udfff", component: "\udc00x" },
    { ...base, actorId: "ends with \ud83d", component: "\ude00 starts with the other half" },
    { ...base, message: "" },
    { ...base, message: "x".repeat(100_000) },
    // Numbers and 64-bit integers in every accepted and refused form.
    { ...base, durationMs: 87n },
    { ...base, durationMs: 87 },
    { ...base, durationMs: "87" },
    { ...base, durationMs: -0 },
    { ...base, durationMs: 1.5 },
    { ...base, durationMs: 2n ** 64n },
    { ...base, durationMs: -(2n ** 63n) },
    { ...base, eventType: -0 },
    { ...base, eventType: 1.5 },
    { ...base, eventType: 2 ** 31 },
    { ...base, eventType: 99999 },
    { ...base, eventType: "EVENT_LOGIN" },
    { ...base, eventType: null, outcome: undefined },
    // Wrong types.
    { ...base, actorId: 5 },
    { ...base, actorId: Symbol("s") },
    { ...base, actorId: () => "f" },
    { ...base, actorId: {} },
    { ...base, actorId: true },
    { ...base, actorId: 5n },
    { ...base, policyTags: "SOC2" },
    { ...base, policyTags: ["a", 1] },
    { ...base, policyTags: ["a", ["b"]] },
    // eslint-disable-next-line no-sparse-arrays
    { ...base, policyTags: ["a", , "b"] },
    { ...base, policyTags: proxied },
    { ...base, policyTags: other.array },
    { ...base, policyTags: [] },
    // Bytes, times and messages.
    { ...base, payload: new Uint8Array([1, 2, 3]), payloadFormat: 1 },
    { ...base, payload: Buffer.from("{}") },
    { ...base, payload: new Int8Array([1]) },
    { ...base, payload: other.bytes },
    { ...base, payload: [1, 2] },
    ...times,
    { ...base, producer: { name: "p", version: "1" } },
    { ...base, producer: { name: "p", versio: "1" } },
    { ...base, genai: { temperature: -0, topP: Number.NaN, maxTokens: 0n, finishReasons: ["stop"] } },
    { ...base, mcp: { methodName: "tools/call", jsonrpcErrorCode: 0 } },
    { ...base, delegationChain: [{ actorId: "u-1", actorType: 1, scopes: ["read"] }, null] },
    { ...base, delegationChain: [{ actorId: "u-1" }, "x"] },
    { ...base, delegationChain: {} },
    // Keys.
    { ...base, actorid: "x" },
    { ...base, $typeName: "lokryn.compliancelog.v1.LogEntry", $unknown: [] },
    Object.assign(Object.create({ inherited: "x" }), base),
    // Not entries at all.
    undefined,
    null,
    5,
    "text",
    [base],
    proxied,
    new Uint8Array(2),
    new Date(0),
    revoked,
    new Proxy(base, {}),
    // Getters run once per call, and their errors propagate.
    getters,
    throwing,
  ];
  // The writer's fast path for entry objects writes what its general one does.
  for (const [i, fields] of [...odd, ...entries].entries()) {
    if (fields === getters || fields === throwing || fields === revoked) continue;
    if (typeof fields !== "object" || fields === null || Array.isArray(fields) || fields instanceof Uint8Array) continue;
    const written = (how) => {
      const w = new tape.Writer();
      try {
        const values = how(w);
        return { bytes: [...w.buf.subarray(0, w.pos)], text: w.text, values };
      } catch (err) {
        return { error: String(err?.message ?? err) };
      }
    };
    assert.deepEqual(written((w) => w.entry(fields)), written((w) => w.message(fields, 0)), `the tape of odd value ${i}`);
  }
  for (const options of [{ profile: "pci", onInvalid: "quarantine" }, { onInvalid: "warn", profile: "pci" }, { redact: "key" }]) {
    const p = pair(options);
    odd.forEach((fields, i) => {
      const before = reads;
      p.log(fields, `odd value ${i} with ${JSON.stringify(options)}`, times.has(fields));
      if (fields === getters) assert.equal(reads - before, 2, "the getter ran once per log");
    });
    p.close(JSON.stringify(options));
  }
});

test(`${packageName}: a getter that logs while a record is being taped gets its own tape`, { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-tape-"));
  const logger = new lib.AuditLogger({ sinks: [lib.sinks.JsonLines(path.join(dir, "a.jsonl"))] });
  let inner;
  const fields = {
    eventType: 13,
    outcome: 1,
    severity: 2,
    actorId: "outer",
    get message() {
      inner = logger.log({ eventType: 13, outcome: 1, severity: 2, actorId: "inner", message: "inside" });
      return "outside";
    },
    component: "c",
  };
  const outer = logger.log(fields);
  assert.equal(outer.actorId, "outer");
  assert.equal(outer.message, "outside");
  assert.equal(outer.component, "c");
  assert.equal(inner.actorId, "inner");
  assert.equal(inner.message, "inside");
  logger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// The record comes back without the caller's strings that it holds
// unchanged (the native side sends a mask, tape.cjs puts the caller's
// strings back): every string the engine filled, completed or redacted
// must come from the record, never from the caller.
test(`${packageName}: the record returned holds what the engine filled and redacted, not the caller's strings`, { skip }, () => {
  const base = { eventType: 13, outcome: 1, severity: 2, actorId: "agent-7", resource: "tools/search" };
  const defaults = { component: "billing", environment: "staging", policyTags: ["SOC2"] };
  const cases = [
    // Redacted in place.
    [{ ...base, message: "sent to bob@example.com", userAgent: "curl for carol@example.org" }, {}],
    // Keyed redaction: another replacement of the same length class.
    [{ ...base, message: "sent to bob@example.com" }, { redact: "key" }],
    // Empty strings the logger fills: defaults, the event id, the host, the schema version.
    [{ ...base, component: "", environment: "", eventId: "", host: "", schemaVersion: "" }, { defaults }],
    // Unpaired surrogates are read as U+FFFD: the record's text differs from the caller's.
    [{ ...base, actorId: "agent \ud800", component: "\udfff", message: "ok" }, {}],
    // Nothing to change: every string is the caller's.
    [{ ...base, component: "c", environment: "e", message: "plain", sessionId: "s", requestId: "r" }, { defaults }],
  ];
  for (const [i, [fields, options]] of cases.entries()) {
    const p = pair(options);
    p.log(fields, `case ${i}`);
    p.close(`case ${i}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-tape-"));
  const logger = new lib.AuditLogger({ sinks: [lib.sinks.JsonLines(path.join(dir, "a.jsonl"))], defaults });
  const redacted = logger.log({ ...base, message: "sent to bob@example.com" });
  assert.ok(!redacted.message.includes("bob@example.com"), redacted.message);
  assert.equal(redacted.actorId, "agent-7");
  const filled = logger.log({ ...base, component: "", eventId: "", host: "", schemaVersion: "" });
  assert.equal(filled.component, "billing");
  assert.equal(filled.environment, "staging");
  assert.match(filled.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  assert.notEqual(filled.host, "");
  assert.notEqual(filled.schemaVersion, "");
  const lone = logger.log({ ...base, actorId: "agent \ud800" });
  assert.equal(lone.actorId, "agent \ufffd");
  // The returned record and the caller's object share no arrays.
  const tags = ["PCI"];
  const own = logger.log({ ...base, policyTags: tags });
  assert.notEqual(own.policyTags, tags);
  logger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Fields the engine leaves as the caller passed them do not come back on
// the output tape (tape.cjs puts the caller's values among the record's):
// strings, enum numbers, a bigint duration, and unset fields that stay at
// their zero values. Whatever is taken from the caller must be exactly
// what the record holds.
test(`${packageName}: fields the engine kept come from the caller, converted as the record holds them`, { skip }, () => {
  const base = { eventType: 13, outcome: 1, severity: 2, actorId: "agent-7", resource: "tools/search" };
  const cases = [
    // Unset in every way: the record has the zero values, not null.
    { ...base, sensitivity: null, actorType: undefined, message: null, sessionId: undefined, payload: null },
    // Messages given as null: unset, not null, in the record.
    { ...base, genai: null, mcp: null, time: null, producer: null, delegationChain: null, policyTags: null },
    // -0 is not the record's 0; a number duration is the record's bigint.
    { ...base, sensitivity: -0, durationMs: 87 },
    { ...base, durationMs: 0n, actorType: 0 },
    { ...base, durationMs: -(2n ** 63n), payloadFormat: 2 },
    // Filled by the logger although given as empty or unset.
    { ...base, eventId: null, host: undefined, schemaVersion: "" },
    // Only the time and the producer left to fill: the record's factory
    // gets two values from the tape, as a Timestamp's or a Producer's does.
    { ...base, eventId: "01890a5d-ac96-774b-bcce-b302099a8057", host: "h", schemaVersion: "1.0.0" },
    // Only the time left.
    {
      ...base,
      eventId: "01890a5d-ac96-774b-bcce-b302099a8057",
      host: "h",
      schemaVersion: "1.0.0",
      producer: { name: "p", version: "1" },
    },
  ];
  for (const options of [{}, { profile: "pci", onInvalid: "warn" }]) {
    const p = pair(options);
    cases.forEach((fields, i) => p.log(fields, `case ${i} with ${JSON.stringify(options)}`));
    p.close(JSON.stringify(options));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-tape-"));
  const logger = new lib.AuditLogger({ sinks: [lib.sinks.JsonLines(path.join(dir, "a.jsonl"))] });
  const zero = logger.log({ ...base, sensitivity: -0, message: null, durationMs: 87 });
  assert.ok(Object.is(zero.sensitivity, 0), "-0 became 0");
  assert.equal(zero.message, "");
  assert.equal(zero.durationMs, 87n);
  const kept = logger.log({ ...base, durationMs: 87n, payloadFormat: 1 });
  assert.equal(kept.durationMs, 87n);
  assert.equal(kept.payloadFormat, 1);
  assert.equal(kept.eventType, 13);
  logger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// An empty `bytes` field (the payload of most records) is one zero-length
// Uint8Array shared by every message the package makes (runtime.cjs's
// EMPTY_BYTES): a caller holding it can change nothing another sees.
test(`${packageName}: records share one empty payload that no caller can change or detach`, { skip }, () => {
  const base = { eventType: 13, outcome: 1, severity: 2, actorId: "agent-7" };
  const logger = new lib.AuditLogger({ sinks: [] });
  const a = logger.log(base);
  const b = logger.log({ ...base, payload: new Uint8Array(0) });
  const c = native === null ? b : new native.AuditLogger({ sinks: [] }, undefined, [], () => {}).log(base);
  assert.ok(a.payload instanceof Uint8Array);
  assert.equal(a.payload.length, 0);
  assert.equal(a.payload, b.payload, "one shared array");
  assert.equal(a.payload, c.payload, "on the field-by-field path too");
  // No element can be written: it has none.
  a.payload[0] = 1;
  a.payload.fill(7);
  assert.throws(() => a.payload.set([1]), RangeError);
  assert.equal(b.payload[0], undefined);
  // No property can be added or changed, on the array or its buffer.
  assert.throws(() => {
    a.payload.extra = 1;
  }, TypeError);
  assert.throws(() => Object.defineProperty(a.payload, "extra", { value: 1 }), TypeError);
  assert.throws(() => Object.defineProperty(a.payload.buffer, "extra", { value: 1 }), TypeError);
  assert.throws(() => Object.setPrototypeOf(a.payload, null), TypeError);
  // Its buffer cannot be detached by a transfer.
  structuredClone(a.payload, { transfer: [a.payload.buffer] });
  const { port1 } = new MessageChannel();
  port1.postMessage(a.payload, [a.payload.buffer]);
  port1.close();
  assert.deepEqual(b.payload.slice(), new Uint8Array(0), "still attached");
  assert.equal(b.payload.buffer.byteLength, 0);
  assert.equal(Object.keys(b.payload).length, 0);
  // A payload with bytes is the record's own copy.
  const bytes = new TextEncoder().encode('{"a":1}');
  const own = logger.log({ ...base, payload: bytes, payloadFormat: 1 });
  assert.notEqual(own.payload, bytes);
  assert.deepEqual(own.payload, bytes);
  logger.close();
});
