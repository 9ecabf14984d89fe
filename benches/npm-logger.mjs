// The Node audit logger next to pino, measured in one run: the cost per
// record of `log({...})` under the "pci" profile with redaction to a JSON
// Lines file, and of pino writing the same object to a file through
// pino.destination, synchronous and asynchronous (sonic-boom buffering,
// its final flush included). Printed as a Markdown table for
// docs/logging.md. A benchmark, not a test: nothing here asserts speed.
//
//   cargo xtask npm node           # (or `cargo xtask test`) builds the package
//   node benches/npm-logger.mjs    # LOKRYN_BENCH_MS=300 for longer samples
//
// Each figure is the median of 7 samples of at least LOKRYN_BENCH_MS ms (200
// by default), the rows sampled in turn; each sample writes a fresh file in
// a temporary directory, deleted after. pino does no validation, no redaction, no record
// completion beyond a time stamp and no protobuf encoding; the logger does
// all four, with one write(2) per record (pino's synchronous destination
// also writes once per record). Figures from a shared, noisy machine are
// only comparable within one run: quote the ratios. LOKRYN_BENCH_CLOCK=cpu
// times the samples by the process's CPU time (user and system, so the
// writes count) instead of the wall clock, which other work on a shared
// machine moves.

import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import pino from "pino";

import { AuditLogger, EventType, Outcome, Severity, ActorType, Sensitivity, sinks } from "@lokryn/compliance-log";
import { CPU_CLOCK, now } from "./bench-clock.mjs";

const SAMPLE_MS = Number(process.env.LOKRYN_BENCH_MS ?? 200);
const BATCH = 1000;
const dir = mkdtempSync(join(tmpdir(), "lokryn-bench-logger-"));

// The core's benchmark entry (crates/lokryn-compliance-log/benches/entry.json)
// as a caller would pass it, without what the logger fills in (time, event
// id, host, producer, schema version), plus an e-mail address to redact
// (a card number would make the record invalid under "pci").
const record = {
  eventType: EventType.EVENT_TOOL_INVOCATION,
  outcome: Outcome.SUCCESS,
  severity: Severity.INFO,
  actorId: "agent-001",
  component: "mcp-client",
  environment: "staging",
  resource: "tools/database_query",
  message: "Executed database query tool for alice@example.com",
  policyTags: ["SOC2", "PCI", "data-access"],
  sensitivity: Sensitivity.CONFIDENTIAL,
  actorType: ActorType.AGENT,
  sourceIp: "10.20.30.40",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  sessionId: "sess-7f3a9c",
  requestId: "req-0042",
  durationMs: 87n,
};
// pino gets the same fields (JSON has no bigint).
const pinoRecord = { ...record, durationMs: 87 };

let n = 0;
const file = () => join(dir, `f${n++}`);

/** How many records `run(count)` needs for a sample of at least a quarter of SAMPLE_MS, times 4. */
function calibrate(run) {
  run(200); // warm up
  let count = BATCH;
  for (;;) {
    const t = now();
    run(count);
    if ((now() - t) / 1e6 >= SAMPLE_MS / 4) return count * 4;
    count *= 2;
  }
}

/**
 * Median ns per record of each `run(count)`: 7 rounds, each taking one
 * sample of every row in turn, so that the load of a shared machine
 * weighs on the rows alike.
 */
function measureAll(runs) {
  const counts = runs.map(calibrate);
  const samples = runs.map(() => []);
  for (let round = 0; round < 7; round++) {
    runs.forEach((run, i) => {
      const t = now();
      run(counts[i]);
      samples[i].push((now() - t) / counts[i]);
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[3]);
}

function ours(count) {
  const path = file();
  const logger = new AuditLogger({ sinks: [sinks.JsonLines(path)], profile: "pci" });
  for (let i = 0; i < count; i++) logger.log(record);
  logger.close();
  rmSync(path);
}

function pinoWith(sync) {
  return (count) => {
    const path = file();
    // An open descriptor: the destination is ready at once (no async open).
    const fd = openSync(path, "a");
    const dest = pino.destination({ dest: fd, sync, minLength: sync ? 0 : 4096 });
    const log = pino({ base: undefined }, dest);
    for (let i = 0; i < count; i++) log.info(pinoRecord, "tool call");
    dest.flushSync();
    closeSync(fd);
    rmSync(path);
  };
}

// Sanity: the logger refuses nothing and redacts the address.
{
  const check = new AuditLogger({ sinks: [], profile: "pci" });
  const written = check.log(record);
  if (written.message.includes("alice@example.com")) throw new Error("not redacted");
  check.close();
}

// `node benches/npm-logger.mjs count <logger|pino> N` logs N records (pino:
// synchronous) and exits, for callgrind, whose instruction counts do not
// move with the load: the cost of a record is the difference between two
// counts divided by the difference of their N (docs/logging.md).
if (process.argv[2] === "count") {
  const [, , , which, count] = process.argv;
  const n = Number(count);
  if (!["logger", "pino"].includes(which) || !Number.isSafeInteger(n)) {
    throw new Error("usage: node benches/npm-logger.mjs count <logger|pino> N");
  }
  (which === "logger" ? ours : pinoWith(true))(n);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const names = [
  "AuditLogger.log (pci + redaction, JSON Lines file)",
  "pino, pino.destination({ sync: true })",
  "pino, pino.destination({ sync: false })",
];
const times = measureAll([ours, pinoWith(true), pinoWith(false)]);
const rows = names.map((name, i) => [name, times[i]]);
rmSync(dir, { recursive: true, force: true });

const fmt = (ns) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${Math.round(ns)} ns`);
const [, base] = rows[0];
console.log(
  `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Median of 7 samples of ${CPU_CLOCK ? "CPU time" : "wall-clock time"}, per record.\n`,
);
console.log("| Per record | time | AuditLogger ÷ this |");
console.log("|---|---:|---:|");
for (const [name, ns] of rows) {
  console.log(`| ${name} | ${fmt(ns)} | ${(base / ns).toFixed(2)} |`);
}
console.log(`\n"AuditLogger ÷ this": how many times the logger's cost per record; below 1 the logger is faster.`);
