// The shared validation corpus (tests/vectors/validation/) through the
// `complog` CLI: every case's violations, findings and redactions, as the Rust
// core produces them for every binding. The format is in the corpus README.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const corpusDir = join(root, "tests", "vectors", "validation");
const complogPath = process.env.COMPLOG;
const skip = complogPath ? false : "COMPLOG is not set; run through `cargo xtask test`";
const ALL = ["soc2", "hipaa", "pci"];
const MAX_FINDINGS = 1000;

const cases = [];
for (const file of readdirSync(corpusDir).filter((f) => f.endsWith(".json")).sort()) {
  const doc = JSON.parse(readFileSync(join(corpusDir, file), "utf8"));
  for (const c of doc.cases) cases.push({ file, key: doc.redactionKey, c });
}

function entryJson(c) {
  const entry = { ...c.entry };
  const g = c.generate;
  if (g) {
    const part = (s) => Buffer.from(s ?? "", g.hex ? "hex" : "utf8");
    const data = Buffer.concat([part(g.prefix), part(g.repeat.repeat(g.count)), part(g.suffix)]);
    entry[g.field] = g.field === "payload" ? data.toString("base64") : data.toString("utf8");
  }
  return entry;
}

// The record of a JSON case as one line of JSON text.
const entryText = (c) => c.entryJson ?? JSON.stringify(entryJson(c));

function complog(args, input, env) {
  try {
    return execFileSync(complogPath, args, { input, maxBuffer: 256 << 20, env: env ?? process.env }).toString("utf8");
  } catch (err) {
    if (err.status === 1) return err.stdout.toString("utf8");
    throw err;
  }
}

function delimited(messages) {
  const parts = [];
  for (const m of messages) {
    let n = m.length;
    const prefix = [];
    do {
      let byte = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) byte |= 0x80;
      prefix.push(byte);
    } while (n);
    parts.push(Buffer.from(prefix), m);
  }
  return Buffer.concat(parts);
}

function verdicts(list, profiles) {
  const out = new Map();
  const args = ["validate", "--format", "json", "--max-consecutive-errors", "0", ...profiles.flatMap((p) => ["--profile", p])];
  const jsonCases = list.filter((c) => !c.entryBinary);
  const binCases = list.filter((c) => c.entryBinary);
  if (jsonCases.length) {
    const text = jsonCases.map(entryText).join("\n") + "\n";
    const lines = complog([...args, "--input-format", "jsonl", "-"], text).trimEnd().split("\n").slice(0, -1);
    assert.equal(lines.length, jsonCases.length);
    jsonCases.forEach((c, i) => out.set(c.name, JSON.parse(lines[i])));
  }
  if (binCases.length) {
    const data = delimited(binCases.map((c) => Buffer.from(c.entryBinary, "base64")));
    const lines = complog([...args, "--input-format", "binary", "-"], data).trimEnd().split("\n").slice(0, -1);
    assert.equal(lines.length, binCases.length);
    binCases.forEach((c, i) => out.set(c.name, JSON.parse(lines[i])));
  }
  return out;
}

const sorted = (xs) => xs.map((x) => JSON.stringify(x)).sort();

test("the corpus is large and names are unique", () => {
  const names = cases.map(({ c }) => c.name);
  assert.ok(names.length >= 150);
  assert.equal(new Set(names).size, names.length);
});

test("violations", { skip }, () => {
  const groups = new Map();
  for (const { c } of cases) {
    const k = (c.profiles ?? []).join(",");
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(c);
  }
  const failures = [];
  for (const [k, list] of groups) {
    const got = verdicts(list, k ? k.split(",") : []);
    for (const c of list) {
      const v = got.get(c.name);
      if (c.decodeError) {
        if (v.error?.code !== c.decodeError) failures.push(c.name);
        else if (c.errorPath && !v.error.message.includes(`(field \`${c.errorPath}\`)`)) failures.push({ name: c.name, v });
        continue;
      }
      if (c.counts) {
        if (c.counts.violations !== undefined && v.violations.length !== c.counts.violations) failures.push(c.name);
        continue;
      }
      const have = sorted(v.violations.map((x) => [x.field, x.ruleId, x.level]));
      const want = sorted(c.violations.map((x) => [x.field, x.ruleId, x.level]));
      if (JSON.stringify(have) !== JSON.stringify(want) && !c.knownDeviation) failures.push({ name: c.name, have, want });
    }
  }
  assert.deepEqual(failures, []);
});

test("findings", { skip }, () => {
  const list = cases.map(({ c }) => c).filter((c) => !c.decodeError);
  const got = verdicts(list, ALL);
  const failures = [];
  for (const c of list) {
    const findings = got.get(c.name).findings;
    if (c.counts) {
      if (c.counts.findings !== undefined && findings.length !== Math.min(c.counts.findings, MAX_FINDINGS)) failures.push(c.name);
      continue;
    }
    const key = (f) => [f.kind, f.field, f.start, f.end, f.confidence];
    const have = sorted(findings.map(key));
    const want = sorted(c.findings.map(key));
    if (JSON.stringify(have) !== JSON.stringify(want) && !c.knownDeviation) failures.push({ name: c.name, have, want });
  }
  assert.deepEqual(failures, []);
});

for (const member of ["redacted", "redactedWithKey"]) {
  test(`redaction (${member})`, { skip }, () => {
    const list = cases.filter(({ c }) => c[member]);
    assert.ok(list.length > 0);
    const args = ["redact", "--quiet", "--input-format", "jsonl"];
    let env;
    if (member === "redactedWithKey") {
      env = { ...process.env, LOKRYN_CORPUS_KEY: list[0].key };
      args.push("--key-env", "LOKRYN_CORPUS_KEY");
    }
    const text = list.map(({ c }) => entryText(c)).join("\n") + "\n";
    const lines = complog([...args, "-"], text, env).trimEnd().split("\n");
    assert.equal(lines.length, list.length);
    list.forEach(({ c }, i) => assert.deepEqual(JSON.parse(lines[i]), c[member], c.name));
  });
}
