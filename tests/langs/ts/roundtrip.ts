// The TypeScript round-trip program of the cross-language tests
// (`cargo xtask test`).
//
// It checks the buf-generated TypeScript code (protoc-gen-es, target=ts, on
// the @bufbuild/protobuf runtime) against the golden vectors: for every vector
// it decodes the binary, compares toJson's output with the golden JSON as a
// JSON value, re-encodes the message byte for byte, and parses both the golden
// JSON and its own output back to the same bytes. The xtask type-checks this
// file and the generated code together with `tsc --strict` before running it.
//
// Usage: node roundtrip.js VECTORS_DIR (the directory holding manifest.json).

import { isDeepStrictEqual } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";

import { LogEntrySchema } from "./gen/lokryn/compliancelog/v1/logentry_pb.js";

interface Manifest {
  vectors: { name: string; binary: string; json: string }[];
}

/** Runs every comparison on one vector and returns what did not match. */
function check(binary: Uint8Array, golden: string): string[] {
  const errors: string[] = [];
  let written: string;
  let msg;
  try {
    msg = fromBinary(LogEntrySchema, binary);
    written = toJsonString(LogEntrySchema, msg);
  } catch (e) {
    return [`decoding the binary and printing it as JSON: ${String(e)}`];
  }
  // JSON.parse compares values: member order and whitespace do not matter, and
  // numbers compare as numbers (1e21 == 1E+21).
  if (!isDeepStrictEqual(JSON.parse(written), JSON.parse(golden))) {
    errors.push(`toJson output differs from the golden JSON\n  got:  ${written}\n  want: ${golden.trim()}`);
  }
  sameBytes(errors, "re-encoding the decoded message", toBinary(LogEntrySchema, msg), binary);
  for (const [what, text] of [
    ["the golden JSON", golden],
    ["toJson's own output", written],
  ] as const) {
    try {
      sameBytes(errors, `encoding ${what}`, toBinary(LogEntrySchema, fromJsonString(LogEntrySchema, text)), binary);
    } catch (e) {
      errors.push(`parsing ${what}: ${String(e)}`);
    }
  }
  return errors;
}

function sameBytes(errors: string[], what: string, got: Uint8Array, want: Uint8Array): void {
  if (Buffer.compare(got, want) === 0) {
    return;
  }
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) {
    i++;
  }
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  errors.push(
    `${what}: ${got.length} bytes, want ${want.length}; first difference at byte ${i}\n  got:  ${hex(got)}\n  want: ${hex(want)}`,
  );
}

function main(argv: string[]): number {
  const [dir, ...rest] = argv;
  if (dir === undefined || rest.length > 0) {
    console.error("usage: node roundtrip.js VECTORS_DIR");
    return 2;
  }
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  if (manifest.vectors.length === 0) {
    console.error(`roundtrip.js: ${dir}/manifest.json lists no vectors`);
    return 2;
  }
  let passed = 0;
  let failed = 0;
  for (const v of manifest.vectors) {
    const errors = check(
      new Uint8Array(readFileSync(join(dir, v.binary))),
      readFileSync(join(dir, v.json), "utf8"),
    );
    if (errors.length === 0) {
      passed++;
    } else {
      failed++;
      for (const error of errors) {
        console.error(`FAIL ${v.name}: ${error}`);
      }
    }
  }
  console.log(`typescript: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
