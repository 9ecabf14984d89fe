// The pino transport `@lokryn/compliance-log/pino`, end to end: pino (from
// npm) runs it in a worker thread, the records land in a JSON Lines file.
// Node package only.

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";

const skip = binding === "node" ? false : "the wasm package has no logger";

const fs = isNode ? await import("node:fs") : null;
const os = isNode ? await import("node:os") : null;
const path = isNode ? await import("node:path") : null;
const { once } = isNode ? await import("node:events") : {};

test(`${packageName}/pino: pino lines become complete, checked, redacted records`, { skip }, async () => {
  const { default: pino } = await import("pino");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-pino-"));
  const file = path.join(dir, "audit.jsonl");
  const kept = path.join(dir, "quarantine.jsonl");
  const transport = pino.transport({
    target: "@lokryn/compliance-log/pino",
    options: {
      sinks: [lib.sinks.JsonLines(file)],
      onInvalid: "quarantine",
      quarantine: lib.sinks.JsonLines(kept),
      defaults: { component: "billing", environment: "staging" },
    },
  });
  const log = pino({ level: "debug" }, transport);
  const before = Date.now();
  log.info(
    { eventType: "EVENT_DATA_EXPORT", outcome: lib.Outcome.SUCCESS, actorId: "svc-billing", resource: "reports/r.csv", durationMs: 12, unrelated: { a: 1 } },
    "exported; card 4111 1111 1111 1111",
  );
  log.warn({ eventType: lib.EventType.EVENT_LOGIN, outcome: "OUTCOME_FAILURE_DENIED", actor_id: "mallory", resource: "apps/1" }, "bad password");
  log.error({ eventType: "EVENT_LOGIN", outcome: "OUTCOME_SUCCESS", severity: "SEVERITY_NOTICE", actorId: "bob", resource: "apps/2", message: "own message" }, "pino message");
  log.fatal({ eventType: "EVENT_LOGIN", outcome: "OUTCOME_SUCCESS", resource: "apps/3" }, "no actor: invalid");
  log.info({ eventType: "EVENT_NOPE", actorId: "dave", resource: "apps/5" }, "an unknown event type is left unset: invalid");
  log.debug({ eventType: "EVENT_LOGIN", outcome: "OUTCOME_SUCCESS", actorId: "carol", resource: "apps/4" }, "debugging");
  // The transport's worker is unref'd: hold the event loop until it closed.
  const alive = setInterval(() => {}, 1000);
  try {
    transport.end();
    await once(transport, "close");
  } finally {
    clearInterval(alive);
  }

  const records = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => lib.fromJsonString(l));
  assert.equal(records.length, 4);
  const [info, warn, error, debug] = records;
  assert.equal(info.severity, lib.Severity.INFO);
  assert.equal(info.eventType, lib.EventType.EVENT_DATA_EXPORT);
  assert.equal(info.actorId, "svc-billing");
  assert.equal(info.component, "billing");
  assert.equal(info.durationMs, 12n);
  assert.ok(info.message.startsWith("exported; card "), info.message);
  assert.ok(!info.message.includes("4111 1111 1111 1111"), info.message);
  const ms = Number(info.time.seconds) * 1000 + info.time.nanos / 1e6;
  assert.ok(ms >= before - 5 && ms <= Date.now(), "pino's time is the record's time");
  assert.equal(info.producer.name, "@lokryn/compliance-log");
  assert.equal(info.host, os.hostname());
  assert.equal(warn.severity, lib.Severity.WARNING);
  assert.equal(warn.actorId, "mallory");
  assert.equal(warn.message, "bad password");
  assert.equal(error.severity, lib.Severity.NOTICE, "the line's own severity wins over its level");
  assert.equal(error.message, "own message");
  assert.equal(debug.severity, lib.Severity.DEBUG);

  const quarantined = fs.readFileSync(kept, "utf8").split("\n").filter(Boolean).map((l) => lib.fromJsonString(l));
  assert.equal(quarantined.length, 2);
  assert.equal(quarantined[0].severity, lib.Severity.CRITICAL);
  assert.equal(quarantined[0].message, "no actor: invalid");
  assert.equal(quarantined[1].eventType, 0); // unspecified
  assert.equal(quarantined[1].actorId, "dave");
});

test(`${packageName}/pino: a refused line is reported on stderr and the transport carries on`, { skip }, async () => {
  const { spawnSync } = await import("node:child_process");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-pino-"));
  const file = path.join(dir, "audit.jsonl");
  // The default policy outside production: raise, which a transport cannot.
  const script = `
    const pino = require("pino");
    const { sinks } = require("@lokryn/compliance-log");
    const transport = pino.transport({
      // From -e, pino cannot tell where to resolve a package name from.
      target: require.resolve("@lokryn/compliance-log/pino"),
      options: { sinks: [sinks.JsonLines(${JSON.stringify(file)})] },
    });
    const log = pino(transport);
    log.info({ eventType: "EVENT_LOGIN", outcome: "OUTCOME_SUCCESS", resource: "apps/1" }, "no actor");
    log.info({ eventType: "EVENT_LOGIN", outcome: "OUTCOME_SUCCESS", resource: "apps/1", actorId: "erin" }, "fine");
  `;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const reports = run.stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(reports.map((r) => [r.lokryn, r.code]), [["audit-log-error", "INVALID"]]);
  const records = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => lib.fromJsonString(l));
  assert.deepEqual(records.map((r) => r.actorId), ["erin"]);
});

test(`${packageName}/pino: maps pino levels and fields without a logger`, { skip }, async () => {
  const { createRequire } = await import("node:module");
  const { recordJson } = createRequire(import.meta.url)("@lokryn/compliance-log/pino");
  const json = (line) => JSON.parse(recordJson(line, "msg"));
  assert.deepEqual(json({ level: 10, time: 0, pid: 1, hostname: "h", msg: "m" }), {
    severity: lib.Severity.DEBUG,
    message: "m",
    time: "1970-01-01T00:00:00.000Z",
  });
  assert.equal(json({ level: 60 }).severity, lib.Severity.CRITICAL);
  assert.equal(json({ level: 50 }).severity, lib.Severity.ERROR);
  assert.equal(json({ level: 45 }).severity, lib.Severity.WARNING);
  assert.equal(JSON.parse(recordJson({ text: "t" }, "text")).message, "t");
});
