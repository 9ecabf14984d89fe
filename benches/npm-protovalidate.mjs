// The validation peer of benches/npm.mjs: @bufbuild/protovalidate on the
// schema benches/protovalidate_peer.py builds, a copy of `LogEntry` (package
// lokryn.peer.v1, same field numbers, so the same bytes parse) whose fields
// carry the `buf.validate` rules closest to the core's `baseline` profile
// (docs/rules.md). The Python and the JavaScript peers of `cargo xtask bench`
// use the same descriptor set, so every protovalidate figure is on the same
// rules.
//
// `cargo xtask bench` writes that descriptor set to
// $CARGO_TARGET_DIR/bench-validate/protovalidate-peer.binpb; without it this
// peer is skipped.

import { existsSync, readFileSync } from "node:fs";

import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const root = new URL("../", import.meta.url);

function descriptorSetPath() {
  if (process.env.LOKRYN_PEER_DESCRIPTOR_SET) return process.env.LOKRYN_PEER_DESCRIPTOR_SET;
  const target = process.env.CARGO_TARGET_DIR ?? new URL("target", root).pathname;
  return `${target}/bench-validate/protovalidate-peer.binpb`;
}

/**
 * `{ schema, message, validate(message) }`: the peer schema, `bytes` parsed
 * as a message of it, and the validator; null when @bufbuild/protovalidate
 * is not installed or the descriptor set has not been written.
 */
export async function protovalidatePeer(bytes) {
  let createValidator;
  try {
    ({ createValidator } = await import("@bufbuild/protovalidate"));
  } catch {
    console.error("# @bufbuild/protovalidate is not installed: no validation peer");
    return null;
  }
  const path = descriptorSetPath();
  if (!existsSync(path)) {
    console.error(`# ${path} is missing (\`cargo xtask bench\` writes it): no validation peer`);
    return null;
  }
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(path)));
  const schema = registry.getMessage("lokryn.peer.v1.LogEntry");
  const validator = createValidator({ registry });
  const validate = (message) => validator.validate(schema, message);
  // The rules hold: the sample passes, a record without an actor does not.
  const message = fromBinary(schema, bytes);
  if (validate(message).kind !== "valid") throw new Error("protovalidate rejects the sample");
  const bad = fromBinary(schema, bytes);
  bad.actorId = "";
  if (validate(bad).kind !== "invalid") throw new Error("protovalidate accepts a record without actorId");
  return { schema, message, validate };
}
