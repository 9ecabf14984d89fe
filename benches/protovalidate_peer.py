"""protovalidate, the peer a user would pick to validate these records, on
rules equivalent to this project's `baseline` profile, measured on the
benchmark entry. Prints one JSON object per measurement (median of repeated
timings, nanoseconds per entry). Run by `cargo xtask bench`.

protovalidate reads its rules from `buf.validate` options in the schema, so
this script builds that schema: a copy of `LogEntry` (package
`lokryn.peer.v1`, same field numbers, so the same bytes parse) whose fields
carry the `buf.validate` rules that match docs/rules.md's baseline column as
closely as protovalidate can express them. What it cannot express (a payload
that must be well-formed JSON or CBOR, nested no deeper than 64; a string that
must not be blank; warnings) is left out, which only makes the peer's work
lighter. The same descriptor set and the entry are written for the
JavaScript peer (`benches/protovalidate_peer.mjs`) with
`--write-descriptor-set PATH --write-entry PATH`.

Before timing, both verdicts are compared on a few records, so the rules are
known to agree where it matters."""

import argparse
import json
import statistics
import sys
import timeit
from pathlib import Path

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    field_mask_pb2,
    json_format,
    message_factory,
    timestamp_pb2,
)

import protovalidate
from protovalidate._gen.buf.validate import validate_pb as v

ROOT = Path(__file__).resolve().parents[1]
DESCRIPTOR_SET = ROOT / "crates/lokryn-compliance-log/src/generated/descriptor_set.binpb"
ENTRY = ROOT / "crates/lokryn-compliance-log/benches/entry.json"
OURS = "lokryn.compliancelog.v1"
PEER = "lokryn.peer.v1"
PEER_FILE = "lokryn/peer/v1/logentry_peer.proto"

# No C0 controls or DEL (RE2, Rust regex and JavaScript agree on this
# syntax; this project's `printable` also refuses C1, line separators and
# bidirectional controls).
PRINTABLE = "^[^\\x00-\\x1F\\x7F]*$"
IF_ZERO = "IGNORE_IF_ZERO_VALUE"

# The rules, as the proto3 JSON of buf.validate.FieldRules / MessageRules.


def text(max_bytes, printable=True, **extra):
    rules = {"maxBytes": str(max_bytes), **extra}
    if printable:
        rules["pattern"] = PRINTABLE
    return {"string": rules}


def enum(not_unspecified=False):
    return {"enum": {"definedOnly": True, **({"notIn": [0]} if not_unspecified else {})}}


def int64_gte(n):
    return {"int64": {"gte": str(n)}}


def hex_id(digits):
    return {"ignore": IF_ZERO, "string": {"pattern": f"^[0-9a-f]{{{digits}}}$", "notIn": ["0" * digits]}}


def repeated(max_items, items=None, unique=False):
    rules = {"maxItems": str(max_items), "unique": unique}
    if items:
        rules["items"] = items
    return {"repeated": rules}


def cel(rule_id, expression):
    return {"id": rule_id, "expression": expression, "message": rule_id}


ACTOR = {"required": True, "string": {"maxBytes": "512", "pattern": PRINTABLE}}
FIELD_RULES = {
    "LogEntry": {
        "event_type": enum(True),
        "outcome": enum(True),
        "severity": enum(True),
        "actor_id": ACTOR,
        "component": text(256),
        "environment": text(64),
        "resource": text(2048),
        "message": text(65536, printable=False),
        "payload": {"bytes": {"maxLen": "1048576"}},
        "policy_tags": repeated(64, text(128, minBytes="1"), unique=True),
        "sensitivity": enum(),
        "time": {"timestamp": {"gte": "0001-01-01T00:00:00Z", "lte": "9999-12-31T23:59:59.999999999Z"}},
        "event_id": {"ignore": IF_ZERO, "string": {"uuid": True}},
        "actor_type": enum(),
        "delegation_chain": repeated(64),
        "source_ip": {"ignore": IF_ZERO, "string": {"ip": True}},
        "host": {"cel": [cel("string.hostname", "this == '' || this.isHostname() || this.isIp()")]},
        "user_agent": text(1024),
        "trace_id": hex_id(32),
        "span_id": hex_id(16),
        "parent_span_id": hex_id(16),
        "session_id": text(256),
        "request_id": text(256),
        "duration_ms": int64_gte(0),
        "error_code": text(128),
        "error_message": text(4096, printable=False),
        "schema_version": {
            "ignore": IF_ZERO,
            "string": {
                "pattern": "^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?([+][0-9A-Za-z.-]+)?$"
            },
        },
        "payload_format": enum(),
    },
    "DelegationLink": {
        "actor_id": ACTOR,
        "actor_type": enum(),
        "scopes": repeated(64, text(256)),
        "reason": text(1024, printable=False),
    },
    "Producer": {"name": text(256), "version": text(64)},
    "GenAIPayload": {
        "input_tokens": int64_gte(0),
        "output_tokens": int64_gte(0),
        "max_tokens": int64_gte(0),
        "finish_reasons": repeated(64, text(64)),
    },
    "McpPayload": {"method_name": text(256), "resource_uri": text(2048)},
}

MESSAGE_RULES = {
    "LogEntry": {
        "cel": [
            cel("sensitivity.policy_tag", "this.sensitivity < 4 || size(this.policy_tags) > 0"),
            cel("trace.span_without_trace", "this.span_id == '' || this.trace_id != ''"),
            cel("trace.parent_without_span", "this.parent_span_id == '' || this.span_id != ''"),
        ]
    }
}


def option_bytes(number, payload):
    """One length-delimited extension field, as it sits in an options message."""

    def varint(n):
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)

    return varint(number << 3 | 2) + varint(len(payload)) + payload


def peer_file():
    """The peer schema: LogEntry and its messages, retargeted to lokryn.peer.v1,
    with this project's options replaced by buf.validate ones."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    ours = next(f for f in fds.file if f.name == "lokryn/compliancelog/v1/logentry.proto")
    peer = descriptor_pb2.FileDescriptorProto(
        name=PEER_FILE,
        package=PEER,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto", "buf/validate/validate.proto"],
    )
    peer.message_type.extend(ours.message_type)
    peer.enum_type.extend(ours.enum_type)
    for message in peer.message_type:
        message.ClearField("options")
        if message.name in MESSAGE_RULES:
            rules_pb = v.MessageRules.from_json(json.dumps(MESSAGE_RULES[message.name]))
            message.options.MergeFromString(option_bytes(1159, rules_pb.to_binary()))
        rules = FIELD_RULES.get(message.name, {})
        for field in message.field:
            field.ClearField("options")
            if field.HasField("type_name"):
                field.type_name = field.type_name.replace(f".{OURS}.", f".{PEER}.")
            if field.name in rules:
                rules_pb = v.FieldRules.from_json(json.dumps(rules[field.name]))
                field.options.MergeFromString(option_bytes(1159, rules_pb.to_binary()))
    return peer


def descriptor_set():
    """Every file the peer schema needs, in dependency order."""
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(m.DESCRIPTOR.serialized_pb)
        for m in (descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2)
    ]
    files.append(descriptor_pb2.FileDescriptorProto.FromString(v.desc().proto.to_binary()))
    files.append(peer_file())
    return descriptor_pb2.FileDescriptorSet(file=files)


def log_entry_class(fds):
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PEER}.LogEntry"))


def median_ns(fn, number):
    runs = timeit.repeat(fn, number=number, repeat=7)
    return statistics.median(runs) / number * 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-descriptor-set", type=Path)
    parser.add_argument("--write-entry", type=Path, help="write the benchmark entry's encoding here")
    args = parser.parse_args()
    fds = descriptor_set()
    if args.write_descriptor_set:
        args.write_descriptor_set.write_bytes(fds.SerializeToString())
    LogEntry = log_entry_class(fds)
    msg = json_format.Parse(ENTRY.read_text(), LogEntry())
    data = msg.SerializeToString()
    if args.write_entry:
        args.write_entry.write_bytes(data)
    validator = protovalidate.Validator()

    # The rules agree with the core's baseline on these records.
    assert validator.collect_violations(msg) == [], validator.collect_violations(msg)
    for change, rule in [
        (lambda m: setattr(m, "event_type", 0), "enum.not_in"),
        (lambda m: setattr(m, "actor_id", "a\nb"), "string.pattern"),
        (lambda m: setattr(m, "trace_id", "0" * 32), "string.not_in"),
        (lambda m: setattr(m, "source_ip", "256.0.0.1"), "string.ip"),
        (lambda m: setattr(m, "sensitivity", 5), "sensitivity.policy_tag"),
        (lambda m: m.policy_tags.append("SOC2"), "repeated.unique"),
        (lambda m: setattr(m, "duration_ms", -1), "int64.gte"),
    ]:
        broken = LogEntry.FromString(data)
        if rule == "sensitivity.policy_tag":
            del broken.policy_tags[:]
        change(broken)
        ids = [x.proto.rule_id for x in validator.collect_violations(broken)]
        assert rule in ids, (rule, ids)

    version = "protovalidate " + _version()
    n = 20000
    results = [
        ("validate baseline", f"{version} (Python, native engine)", median_ns(lambda: validator.validate(msg), n)),
        (
            "decode + validate baseline",
            f"google.protobuf upb decode + {version} (Python)",
            median_ns(lambda: validator.validate(LogEntry.FromString(data)), n),
        ),
    ]
    for group, name, ns in results:
        print(json.dumps({"group": group, "name": name, "median_ns": ns}))


def _version():
    from importlib.metadata import version

    return version("protovalidate")


if __name__ == "__main__":
    sys.exit(main())
