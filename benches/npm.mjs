// The npm packages next to protobuf-es and protobufjs, measured in one run
// on the same entry (crates/lokryn-compliance-log/benches/entry.json, the
// core's benchmark entry) and printed as Markdown tables for
// docs/performance.md. A benchmark, not a test: nothing here asserts speed.
//
//   cargo xtask dist            # (or `cargo xtask test`) builds both packages
//   node benches/npm.mjs        # LOKRYN_BENCH_MS=300 for longer samples
//
// LOKRYN_BENCH_CLOCK=cpu times samples by the process's CPU time instead of
// the wall clock: on a machine other work keeps busy, time spent waiting for
// a core then counts for nobody.
//
// Each figure is the median of 7 samples of at least LOKRYN_BENCH_MS ms (200
// by default), per entry. Figures from a shared, noisy machine are only
// comparable within one run: quote the ratios.

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

import { create, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { sizeDelimitedEncode, sizeDelimitedPeek } from "@bufbuild/protobuf/wire";
import protobufjs from "protobufjs";

import * as napi from "@lokryn/compliance-log";
import * as wasm from "@lokryn/compliance-log-wasm";

import { LogEntrySchema } from "../tests/npm/gen/lokryn/compliancelog/v1/logentry_pb.js";
import { fmt, ratio, timer } from "./npm-measure.mjs";
import { protovalidatePeer } from "./npm-protovalidate.mjs";
import { CPU_CLOCK, now } from "./bench-clock.mjs";

const root = new URL("../", import.meta.url);
const SAMPLE_MS = Number(process.env.LOKRYN_BENCH_MS ?? 200);
const BATCH = 1000;

// ---------------------------------------------------------------- inputs

const jsonText = JSON.stringify(JSON.parse(readFileSync(new URL("crates/lokryn-compliance-log/benches/entry.json", root), "utf8")));
const esMessage = fromJsonString(LogEntrySchema, jsonText);
const bytes = toBinary(LogEntrySchema, esMessage);
const plain = napi.decode(bytes); // a plain object, protobuf-es shaped

const pbjsRoot = new protobufjs.Root();
// google/protobuf/{timestamp,duration,...}.proto are built into protobufjs;
// descriptor.proto (imported by our rule options) ships beside them.
pbjsRoot.resolvePath = (_origin, target) =>
  target === "google/protobuf/descriptor.proto"
    ? new URL("node_modules/protobufjs/google/protobuf/descriptor.proto", root).pathname
    : target.startsWith("google/")
      ? target
      : new URL(`proto/${target}`, root).pathname;
pbjsRoot.loadSync("lokryn/compliancelog/v1/logentry.proto", { keepCase: false });
pbjsRoot.resolveAll();
const PbjsLogEntry = pbjsRoot.lookupType("lokryn.compliancelog.v1.LogEntry");
const pbjsMessage = PbjsLogEntry.decode(bytes);

const batchPlain = Array.from({ length: BATCH }, () => plain);
const batchEs = Array.from({ length: BATCH }, () => esMessage);
const batchPbjs = Array.from({ length: BATCH }, () => pbjsMessage);
const stream = napi.encodeDelimited(batchPlain);

// Sanity: everyone agrees on the bytes before anything is timed.
const hex = (b) => Buffer.from(b).toString("hex");
for (const [name, b] of [
  ["napi", napi.encode(plain)],
  ["wasm", wasm.encode(plain)],
  ["protobufjs", PbjsLogEntry.encode(pbjsMessage).finish()],
]) {
  if (hex(b) !== hex(bytes)) throw new Error(`${name} encodes differently from protobuf-es`);
}

// ---------------------------------------------------------------- timing

const measure = timer(now, SAMPLE_MS);

// ---------------------------------------------------------------- peers

function esDecodeDelimited(data, schema = LogEntrySchema) {
  const out = [];
  let offset = 0;
  while (offset < data.length) {
    const { size, offset: start } = sizeDelimitedPeek(data.subarray(offset));
    out.push(fromBinary(schema, data.subarray(offset + start, offset + start + size)));
    offset += start + size;
  }
  return out;
}

function esEncodeDelimited(messages) {
  const parts = messages.map((m) => sizeDelimitedEncode(LogEntrySchema, m));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function pbjsEncodeDelimited(messages) {
  const writer = protobufjs.Writer.create();
  for (const m of messages) PbjsLogEntry.encodeDelimited(m, writer);
  return writer.finish();
}

function pbjsDecodeDelimited(data) {
  const reader = protobufjs.Reader.create(data);
  const out = [];
  while (reader.pos < reader.len) out.push(PbjsLogEntry.decodeDelimited(reader));
  return out;
}

const protovalidate = await protovalidatePeer(bytes);

// ---------------------------------------------------------------- rows

const rows = [
  {
    op: "encode (object → bytes)",
    napi: () => napi.encode(plain),
    wasm: () => wasm.encode(plain),
    es: () => toBinary(LogEntrySchema, esMessage),
    pbjs: () => PbjsLogEntry.encode(pbjsMessage).finish(),
  },
  {
    op: "decode (bytes → object)",
    napi: () => napi.decode(bytes),
    wasm: () => wasm.decode(bytes),
    es: () => fromBinary(LogEntrySchema, bytes),
    pbjs: () => PbjsLogEntry.decode(bytes),
  },
  {
    op: "toJsonString (object → canonical JSON)",
    napi: () => napi.toJsonString(plain),
    wasm: () => wasm.toJsonString(plain),
    es: () => toJsonString(LogEntrySchema, esMessage),
    pbjs: () => JSON.stringify(PbjsLogEntry.toObject(pbjsMessage, { longs: String, enums: String, bytes: String })),
  },
  {
    op: "toJsonString (bytes → canonical JSON)",
    napi: () => napi.toJsonString(bytes),
    wasm: () => wasm.toJsonString(bytes),
    es: () => toJsonString(LogEntrySchema, fromBinary(LogEntrySchema, bytes)),
    pbjs: () => JSON.stringify(PbjsLogEntry.toObject(PbjsLogEntry.decode(bytes), { longs: String, enums: String, bytes: String })),
  },
  {
    op: "fromJsonString (JSON → object)",
    napi: () => napi.fromJsonString(jsonText),
    wasm: () => wasm.fromJsonString(jsonText),
    es: () => fromJsonString(LogEntrySchema, jsonText),
    pbjs: null, // protobufjs's fromObject is not proto3 JSON (timestamps, enums by name)
  },
  {
    op: "validate (object)",
    napi: () => napi.validate(plain),
    wasm: () => wasm.validate(plain),
    es: protovalidate ? () => protovalidate.validate(protovalidate.message) : null,
    pbjs: null,
    peer: "@bufbuild/protovalidate",
  },
  {
    op: "validate (bytes)",
    napi: () => napi.validate(bytes),
    wasm: () => wasm.validate(bytes),
    es: protovalidate ? () => protovalidate.validate(fromBinary(protovalidate.schema, bytes)) : null,
    pbjs: null,
    peer: "@bufbuild/protovalidate",
  },
  {
    op: `encodeDelimited, ${BATCH} entries (per entry)`,
    napi: () => napi.encodeDelimited(batchPlain),
    wasm: () => wasm.encodeDelimited(batchPlain),
    es: () => esEncodeDelimited(batchEs),
    pbjs: () => pbjsEncodeDelimited(batchPbjs),
    per: BATCH,
  },
  {
    op: `decodeDelimited, ${BATCH} entries (per entry)`,
    napi: () => napi.decodeDelimited(stream),
    wasm: () => wasm.decodeDelimited(stream),
    es: () => esDecodeDelimited(stream),
    pbjs: () => pbjsDecodeDelimited(stream),
    per: BATCH,
  },
  {
    op: `validateDelimited, ${BATCH} entries (per entry)`,
    napi: () => napi.validateDelimited(stream),
    wasm: () => wasm.validateDelimited(stream),
    es: protovalidate ? () => esDecodeDelimited(stream, protovalidate.schema).map((m) => protovalidate.validate(m)) : null,
    pbjs: null,
    per: BATCH,
    peer: "@bufbuild/protovalidate",
  },
];

console.error(`# ${bytes.length}-byte entry; Node ${process.version}; ${SAMPLE_MS} ms samples of ${CPU_CLOCK ? "CPU time" : "wall-clock time"}`);
const results = [];
for (const row of rows) {
  const per = row.per ?? 1;
  const r = { op: row.op, peer: row.peer ?? "protobuf-es" };
  for (const k of ["napi", "wasm", "es", "pbjs"]) {
    r[k] = row[k] ? measure(row[k], per) : null;
  }
  console.error(`  ${row.op}: napi ${fmt(r.napi)}, wasm ${fmt(r.wasm)}, ${r.peer} ${fmt(r.es)}, protobufjs ${fmt(r.pbjs)}`);
  results.push(r);
}

const wasmFile = readFileSync(new URL("bindings/wasm/pkg/lokryn_compliance_log_wasm_bg.wasm", root));
console.log(`Entry: ${bytes.length} bytes (crates/lokryn-compliance-log/benches/entry.json). Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Median of 7 samples${CPU_CLOCK ? " of CPU time" : ""}, per entry.\n`);
console.log("| Operation | napi | wasm (in Node) | peer | protobufjs | napi vs peer | wasm vs peer |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  const peer = r.es == null ? "–" : `${fmt(r.es)} (${r.peer})`;
  console.log(`| ${r.op} | ${fmt(r.napi)} | ${fmt(r.wasm)} | ${peer} | ${fmt(r.pbjs)} | ${ratio(r.es, r.napi)} | ${ratio(r.es, r.wasm)} |`);
}
console.log(`\n"× vs peer": how many times faster than protobuf-es (or @bufbuild/protovalidate for validation); below 1× is slower.`);
// Issue 17's targets: at least the fastest JavaScript peer's speed
// (protobufjs where it has the operation, else protobuf-es).
console.log("\n| Operation | fastest peer | napi vs it | wasm vs it |");
console.log("|---|---|---:|---:|");
for (const r of results.slice(0, 5)) {
  const [name, t] = r.pbjs != null ? ["protobufjs", r.pbjs] : [r.peer, r.es];
  console.log(`| ${r.op} | ${name} | ${ratio(t, r.napi, 2)} | ${ratio(t, r.wasm, 2)} |`);
}
console.log(`\nwasm module: ${(wasmFile.length / 1024).toFixed(0)} KiB, ${(gzipSync(wasmFile, { level: 9 }).length / 1024).toFixed(0)} KiB gzip.`);
if (measure.sink() === 0.5) console.log("");
