// The evidence report from Node (`report`, `renderReportHtml`): the data is
// what `complog report --format json` writes for the same ledger (one Rust
// implementation; tests/python/test_report.py checks every figure against
// plain Python), a few figures counted here from the records read back, a
// tampered ledger naming its first bad record, entries in memory, errors.
// The browser package has no storage: these run for the Node package only.

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";

const skip = binding === "node" ? false : "the wasm package has no storage (no report)";

const fs = isNode ? await import("node:fs") : null;
const os = isNode ? await import("node:os") : null;
const path = isNode ? await import("node:path") : null;
const childProcess = isNode ? await import("node:child_process") : null;

const TYPES = [
  "EVENT_LOGIN",
  "EVENT_FILE_ACCESS",
  "EVENT_PRIVILEGE_USE",
  "EVENT_USER_MANAGEMENT",
  "EVENT_LOGOUT",
  "EVENT_RESOURCE_ACCESS",
  "EVENT_TOOL_INVOCATION",
  "EVENT_DELEGATION",
  "EVENT_GUARDRAIL_CHECK",
  "EVENT_PROCESS_START",
];
const OUTCOMES = ["OUTCOME_SUCCESS", "OUTCOME_FAILURE_DENIED", "OUTCOME_FAILURE_ERROR"];
const SINCE = "2026-03-02T00:00:00Z";

/** `n` records of known shape, as proto3 JSON text (no config or policy change). */
function records(n) {
  let x = 0x2545f491;
  const next = (m) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % m;
  };
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = TYPES[next(TYPES.length)];
    const e = {
      eventType: t,
      outcome: OUTCOMES[next(OUTCOMES.length)],
      severity: "SEVERITY_INFO",
      actorId: `user${next(3)}@example.com`,
      component: "billing",
      resource: next(6) === 0 ? "audit/trail" : `r${next(3)}`,
      message: `record ${i}`,
      time: `2026-03-0${1 + next(5)}T10:${String(i % 60).padStart(2, "0")}:00Z`,
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    };
    if (next(4) !== 0) e.host = "web-1.example.com";
    if (t === "EVENT_TOOL_INVOCATION" || t === "EVENT_GUARDRAIL_CHECK") {
      e.genai = { agentName: `agent${next(2)}`, toolName: `tool${next(3)}` };
    }
    if (t === "EVENT_DELEGATION") {
      e.delegationChain = [{ actorId: "agent:helper", actorType: "ACTOR_TYPE_AGENT" }];
    }
    out.push(JSON.stringify(e));
  }
  return out;
}

/** A ledger of `n` generated records: its directory. */
function ledgerOf(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-report-"));
  const [privateKey, publicKey] = lib.Ledger.keygen("example.com/audit");
  fs.writeFileSync(path.join(dir, "audit.key"), `${privateKey}\n`);
  fs.writeFileSync(path.join(dir, "audit.pub"), `${publicKey}\n`);
  lib.Ledger.init(path.join(dir, "L"), path.join(dir, "audit.key")).close();
  const ledger = new lib.Ledger(path.join(dir, "L"), { allowInvalid: true });
  ledger.append(records(n).map((text) => lib.fromJsonString(text)));
  ledger.close();
  return dir;
}

function throwsCode(fn, code) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof lib.ComplianceLogError, `not a ComplianceLogError: ${err}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

function tally(values) {
  const m = {};
  for (const v of values) m[v] = (m[v] ?? 0) + 1;
  return m;
}

function rows(list, key) {
  return Object.fromEntries(list.map((r) => [r[key], r.count]));
}

test(`${packageName}: report of a ledger counts what its records hold`, { skip }, () => {
  const dir = ledgerOf(300);
  const data = lib.report(path.join(dir, "L"), { profiles: ["pci"], since: SINCE });
  const inPeriod = new lib.Ledger(path.join(dir, "L"))
    .read({ since: SINCE })
    .map((e) => JSON.parse(lib.toJsonString(e)));
  assert.ok(inPeriod.length > 100 && inPeriod.length < 300);
  assert.equal(data.scope.records, inPeriod.length);
  assert.equal(data.integrity.kind, "ledger");
  assert.equal(data.integrity.verified, true);
  assert.equal(data.integrity.recordsVerified, 300);
  assert.deepEqual(data.profiles, ["baseline", "pci"]);
  assert.deepEqual(rows(data.activity.byEventType, "eventType"), tally(inPeriod.map((r) => r.eventType)));
  assert.deepEqual(rows(data.activity.byOutcome, "outcome"), tally(inPeriod.map((r) => r.outcome)));
  const failed = inPeriod.filter((r) => r.outcome !== "OUTCOME_SUCCESS");
  assert.deepEqual(rows(data.activity.failedByActor, "actor"), tally(failed.map((r) => r.actorId)));
  const privilege = data.coverage.categories.find((c) => c.clause === "PCI DSS v4.0 10.2.1.2");
  assert.equal(privilege.records, inPeriod.filter((r) => r.eventType === "EVENT_PRIVILEGE_USE").length);
  assert.deepEqual(data.coverage.missing, ["PCI DSS v4.0 10.2.1.7"]);
  const origination = data.coverage.elements.find((e) => e.fields === "sourceIp or host");
  assert.equal(origination.records, inPeriod.filter((r) => r.host).length);
  assert.equal(origination.share, origination.records / inPeriod.length);
  assert.match(data.reproducibility.command, /^report\(".*", \{profiles: \["pci"\], since: /);
});

test(`${packageName}: report gives the data complog report writes`, { skip: skip || (process.env.COMPLOG ? false : "COMPLOG is not set") }, () => {
  const dir = ledgerOf(120);
  const ledger = path.join(dir, "L");
  const out = childProcess.execFileSync(process.env.COMPLOG, [
    "report", ledger, "--profile", "soc2,pci", "--since", SINCE, "--format", "json",
  ]);
  const cli = JSON.parse(out.toString("utf8"));
  const ours = lib.report(ledger, { profiles: "soc2,pci", since: SINCE });
  delete cli.reproducibility.command;
  delete ours.reproducibility.command;
  assert.deepEqual(ours, cli);
  const html = lib.report(ledger, { profiles: "soc2,pci", since: SINCE, format: "html" });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.equal(lib.renderReportHtml(lib.report(ledger, { profiles: "soc2,pci", since: SINCE })), html);
});

test(`${packageName}: a tampered ledger's report names its first bad record`, { skip }, () => {
  const dir = ledgerOf(40);
  const file = path.join(dir, "L", "entries.ldpb");
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf("00000000-0000-4000-8000-000000000007");
  assert.ok(at > 0);
  bytes[at + 3] ^= 1;
  fs.writeFileSync(file, bytes);
  const data = lib.report(path.join(dir, "L"));
  assert.equal(data.integrity.verified, false);
  assert.equal(data.integrity.error.code, "TAMPERED");
  assert.equal(data.integrity.error.index, 7);
  const html = lib.report(path.join(dir, "L"), { format: "html" });
  const alert = html.indexOf("INTEGRITY FAILED");
  assert.ok(alert > 0 && alert < html.indexOf('id="scope"'), "the alert comes before every section");
  assert.ok(html.slice(alert).includes("first bad record is index 7"));
});

test(`${packageName}: report of entries in memory cannot show integrity`, { skip }, () => {
  const entries = records(50).map((text) => lib.fromJsonString(text));
  const data = lib.report(entries, { profiles: "hipaa" });
  assert.equal(data.integrity.kind, "files");
  assert.equal(data.integrity.verified, null);
  assert.equal(data.scope.records, 50);
  assert.deepEqual(data.reproducibility.inputs, ["<50 records>"]);
  // Encoded entries are the same records.
  assert.deepEqual(lib.report(entries.map((e) => lib.encode(e)), { profiles: "hipaa" }), data);
  assert.ok(lib.report(entries, { format: "html" }).includes("integrity cannot be shown"));
});

test(`${packageName}: report refuses bad arguments with a code`, { skip }, () => {
  const dir = ledgerOf(3);
  const ledger = path.join(dir, "L");
  throwsCode(() => lib.report(ledger, { profiles: "pcii" }), "UNKNOWN_PROFILE");
  throwsCode(() => lib.report(ledger, { since: "last tuesday" }), "BAD_TIME");
  throwsCode(() => lib.report(ledger, { format: "pdf" }), "TYPE");
  throwsCode(() => lib.report(ledger, { profile: "pci" }), "TYPE");
  throwsCode(() => lib.report(42), "TYPE");
  assert.throws(() => lib.report(dir), lib.ComplianceLogError, "a directory that is not a ledger");
  const other = lib.Ledger.keygen("example.com/audit")[1];
  fs.writeFileSync(path.join(dir, "other.pub"), `${other}\n`);
  assert.equal(lib.report(ledger, { key: path.join(dir, "audit.pub") }).integrity.verified, true);
  assert.equal(lib.report(ledger, { key: path.join(dir, "other.pub") }).integrity.verified, false);
});
