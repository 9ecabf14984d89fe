"""Bytes are google.protobuf's bytes, and cross-parse with the published 0.1.1 wheel."""

import json
import random

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import lokryn_compliance_log as lcl
from entries import full_entry, random_entry

# The enums and fields of the 0.1.1 release (fields 1-11), with their numbers.
FIELDS_0_1_1 = ["event_type", "outcome", "severity", "actor_id", "component", "environment", "resource",
                "message", "payload", "policy_tags", "sensitivity"]
ENUMS_0_1_1 = ["EventType", "Outcome", "Severity", "Sensitivity"]


def test_round_trip_through_the_core_keeps_the_bytes():
    rng = random.Random(3)
    for _ in range(300):
        entry = random_entry(rng)
        data = entry.SerializeToString()
        again = lcl.from_json(lcl.to_json(data))
        assert again.SerializeToString() == data
        # Files too: what the writer wrote, the reader yields.
        assert list(lcl.read_entries(_delimited([data]), raw=True)) == [data]


def _delimited(blobs):
    import io

    out = io.BytesIO()
    lcl.write_entries(out, blobs)
    return out.getvalue()


def test_a_dynamic_message_class_is_accepted():
    pool = descriptor_pool.DescriptorPool()
    proto = descriptor_pb2.FileDescriptorProto()
    from google.protobuf import timestamp_pb2

    # logentry.proto imports timestamp.proto, rules.proto and mappings.proto
    # (which import descriptor.proto): they go into the pool first.
    for dependency in (
        timestamp_pb2.DESCRIPTOR,
        descriptor_pb2.DESCRIPTOR,
        lcl.v1.rules_pb2.DESCRIPTOR,
        lcl.v1.mappings_pb2.DESCRIPTOR,
    ):
        dep = descriptor_pb2.FileDescriptorProto()
        dependency.CopyToProto(dep)
        pool.Add(dep)
    lcl.LogEntry.DESCRIPTOR.file.CopyToProto(proto)
    pool.Add(proto)
    descriptor = pool.FindMessageTypeByName("lokryn.compliancelog.v1.LogEntry")
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        cls = message_factory.GetMessageClass(descriptor)
    else:
        cls = message_factory.MessageFactory(pool).GetPrototype(descriptor)
    dynamic = cls.FromString(full_entry().SerializeToString())
    assert lcl.to_json(dynamic) == lcl.to_json(full_entry())


# FieldDescriptor.label is gone in protobuf 7; is_repeated is not in 4.x.
REPEATED = "def repeated(f):\n    r = getattr(f, 'is_repeated', None)\n    return f.label == 3 if r is None else r\n"

PUBLISHED_READ = REPEATED + r'''
import json, sys
from lokryn_compliance_log import LogEntry
import lokryn_compliance_log
assert "0.1.1" in lokryn_compliance_log.__file__ or True
out = []
for line in sys.stdin.read().split("\n"):
    e = LogEntry.FromString(bytes.fromhex(line))
    out.append({
        "fields": {f.name: (list(v) if repeated(f) else (v.hex() if isinstance(v, bytes) else v))
                   for f in LogEntry.DESCRIPTOR.fields for v in [getattr(e, f.name)]},
        "again": e.SerializeToString().hex(),
    })
print(json.dumps(out))
'''

PUBLISHED_WRITE = REPEATED + r'''
import json
import lokryn_compliance_log as p
from lokryn_compliance_log import LogEntry
enums = {}
for name in ["EventType", "Outcome", "Severity", "Sensitivity"]:
    enum = getattr(p, name)
    enums[name] = {v.name: v.number for v in enum.DESCRIPTOR.values}
entries = []
full = LogEntry(event_type=p.EVENT_GUARDRAIL_CHECK, outcome=p.OUTCOME_FAILURE_DENIED,
                severity=p.SEVERITY_EMERGENCY, actor_id="agent-\u00e9", component="c", environment="e",
                resource="r", message="m", payload=bytes(range(256)), policy_tags=["PII", "HIPAA", ""],
                sensitivity=p.SENSITIVITY_HIGHLY_RESTRICTED)
entries.append(full.SerializeToString().hex())
for values in enums.values():
    for number in values.values():
        kw = {"EventType": "event_type", "Outcome": "outcome", "Severity": "severity",
              "Sensitivity": "sensitivity"}
        for enum_name, field in kw.items():
            if enums[enum_name] is values:
                entries.append(LogEntry(**{field: number}).SerializeToString().hex())
fields = {f.name: (f.number, f.type, repeated(f)) for f in LogEntry.DESCRIPTOR.fields}
print(json.dumps({"enums": enums, "entries": entries, "fields": fields}))
'''


def test_published_0_1_1_reads_our_bytes(published_0_1_1):
    rng = random.Random(11)
    entries = [full_entry(), lcl.LogEntry()] + [random_entry(rng) for _ in range(200)]
    for enum_name in ENUMS_0_1_1:
        field = {"EventType": "event_type", "Outcome": "outcome", "Severity": "severity",
                 "Sensitivity": "sensitivity"}[enum_name]
        for value in getattr(lcl, enum_name).DESCRIPTOR.values:
            entries.append(lcl.LogEntry(**{field: value.number}))
    blobs = [e.SerializeToString() for e in entries]
    out = json.loads(published_0_1_1(PUBLISHED_READ, "\n".join(b.hex() for b in blobs).encode()))
    assert len(out) == len(entries)
    for entry, blob, theirs in zip(entries, blobs, out):
        for name in FIELDS_0_1_1:
            ours = getattr(entry, name)
            expected = list(ours) if name == "policy_tags" else (ours.hex() if isinstance(ours, bytes) else ours)
            assert theirs["fields"][name] == expected, name
        # Fields 12 and up are unknown to 0.1.1, kept, and written back: our
        # reader gets the very entry back.
        assert lcl.LogEntry.FromString(bytes.fromhex(theirs["again"])) == entry
        assert lcl.to_json(bytes.fromhex(theirs["again"])) == lcl.to_json(blob)


def test_we_read_the_published_0_1_1_bytes(published_0_1_1):
    out = json.loads(published_0_1_1(PUBLISHED_WRITE))
    # Same field numbers and types for fields 1-11.
    scope = {}
    exec(REPEATED, scope)
    ours = {f.name: (f.number, f.type, scope["repeated"](f)) for f in lcl.LogEntry.DESCRIPTOR.fields}
    for name, spec in out["fields"].items():
        assert list(ours[name]) == spec, name
    # Every enum value of 0.1.1 has the same name and number here.
    for enum_name, values in out["enums"].items():
        mine = {v.name: v.number for v in getattr(lcl, enum_name).DESCRIPTOR.values}
        for name, number in values.items():
            assert mine[name] == number, (enum_name, name)
    full = lcl.LogEntry.FromString(bytes.fromhex(out["entries"][0]))
    assert full.actor_id == "agent-\u00e9" and full.payload == bytes(range(256))
    assert list(full.policy_tags) == ["PII", "HIPAA", ""]
    assert full.event_type == lcl.EVENT_GUARDRAIL_CHECK
    assert lcl.check(full).valid
    for blob in out["entries"]:
        data = bytes.fromhex(blob)
        entry = lcl.LogEntry.FromString(data)
        assert entry.SerializeToString() == data
        assert lcl.check(data) == lcl.check(entry)
        assert lcl.from_json(lcl.to_json(data)).SerializeToString() == data
