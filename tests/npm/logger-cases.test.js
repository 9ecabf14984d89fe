// The audit logger's shared cases (tests/vectors/logger/cases.json, whose
// README describes the format), run by the Node package: the same calls give
// the same records as in Rust and Python. Node package only.

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";

const skip = binding === "node" ? false : "the wasm package has no logger";

const fs = isNode ? await import("node:fs") : null;
const os = isNode ? await import("node:os") : null;
const path = isNode ? await import("node:path") : null;

const cases = isNode
  ? JSON.parse(fs.readFileSync(new URL("../vectors/logger/cases.json", import.meta.url), "utf8")).cases
  : [];

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * Checks `actual` (a proto3 JSON object) against `expected` with the
 * placeholders of the cases' README; `ids` collects the event ids of a case.
 */
function match(actual, expected, where, ids) {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const key of keys) {
    const want = expected[key];
    const got = actual[key];
    const at = `${where}.${key}`;
    switch (want) {
      case "<time>":
        assert.match(String(got), RFC3339_UTC, at);
        break;
      case "<uuid7>":
        assert.match(String(got), UUID7, at);
        if (ids.length > 0) assert.ok(got > ids.at(-1), `${at}: ${got} is not after ${ids.at(-1)}`);
        ids.push(got);
        break;
      case "<host>":
        assert.ok(typeof got === "string" && got !== "", `${at}: ${got}`);
        break;
      case "<version>":
        assert.equal(got, lib.VERSION, at);
        break;
      case "<duration>":
        assert.ok(got === undefined || /^\d+$/.test(got), `${at}: ${got}`);
        break;
      default:
        assert.deepEqual(got, want, at);
    }
  }
}

/** The AuditLogger options of a case's `options`. */
function loggerOptions(options, dir) {
  const out = { sinks: [lib.sinks.JsonLines(path.join(dir, "main.jsonl"))] };
  if (options.producer) out.producer = options.producer;
  if (options.defaults) out.defaults = lib.fromJson(options.defaults);
  if (options.profiles) out.profile = options.profiles;
  if (options.onInvalid) out.onInvalid = options.onInvalid;
  if (options.redact !== undefined) {
    out.redact = typeof options.redact === "object" ? options.redact.key : options.redact;
  }
  if (options.quarantine) out.quarantine = lib.sinks.JsonLines(path.join(dir, "quarantine.jsonl"));
  return out;
}

function lines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** What a call does: the record it returns, or the error it throws. */
function call(logger, c) {
  if (c.log !== undefined) return logger.log(lib.fromJson(c.log));
  const { eventType, fields, outcome, error } = c.operation;
  const op = logger.operation(lib.fromJson({ eventType }).eventType, lib.fromJson(fields ?? {}));
  if (outcome === "success") return op.end();
  const err = new Error(error.message);
  err.name = error.code;
  return op.fail(err);
}

for (const c of cases) {
  test(`${packageName}: logger case "${c.name}"`, { skip }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-cases-"));
    if (c.buildError !== undefined) {
      let caught;
      try {
        new lib.AuditLogger(loggerOptions(c.options, dir));
      } catch (err) {
        caught = err;
      }
      assert.ok(caught instanceof lib.ComplianceLogError, `expected ${c.buildError}, got ${caught}`);
      assert.equal(caught.code, c.buildError, caught.message);
      return;
    }
    const warned = [];
    const logger = new lib.AuditLogger({
      ...loggerOptions(c.options, dir),
      onWarning: (entry) => warned.push(entry),
    });
    const written = [];
    const quarantined = [];
    const ids = [];
    for (const [i, step] of c.calls.entries()) {
      const where = `call ${i}`;
      if (step.error !== undefined) {
        let caught;
        try {
          call(logger, step);
        } catch (err) {
          caught = err;
        }
        assert.ok(caught instanceof lib.ComplianceLogError, `${where}: expected ${step.error}, got ${caught}`);
        assert.equal(caught.code, step.error, `${where}: ${caught.message}`);
        continue;
      }
      const before = warned.length;
      const returned = lib.toJson(call(logger, step));
      match(returned, step.expect, `${where} (returned)`, ids);
      assert.equal(warned.length - before, step.warned ? 1 : 0, `${where}: warnings`);
      (step.quarantined ? quarantined : written).push(step.expect);
    }
    logger.close();
    const idsInFiles = [];
    const main = lines(path.join(dir, "main.jsonl"));
    assert.equal(main.length, written.length, "records in the JSON Lines file");
    main.forEach((got, i) => match(got, written[i], `main.jsonl line ${i + 1}`, idsInFiles));
    const held = lines(path.join(dir, "quarantine.jsonl"));
    assert.equal(held.length, quarantined.length, "records in the quarantine file");
    const heldIds = [];
    held.forEach((got, i) => match(got, quarantined[i], `quarantine.jsonl line ${i + 1}`, heldIds));
  });
}

test(`${packageName}: the shared logger cases are there`, { skip }, () => {
  assert.ok(cases.length >= 10, `only ${cases.length} cases`);
});
