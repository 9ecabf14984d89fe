// The validation peer of benches/npm.mjs: @bufbuild/protovalidate with the
// rules of the core's baseline (crates/lokryn-compliance-log/src/validate.rs)
// written as buf.validate field rules. The schema carries no buf.validate
// options, so they are added here to a copy of its descriptor:
//
//   eventType, outcome, severity   enum: defined_only, not_in [0]
//   actorId                        string: min_len 1 (the core also refuses blanks)
//   actorType, sensitivity,
//   payloadFormat,
//   delegationChain[].actorType    enum: defined_only
//
// (The core's one warning, a missing `time`, has no protovalidate
// counterpart.)

import { clone, create, createFileRegistry, fromBinary, setExtension, toBinary } from "@bufbuild/protobuf";
import { FieldOptionsSchema, FileDescriptorProtoSchema, file_google_protobuf_timestamp } from "@bufbuild/protobuf/wkt";

import { LogEntrySchema, file_lokryn_compliancelog_v1_logentry } from "../tests/npm/gen/lokryn/compliancelog/v1/logentry_pb.js";

const RULES = {
  LogEntry: {
    event_type: { type: { case: "enum", value: { definedOnly: true, notIn: [0] } } },
    outcome: { type: { case: "enum", value: { definedOnly: true, notIn: [0] } } },
    severity: { type: { case: "enum", value: { definedOnly: true, notIn: [0] } } },
    actor_id: { type: { case: "string", value: { minLen: 1n } } },
    actor_type: { type: { case: "enum", value: { definedOnly: true } } },
    sensitivity: { type: { case: "enum", value: { definedOnly: true } } },
    payload_format: { type: { case: "enum", value: { definedOnly: true } } },
  },
  DelegationLink: {
    actor_type: { type: { case: "enum", value: { definedOnly: true } } },
  },
};

/**
 * `{ schema, message, validate(message) }`: the schema with the rules above,
 * `sample` as a message of it, and the validator; null when
 * @bufbuild/protovalidate is not installed.
 */
export async function protovalidatePeer(sample) {
  let createValidator;
  let gen;
  try {
    ({ createValidator } = await import("@bufbuild/protovalidate"));
    gen = await import("@bufbuild/protovalidate/gen/buf/validate/validate_pb.js");
  } catch {
    console.error("# @bufbuild/protovalidate is not installed: no validation peer");
    return null;
  }
  const { field, FieldRulesSchema, file_buf_validate_validate } = gen;
  const file = clone(FileDescriptorProtoSchema, file_lokryn_compliancelog_v1_logentry.proto);
  for (const message of file.messageType) {
    for (const f of message.field) {
      const rules = RULES[message.name]?.[f.name];
      if (!rules) continue;
      f.options ??= create(FieldOptionsSchema);
      setExtension(f.options, field, create(FieldRulesSchema, rules));
    }
  }
  file.dependency.push("buf/validate/validate.proto");
  const registry = createFileRegistry(file, (name) =>
    name === "google/protobuf/timestamp.proto"
      ? file_google_protobuf_timestamp
      : name === "buf/validate/validate.proto"
        ? file_buf_validate_validate
        : undefined,
  );
  const schema = registry.getMessage("lokryn.compliancelog.v1.LogEntry");
  const validator = createValidator({ registry });
  const validate = (message) => validator.validate(schema, message);
  // The rules hold: the sample passes, a record without an actor does not.
  const message = fromBinary(schema, toBinary(LogEntrySchema, sample));
  if (validate(message).kind !== "valid") throw new Error("protovalidate rejects the sample");
  const bad = clone(schema, message);
  bad.actorId = "";
  if (validate(bad).kind !== "invalid") throw new Error("protovalidate accepts a record without actorId");
  return { schema, message, validate };
}
