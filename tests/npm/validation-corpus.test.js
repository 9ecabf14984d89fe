// The shared validation corpus (tests/vectors/validation/, format in its
// README) through the package: every case's violations under its profiles,
// its findings and its redactions, as the Rust core gives them to every
// binding. In Node and in a browser (the files are fetched there).

import { assert, isNode, test } from "./harness.js";
import { lib, packageName } from "./lib.js";

const FILES = ["adversarial.json", "detect.json", "encodings.json", "redact.json", "rules.json"];
const dir = new URL("../vectors/validation/", import.meta.url);

async function readText(name) {
  if (isNode) {
    const { readFile } = await import("node:fs/promises");
    return readFile(new URL(name, dir), "utf8");
  }
  return (await fetch(new URL(name, dir))).text();
}

const cases = [];
for (const file of FILES) {
  const doc = JSON.parse(await readText(file));
  for (const c of doc.cases) cases.push({ file, key: doc.redactionKey, c });
}

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The case's input: an entry object, or its encoding. */
function input(c) {
  if (c.entryBinary) return fromBase64(c.entryBinary);
  if (c.entryJson) return lib.fromJsonString(c.entryJson);
  const entry = { ...c.entry };
  const g = c.generate;
  if (g) {
    const enc = new TextEncoder();
    const part = (s) => (g.hex ? fromHex(s ?? "") : enc.encode(s ?? ""));
    const prefix = part(g.prefix);
    const unit = part(g.repeat);
    const suffix = part(g.suffix);
    const bytes = new Uint8Array(prefix.length + unit.length * g.count + suffix.length);
    bytes.set(prefix, 0);
    for (let i = 0; i < g.count; i++) bytes.set(unit, prefix.length + i * unit.length);
    bytes.set(suffix, prefix.length + unit.length * g.count);
    entry[g.field] = g.field === "payload" ? toBase64(bytes) : new TextDecoder().decode(bytes);
  }
  return lib.fromJson(entry);
}

const sorted = (rows) => rows.map((r) => JSON.stringify(r)).sort();

test(`${packageName}: the validation corpus lists every file and has enough cases`, { skip: !isNode }, async () => {
  const { readdir } = await import("node:fs/promises");
  const names = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  assert.deepEqual(names, FILES);
  assert.ok(cases.length >= 150);
});

test(`${packageName}: validation corpus: violations under each case's profiles`, () => {
  const failures = [];
  for (const { file, c } of cases) {
    const options = { profile: c.profiles ?? [] };
    if (c.decodeError) {
      try {
        lib.validate(input(c), options);
        failures.push(`${c.name}: decoded`);
      } catch (err) {
        if (err.code !== c.decodeError) failures.push(`${c.name}: ${err.code}`);
        else if (c.errorPath && !err.message.includes(`(field \`${c.errorPath}\`)`)) {
          failures.push(`${c.name}: ${err.message}`);
        }
      }
      continue;
    }
    const report = lib.validate(input(c), options);
    if (c.counts) {
      if (c.counts.violations !== undefined && report.violations.length !== c.counts.violations) {
        failures.push(`${c.name}: ${report.violations.length} violations`);
      }
      continue;
    }
    const have = sorted(report.violations.map((v) => [v.field, v.ruleId, v.level]));
    const want = sorted(c.violations.map((v) => [v.field, v.ruleId, v.level]));
    if (JSON.stringify(have) !== JSON.stringify(want) && !c.knownDeviation) {
      failures.push(`${file}/${c.name}: ${have} != ${want}`);
    }
  }
  assert.deepEqual(failures, []);
});

test(`${packageName}: validation corpus: findings`, () => {
  const failures = [];
  for (const { file, c } of cases) {
    if (c.decodeError) continue;
    const found = lib.findSensitive(input(c));
    if (c.counts) {
      if (c.counts.findings !== undefined && found.length !== c.counts.findings) {
        failures.push(`${c.name}: ${found.length} findings`);
      }
      continue;
    }
    const key = (f) => [f.kind, f.field, f.start, f.end, f.confidence];
    const have = sorted(found.map(key));
    const want = sorted(c.findings.map(key));
    if (JSON.stringify(have) !== JSON.stringify(want) && !c.knownDeviation) {
      failures.push(`${file}/${c.name}: ${have} != ${want}`);
    }
  }
  assert.deepEqual(failures, []);
});

test(`${packageName}: validation corpus: redaction, without and with a key`, () => {
  let checked = 0;
  for (const { key, c } of cases) {
    for (const [member, options] of [["redacted", undefined], ["redactedWithKey", { key }]]) {
      if (!c[member]) continue;
      const entry = input(c);
      const before = JSON.stringify(lib.toJson(entry));
      const out = lib.redact(entry, options);
      assert.equal(JSON.stringify(lib.toJson(entry)), before, `${c.name}: the input changed`);
      assert.deepEqual(lib.toJson(out.entry), c[member], c.name);
      assert.deepEqual(lib.toJson(lib.redact(out.entry, options).entry), c[member], `${c.name}: not idempotent`);
      checked += 1;
    }
  }
  assert.ok(checked >= 19);
});

test(`${packageName}: profiles, findings in reports, scanText and redactText`, () => {
  const entry = {
    eventType: lib.EventType.EVENT_LOGIN,
    outcome: lib.Outcome.SUCCESS,
    severity: lib.Severity.INFO,
    actorId: "alice",
    message: "card 4111 1111 1111 1111",
  };
  assert.equal(lib.validate(entry).valid, true);
  assert.deepEqual(lib.validate(entry).findings, []);
  for (const profile of ["pci", "soc2,pci", ["soc2", "pci"]]) {
    const report = lib.validate(entry, { profile });
    assert.equal(report.valid, false);
    assert.deepEqual(report.findings, [
      { kind: "card_number", field: "message", start: 5, end: 24, confidence: "high" },
    ]);
    assert.ok(!JSON.stringify(report.violations).includes("4111 1111"));
  }
  assert.deepEqual(lib.scanText("mail bob@example.com"), [
    { kind: "email", field: "", start: 5, end: 20, confidence: "high" },
  ]);
  assert.equal(lib.redactText("mail bob@example.com"), "mail [REDACTED:email]");
  assert.match(lib.redactText("mail bob@example.com", { key: new Uint8Array([1, 2]) }), /^mail \[REDACTED:email:[0-9a-f]{16}\]$/);
  assert.equal(
    lib.redactText("mail bob@example.com", { key: "k" }),
    lib.redactText("mail bob@example.com", { key: new TextEncoder().encode("k") }),
  );
});
