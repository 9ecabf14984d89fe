// The Node package's audit logger (AuditLogger, sinks, operations, the
// OpenTelemetry trace context, the exit hooks): docs/logging.md. The browser
// package has no logger; these run for the Node package only. The shared
// cases are in logger-cases.test.js, the pino transport in pino.test.js.

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";

const skip = binding === "node" ? false : "the wasm package has no logger";

const fs = isNode ? await import("node:fs") : null;
const os = isNode ? await import("node:os") : null;
const path = isNode ? await import("node:path") : null;
const childProcess = isNode ? await import("node:child_process") : null;

/** A fresh temporary directory. */
function tmp() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-logger-"));
}

/** A record that passes baseline validation once the logger completes it. */
function fields(i = 0, extra = {}) {
  return {
    eventType: lib.EventType.EVENT_LOGIN,
    outcome: lib.Outcome.SUCCESS,
    severity: lib.Severity.INFO,
    actorId: `user-${i}`,
    component: "auth",
    resource: `apps/${i}`,
    ...extra,
  };
}

/** The records of a JSON Lines file, as entry objects. */
function readJsonLines(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => lib.fromJsonString(l));
}

function throwsCode(fn, code, more = {}) {
  let caught;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a ${code} error, nothing was thrown`);
  assert.ok(caught instanceof lib.ComplianceLogError, `not a ComplianceLogError: ${caught}`);
  assert.equal(caught.code, code, caught.message);
  for (const [k, v] of Object.entries(more)) {
    if (v instanceof RegExp) assert.match(String(caught[k]), v);
    else assert.deepEqual(caught[k], v, k);
  }
  return caught;
}

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test(`${packageName}: AuditLogger completes a record and writes it to every sink`, { skip }, () => {
  const dir = tmp();
  const seen = [];
  const user = { write: (entry) => seen.push(entry) };
  const logger = new lib.AuditLogger({
    sinks: [
      lib.sinks.JsonLines(path.join(dir, "a.jsonl")),
      new lib.sinks.Binary(path.join(dir, "a.binpb")),
      user,
    ],
    defaults: { environment: "staging", policyTags: ["SOC2"] },
  });
  const before = Date.now();
  const written = logger.log(fields(1, { policyTags: ["PCI"] }));
  logger.log(fields(2));
  logger.close();

  assert.equal(written.$typeName, "lokryn.compliancelog.v1.LogEntry");
  assert.match(written.eventId, UUID7);
  const ms = Number(written.time.seconds) * 1000 + written.time.nanos / 1e6;
  assert.ok(ms >= before - 1000 && ms <= Date.now() + 1000, `time ${ms} is not now`);
  assert.equal(written.producer.name, "@lokryn/compliance-log");
  assert.equal(written.producer.version, lib.VERSION);
  assert.notEqual(written.schemaVersion, "");
  assert.equal(written.host, os.hostname());
  assert.equal(written.environment, "staging");
  assert.deepEqual(written.policyTags, ["SOC2", "PCI"]);
  assert.equal(written.traceId, "");

  const json = readJsonLines(path.join(dir, "a.jsonl"));
  const binary = lib.decodeDelimited(fs.readFileSync(path.join(dir, "a.binpb")));
  assert.deepEqual(json, [written, json[1]]);
  assert.deepEqual(binary, json);
  assert.deepEqual(seen, json);
  assert.equal(json[1].actorId, "user-2");
  // UUIDv7 ids increase within the process.
  assert.ok(json[0].eventId < json[1].eventId);
});

test(`${packageName}: AuditLogger appends to the ledger and writes to stdout`, { skip }, () => {
  const dir = tmp();
  const [privateKey] = lib.Ledger.keygen("example.com/audit");
  fs.writeFileSync(path.join(dir, "audit.key"), `${privateKey}\n`);
  lib.Ledger.init(path.join(dir, "L"), path.join(dir, "audit.key")).close();
  const logger = new lib.AuditLogger({ sinks: [lib.sinks.Ledger(path.join(dir, "L"))] });
  const a = logger.log(fields(1));
  const b = logger.log(fields(2));
  logger.close();
  const ledger = new lib.Ledger(path.join(dir, "L"));
  assert.equal(ledger.size, 2);
  assert.deepEqual(ledger.read(), [a, b]);
  assert.equal(ledger.verify().size, 2);

  // Stdout: in a child process, whose output is the records' JSON Lines.
  const script = `
    const lib = require(${JSON.stringify(import.meta.resolve(packageName).replace("file://", "").replace(/index\.mjs$/, "index.js"))});
    const logger = new lib.AuditLogger({ sinks: [lib.sinks.Stdout()] });
    logger.log(${JSON.stringify(fields(3))});
    logger.close();
  `;
  const out = childProcess.execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
  const lines = out.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1);
  assert.equal(lib.fromJsonString(lines[0]).actorId, "user-3");
});

test(`${packageName}: AuditLogger redacts before any sink sees the record`, { skip }, () => {
  const card = "4111 1111 1111 1111";
  const seen = [];
  const sink = { write: (e) => seen.push(e.message) };
  const on = new lib.AuditLogger({ sinks: [sink] });
  const written = on.log(fields(1, { message: `paid with ${card}` }));
  assert.ok(!written.message.includes(card), written.message);
  assert.equal(seen[0], written.message);

  const keyed = new lib.AuditLogger({ sinks: [sink], redact: "k1" });
  const a = keyed.log(fields(1, { message: "mail alice@example.com" })).message;
  const b = keyed.log(fields(1, { message: "mail alice@example.com" })).message;
  assert.equal(a, b);
  assert.ok(!a.includes("alice@example.com"), a);
  const other = new lib.AuditLogger({ sinks: [sink], redact: new TextEncoder().encode("k2") });
  assert.notEqual(other.log(fields(1, { message: "mail alice@example.com" })).message, a);

  const off = new lib.AuditLogger({ sinks: [sink], redact: false });
  assert.equal(off.log(fields(1, { message: `paid with ${card}` })).message, `paid with ${card}`);
});

test(`${packageName}: AuditLogger applies the invalid-record policies`, { skip }, () => {
  const dir = tmp();
  const file = path.join(dir, "main.jsonl");
  const invalid = fields(1, { actorId: "" });

  // raise (the default outside production): nothing written.
  const raise = new lib.AuditLogger({ sinks: [lib.sinks.JsonLines(file)] });
  const err = throwsCode(() => raise.log(invalid), "INVALID");
  assert.ok(err instanceof lib.ValidationError);
  assert.equal(err.report.valid, false);
  assert.ok(err.violations.some((v) => v.field === "actorId"), JSON.stringify(err.violations));
  assert.deepEqual(err.report.violations, err.violations);
  raise.close();
  assert.equal(fs.readFileSync(file, "utf8"), "");
  assert.equal(raise.stats.invalid, 1);
  assert.equal(raise.stats.logged, 0);

  // warn: written, and onWarning sees it.
  const warnings = [];
  const warn = new lib.AuditLogger({
    sinks: [lib.sinks.JsonLines(file)],
    onInvalid: "warn",
    onWarning: (entry, report) => warnings.push([entry.actorId, report.valid]),
  });
  warn.log(invalid);
  warn.close();
  assert.deepEqual(warnings, [["", false]]);
  assert.equal(readJsonLines(file).length, 1);

  // quarantine: to the quarantine sink only.
  const kept = [];
  const q = new lib.AuditLogger({
    sinks: [lib.sinks.JsonLines(file)],
    onInvalid: "quarantine",
    quarantine: { name: "held", write: (e) => kept.push(e) },
  });
  const back = q.log(invalid);
  q.log(fields(2));
  assert.equal(kept.length, 1);
  assert.deepEqual(kept[0], back);
  assert.equal(readJsonLines(file).length, 2);
  assert.deepEqual(
    [q.stats.invalid, q.stats.quarantined, q.stats.logged],
    [1, 1, 2],
  );
  // The quarantine sink is listed last.
  assert.equal(q.stats.sinks.at(-1).name, "held");
  q.close();

  // In production the default is quarantine, which needs a quarantine sink.
  throwsCode(
    () => new lib.AuditLogger({ sinks: [lib.sinks.JsonLines(file)], defaults: { environment: "production" } }),
    "CONFIG",
    { message: /quarantine/i },
  );
});

test(`${packageName}: AuditLogger validates under the chosen profiles, before redaction`, { skip }, () => {
  const record = fields(1, { message: "card 4111 1111 1111 1111" });
  // Baseline alone allows a card number in the message (and redacts it) ...
  const baseline = new lib.AuditLogger({ sinks: [] });
  assert.ok(!baseline.log(record).message.includes("4111 1111 1111 1111"));
  // ... PCI does not, and redaction does not hide it from the check.
  const pci = new lib.AuditLogger({ sinks: [], profile: ["soc2", "pci"] });
  const err = throwsCode(() => pci.log(record), "INVALID");
  assert.ok(err.violations.some((v) => v.ruleId === "sensitive.card_number"), JSON.stringify(err.violations));
  pci.log(fields(2));
  throwsCode(() => new lib.AuditLogger({ profile: "nope" }), "UNKNOWN_PROFILE");
});

test(`${packageName}: a failing sink fails log with SINK after the others were written`, { skip }, () => {
  const dir = tmp();
  const file = path.join(dir, "a.jsonl");
  const logger = new lib.AuditLogger({
    sinks: [
      { name: "broken", write: () => { throw new Error("disk on fire"); } },
      lib.sinks.JsonLines(file),
    ],
  });
  const err = throwsCode(() => logger.log(fields(1)), "SINK", { sink: "broken", message: /disk on fire/ });
  assert.equal(err.name, "ComplianceLogError");
  assert.equal(readJsonLines(file).length, 1);
  const [broken, good] = logger.stats.sinks;
  assert.equal(broken.failed, 1);
  assert.equal(good.written, 1);
  logger.close();
});

test(`${packageName}: AuditLogger rejects bad options and fields with TYPE errors`, { skip }, () => {
  throwsCode(() => new lib.AuditLogger({ sink: [] }), "TYPE", { message: /unknown option `sink`/ });
  throwsCode(() => new lib.AuditLogger({ sinks: [{}] }), "TYPE", { field: "sinks[0]" });
  throwsCode(() => new lib.AuditLogger({ onInvalid: "ignore" }), "TYPE");
  throwsCode(() => lib.sinks.JsonLines(""), "TYPE");
  throwsCode(() => lib.sinks.JsonLines("a.jsonl", { rotateBytes: -1 }), "TYPE", { field: "options.rotateBytes" });
  throwsCode(() => lib.sinks.Otlp("http://x", { batch: 3 }), "TYPE", { message: /unknown option `batch`/ });
  const logger = new lib.AuditLogger({ sinks: [] });
  throwsCode(() => logger.log({ actorID: "x" }), "TYPE");
  throwsCode(() => logger.log("x"), "TYPE");
  throwsCode(() => logger.operation(9999, {}), "TYPE", { field: "eventType" });
});

test(`${packageName}: operation end and fail record the outcome and duration`, { skip }, async () => {
  const seen = [];
  const logger = new lib.AuditLogger({ sinks: [{ write: (e) => seen.push(e) }] });
  const op = logger.operation(lib.EventType.EVENT_TOOL_INVOCATION, {
    actorId: "agent-7",
    component: "tools",
    resource: "tools/search",
  });
  assert.equal(op.finished, false);
  await new Promise((r) => setTimeout(r, 30));
  const ok = op.end({ message: "found 3" });
  assert.equal(op.finished, true);
  assert.equal(ok.eventType, lib.EventType.EVENT_TOOL_INVOCATION);
  assert.equal(ok.outcome, lib.Outcome.SUCCESS);
  assert.equal(ok.severity, lib.Severity.INFO);
  assert.equal(ok.message, "found 3");
  assert.ok(ok.durationMs >= 25n, `durationMs ${ok.durationMs}`);
  throwsCode(() => op.end(), "CLOSED");

  const failing = logger.operation(lib.EventType.EVENT_TOOL_INVOCATION, fields(2));
  const err = Object.assign(new Error("no such file"), { code: "ENOENT" });
  const bad = failing.fail(err);
  assert.equal(bad.outcome, lib.Outcome.FAILURE_ERROR);
  assert.equal(bad.errorCode, "ENOENT");
  assert.equal(bad.errorMessage, "no such file");
  const typeError = logger.operation(lib.EventType.EVENT_TOOL_INVOCATION, fields(3)).fail(new TypeError("bad"));
  assert.equal(typeError.errorCode, "TypeError");
  assert.deepEqual(seen.map((e) => e.outcome), [lib.Outcome.SUCCESS, lib.Outcome.FAILURE_ERROR, lib.Outcome.FAILURE_ERROR]);
});

test(`${packageName}: run awaits the function and records a thrown error, then rethrows it`, { skip }, async () => {
  const seen = [];
  const logger = new lib.AuditLogger({ sinks: [{ write: (e) => seen.push(e) }] });
  const template = { actorId: "agent-7", component: "tools", resource: "tools/search" };
  const value = await logger.run(lib.EventType.EVENT_TOOL_INVOCATION, template, async () => {
    await new Promise((r) => setTimeout(r, 20));
    return 42;
  });
  assert.equal(value, 42);
  class QuotaError extends Error {}
  Object.defineProperty(QuotaError.prototype, "name", { value: "QuotaError" });
  let rethrown;
  try {
    await logger.run(lib.EventType.EVENT_TOOL_INVOCATION, template, async () => {
      throw new QuotaError("over quota");
    });
  } catch (err) {
    rethrown = err;
  }
  assert.ok(rethrown instanceof QuotaError, `rethrown: ${rethrown}`);
  assert.equal(seen.length, 2);
  assert.equal(seen[0].outcome, lib.Outcome.SUCCESS);
  assert.ok(seen[0].durationMs >= 15n, `durationMs ${seen[0].durationMs}`);
  assert.equal(seen[1].outcome, lib.Outcome.FAILURE_ERROR);
  assert.equal(seen[1].errorCode, "QuotaError");
  assert.equal(seen[1].errorMessage, "over quota");
  assert.equal(seen[1].severity, lib.Severity.ERROR);
});

test(`${packageName}: records carry the active OpenTelemetry span's trace context`, { skip }, async () => {
  const { context, trace, TraceFlags } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  try {
    const seen = [];
    const logger = new lib.AuditLogger({ sinks: [{ write: (e) => seen.push(e) }] });
    const span = trace.wrapSpanContext({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.SAMPLED,
    });
    const inSpan = context.with(trace.setSpan(context.active(), span), () => logger.log(fields(1)));
    assert.equal(inSpan.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(inSpan.spanId, "00f067aa0ba902b7");
    // Across an await, in an operation.
    await context.with(trace.setSpan(context.active(), span), () =>
      logger.run(lib.EventType.EVENT_TOOL_INVOCATION, fields(2), async () => {
        await new Promise((r) => setTimeout(r, 1));
      }),
    );
    assert.equal(seen[1].traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    // Empty ids given by the caller are filled as well (the record, not the caller's strings).
    const empty = context.with(trace.setSpan(context.active(), span), () =>
      logger.log(fields(1, { traceId: "", spanId: "" })),
    );
    assert.equal(empty.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(empty.spanId, "00f067aa0ba902b7");
    // A record's own trace context wins; outside a span there is none.
    const own = context.with(trace.setSpan(context.active(), span), () =>
      logger.log(fields(3, { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" })),
    );
    assert.equal(own.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.equal(own.spanId, "b7ad6b7169203331");
    assert.equal(logger.log(fields(4)).traceId, "");
  } finally {
    context.disable();
    manager.disable();
  }
});

test(`${packageName}: stats count per logger and per sink`, { skip }, () => {
  const dir = tmp();
  const file = path.join(dir, "a.jsonl");
  const logger = new lib.AuditLogger({
    sinks: [lib.sinks.JsonLines(file), { name: "mine", write() {} }],
  });
  for (let i = 0; i < 5; i++) logger.log(fields(i));
  try {
    logger.log(fields(9, { actorId: "" }));
  } catch {
    // counted below
  }
  const stats = logger.stats;
  assert.equal(stats.logged, 5);
  assert.equal(stats.invalid, 1);
  assert.equal(stats.quarantined, 0);
  assert.equal(stats.sinks.length, 2);
  assert.match(stats.sinks[0].name, /a\.jsonl$/);
  assert.deepEqual(
    stats.sinks.map(({ name, written, failed, dropped }) => [name === "mine", written, failed, dropped]),
    [[false, 5, 0, 0], [true, 5, 0, 0]],
  );
  logger.close();
});

test(`${packageName}: close flushes, is idempotent, and log afterwards throws CLOSED`, { skip }, () => {
  const calls = [];
  const logger = new lib.AuditLogger({
    sinks: [{ write: () => calls.push("write"), flush: () => calls.push("flush"), close: () => calls.push("close") }],
  });
  logger.log(fields(1));
  logger.flush(1000);
  logger.close(1000);
  logger.close();
  assert.deepEqual(calls.filter((c) => c !== "flush").slice(0, 1), ["write"]);
  assert.equal(calls.filter((c) => c === "close").length, 1);
  assert.ok(calls.indexOf("flush") > 0);
  throwsCode(() => logger.log(fields(2)), "CLOSED");
});

test(`${packageName}: open loggers are flushed before exit and closed at exit`, { skip }, () => {
  const dir = tmp();
  const file = path.join(dir, "exit.jsonl");
  const index = import.meta.resolve(packageName).replace("file://", "").replace(/index\.mjs$/, "index.js");
  const script = `
    const lib = require(${JSON.stringify(index)});
    const logger = new lib.AuditLogger({ sinks: [
      lib.sinks.JsonLines(${JSON.stringify(file)}),
      { write() {}, flush() { process.stdout.write("flush\\n"); }, close() { process.stdout.write("close\\n"); } },
    ] });
    logger.log(${JSON.stringify(fields(1))});
    ${"" /* no close: the exit hooks do it */}
  `;
  const natural = childProcess.execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.deepEqual(natural.split("\n").filter(Boolean).slice(-2), ["flush", "close"]);
  assert.equal(readJsonLines(file).length, 1);
  // process.exit() skips beforeExit; exit still closes.
  const exited = childProcess.execFileSync(process.execPath, ["-e", `${script}; process.exit(0)`], { encoding: "utf8" });
  assert.equal(exited.split("\n").filter(Boolean).at(-1), "close");
  assert.ok(!exited.startsWith("flush\nflush"), exited);
});

/**
 * An OTLP/HTTP receiver in a worker thread (the logger's `flush` blocks this
 * thread): `/v1/logs` answers 200, a path under `/refuse` 400. Resolves to
 * `{ url, bodies(), stop() }`; `bodies()` gives the accepted request bodies.
 */
async function receiver() {
  const { Worker } = await import("node:worker_threads");
  const { once } = await import("node:events");
  const worker = new Worker(
    `
    const http = require("node:http");
    const { parentPort } = require("node:worker_threads");
    const bodies = [];
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        if (req.url.startsWith("/refuse")) {
          res.writeHead(400, { "content-type": "text/plain" }).end("no");
          return;
        }
        bodies.push(Buffer.concat(chunks).toString("latin1"));
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      });
    });
    server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
    parentPort.on("message", (m) => {
      if (m === "bodies") parentPort.postMessage({ bodies });
      if (m === "stop") server.close(() => process.exit(0));
    });
    `,
    { eval: true },
  );
  const [{ port }] = await once(worker, "message");
  return {
    url: `http://127.0.0.1:${port}`,
    async bodies() {
      worker.postMessage("bodies");
      const [{ bodies }] = await once(worker, "message");
      return bodies;
    },
    async stop() {
      worker.postMessage("stop");
      await once(worker, "exit");
    },
  };
}

test(`${packageName}: the Otlp sink delivers batches from its own thread and counts them`, { skip }, async () => {
  const server = await receiver();
  try {
    const logger = new lib.AuditLogger({
      sinks: [lib.sinks.Otlp(server.url, { batchSize: 10, batchTimeoutMs: 20, queueCapacity: 100 })],
    });
    const ids = [];
    for (let i = 0; i < 25; i++) ids.push(logger.log(fields(i)).eventId);
    logger.flush(10_000);
    const [otlp] = logger.stats.sinks;
    assert.equal(otlp.name, `otlp:${server.url}`);
    assert.deepEqual([otlp.written, otlp.queued, otlp.dropped], [25, 0, 0]);
    const bodies = await server.bodies();
    assert.ok(bodies.length >= 3, `${bodies.length} requests for 25 records in batches of 10`);
    for (const id of ids) {
      assert.equal(bodies.filter((b) => b.includes(id)).length, 1, `event ${id} delivered once`);
    }
    logger.close(10_000);

    // A collector refusing the records (400, permanent): dropped and counted.
    const refused = new lib.AuditLogger({
      sinks: [lib.sinks.Otlp(`${server.url}/refuse`, { batchSize: 5, batchTimeoutMs: 10 })],
    });
    for (let i = 0; i < 5; i++) refused.log(fields(i));
    try {
      refused.flush(10_000);
    } catch (err) {
      // Whether flush reports the loss as an error or not, the stats say it.
      assert.ok(err instanceof lib.ComplianceLogError, String(err));
    }
    const [r] = refused.stats.sinks;
    assert.deepEqual([r.written, r.dropped], [0, 5]);
    refused.close(1000);
  } finally {
    await server.stop();
  }
});
