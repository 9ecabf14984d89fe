// protovalidate-es (@bufbuild/protovalidate on @bufbuild/protobuf), the peer a
// Node user would pick, on the same `buf.validate` rules as the Python peer
// (benches/protovalidate_peer.py writes the descriptor set this reads), on the
// benchmark entry. Prints one JSON object per measurement (median of repeated
// timings, nanoseconds per entry). Run by `cargo xtask bench`:
//
//   node benches/protovalidate_peer.mjs PEER_DESCRIPTOR_SET ENTRY_BINARY

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createValidator } from "@bufbuild/protovalidate";

const [descriptorSetPath, entryPath] = process.argv.slice(2);
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetPath)));
const LogEntry = registry.getMessage("lokryn.peer.v1.LogEntry");
const data = new Uint8Array(readFileSync(entryPath));
const msg = fromBinary(LogEntry, data);
const validator = createValidator({ registry });

// The rules hold on the entry and catch a broken one, as in the Python peer.
let result = validator.validate(LogEntry, msg);
if (result.kind !== "valid") throw new Error(`the benchmark entry is not valid: ${JSON.stringify(result)}`);
const broken = fromBinary(LogEntry, data);
broken.actorId = "a\nb";
broken.traceId = "0".repeat(32);
result = validator.validate(LogEntry, broken);
if (result.kind !== "invalid" || result.violations.length !== 2) {
  throw new Error(`the broken entry was not caught: ${result.kind}`);
}

function medianNs(fn, number) {
  const runs = [];
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < number; i++) fn();
    runs.push(Number(process.hrtime.bigint() - start) / number);
  }
  runs.sort((a, b) => a - b);
  return runs[3];
}

const root = join(import.meta.dirname, "..");
const version = JSON.parse(
  readFileSync(join(root, "node_modules/@bufbuild/protovalidate/package.json"), "utf8"),
).version;
const name = `protovalidate-es ${version} (Node ${process.versions.node})`;
// Warm up: the validator compiles each message's rules on first use.
medianNs(() => validator.validate(LogEntry, msg), 2000);
for (const [group, label, fn] of [
  ["validate baseline", name, () => validator.validate(LogEntry, msg)],
  [
    "decode + validate baseline",
    `protobuf-es decode + ${name}`,
    () => validator.validate(LogEntry, fromBinary(LogEntry, data)),
  ],
]) {
  console.log(JSON.stringify({ group, name: label, median_ns: medianNs(fn, 20000) }));
}
