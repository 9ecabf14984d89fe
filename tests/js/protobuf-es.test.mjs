// The Rust core against protobuf-es (@bufbuild/protobuf v2): the same bytes
// and the same canonical JSON value for every golden vector, both ways. The
// schema is loaded at run time from the descriptor set the Rust core embeds
// (`complog schema --descriptor-set`), so no generated code is involved.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { createFileRegistry, fromBinary, fromJson, toBinary, toJson, toJsonString } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const root = join(import.meta.dirname, "..", "..");
const vectorsDir = join(root, "tests", "vectors", "wire");
const complogPath = process.env.COMPLOG;

function complog(args, input) {
  return execFileSync(complogPath, args, { input, maxBuffer: 64 << 20 });
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
    parts.push(Buffer.from(prefix), Buffer.from(m));
  }
  return Buffer.concat(parts);
}

function undelimited(data) {
  const out = [];
  let i = 0;
  while (i < data.length) {
    let n = 0;
    let shift = 1;
    for (;;) {
      const b = data[i++];
      n += (b & 0x7f) * shift;
      shift *= 128;
      if (b < 0x80) break;
    }
    out.push(new Uint8Array(data.subarray(i, i + n)));
    i += n;
  }
  return out;
}

// JSON values compare after a JSON round trip (so -0 and 0 are the same number).
const normal = (value) => JSON.parse(JSON.stringify(value));

const skip = complogPath ? false : "COMPLOG is not set; run through `cargo xtask test`";
const manifest = JSON.parse(readFileSync(join(vectorsDir, "manifest.json"), "utf8"));
const vectors = manifest.vectors.map((v) => ({
  name: v.name,
  binary: new Uint8Array(readFileSync(join(vectorsDir, v.binary))),
  json: JSON.parse(readFileSync(join(vectorsDir, v.json), "utf8")),
}));

function logEntrySchema() {
  const fds = fromBinary(FileDescriptorSetSchema, complog(["schema", "--descriptor-set"]));
  return createFileRegistry(fds).getMessage("lokryn.compliancelog.v1.LogEntry");
}

test("protobuf-es decodes every vector to the golden JSON value and the same bytes", { skip }, () => {
  const LogEntry = logEntrySchema();
  assert.ok(vectors.length >= 30);
  for (const v of vectors) {
    const msg = fromBinary(LogEntry, v.binary);
    assert.deepEqual(normal(toJson(LogEntry, msg)), normal(v.json), v.name);
    assert.deepEqual(toBinary(LogEntry, msg), v.binary, v.name);
  }
});

test("protobuf-es parses the golden JSON to the golden bytes", { skip }, () => {
  const LogEntry = logEntrySchema();
  for (const v of vectors) {
    assert.deepEqual(toBinary(LogEntry, fromJson(LogEntry, v.json)), v.binary, v.name);
  }
});

test("the Rust core parses protobuf-es JSON to the same bytes, and writes the same JSON value", { skip }, () => {
  const LogEntry = logEntrySchema();
  const lines = vectors.map((v) => toJsonString(LogEntry, fromBinary(LogEntry, v.binary)));
  const bytes = undelimited(complog(["convert", "--to", "binary", "-"], lines.join("\n")));
  assert.equal(bytes.length, vectors.length);
  vectors.forEach((v, i) => assert.deepEqual(bytes[i], v.binary, v.name));

  const rustJson = complog(["convert", "--to", "jsonl", "-"], delimited(vectors.map((v) => v.binary)))
    .toString("utf8")
    .split("\n")
    .slice(0, -1);
  vectors.forEach((v, i) => {
    assert.deepEqual(normal(JSON.parse(rustJson[i])), normal(toJson(LogEntry, fromBinary(LogEntry, v.binary))), v.name);
  });
});
