"""lokryn_compliance_log.export: the entry in OCSF, ECS and OpenTelemetry logs,
and back, by the same Rust mapping `complog export` follows."""

import json
import random
from pathlib import Path

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log import _native, export

from entries import full_entry, random_entry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "good"


def login() -> lcl.LogEntry:
    entry = lcl.LogEntry(
        event_type=lcl.EVENT_LOGIN,
        outcome=lcl.OUTCOME_FAILURE_DENIED,
        severity=lcl.SEVERITY_WARNING,
        actor_id="alice@example.com",
        source_ip="203.0.113.7",
    )
    entry.time.FromSeconds(1764547200)
    return entry


def test_to_ocsf_is_the_authentication_class():
    event = export.to_ocsf(login(), log_name="audit")
    assert (event["class_uid"], event["activity_id"], event["type_uid"]) == (3002, 1, 300201)
    assert event["severity_id"] == 3 and event["status_id"] == 2
    assert event["user"]["uid"] == "alice@example.com"
    assert event["src_endpoint"]["ip"] == "203.0.113.7"
    assert event["time"] == 1764547200000
    assert event["metadata"]["log_name"] == "audit"


def test_bytes_and_messages_give_the_same_event():
    entry = full_entry()
    assert export.to_ocsf(entry.SerializeToString()) == export.to_ocsf(entry)
    assert export.to_ecs(bytearray(entry.SerializeToString())) == export.to_ecs(entry)


def _examples():
    """[(name, LogEntry)] for every entry of examples/good."""
    out = []
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix == ".json":
            out.append((path.name, lcl.from_json(path.read_text())))
        elif path.suffix == ".jsonl":
            entries = lcl.read_entries(str(path), format="jsonl")
            out.extend((f"{path.name}[{i}]", e) for i, e in enumerate(entries))
        elif path.suffix == ".binpb":
            entries = lcl.read_entries(str(path))
            out.extend((f"{path.name}[{i}]", e) for i, e in enumerate(entries))
    return out


def test_bytes_and_messages_give_the_same_bytes_for_every_target(vectors):
    """Bytes are exported from a view of the encoding, a message from its
    serialization: the very same text (or protobuf) for every target, on
    every golden vector and example, one at a time and all in one request."""
    cases = [(name, binary) for name, binary, _ in vectors]
    cases += [(name, e.SerializeToString()) for name, e in _examples()]
    assert len(cases) > len(vectors) > 10
    observed = 1764547200123456789
    for name, binary in cases:
        message = lcl.LogEntry.FromString(binary)
        for entry in (message, bytearray(binary)):
            assert _native.export_ocsf(binary) == _native.export_ocsf(entry), name
            assert _native.export_ocsf(binary, observed, "audit") == _native.export_ocsf(
                entry, observed, "audit"
            ), name
            assert _native.export_ecs(binary) == _native.export_ecs(entry), name
            for json_out in (True, False):
                assert _native.export_otlp([binary], json_out, observed) == _native.export_otlp(
                    [entry], json_out, observed
                ), name
    binaries = [binary for _, binary in cases]
    messages = [lcl.LogEntry.FromString(b) for b in binaries]
    mixed = [m if i % 2 else b for i, (b, m) in enumerate(zip(binaries, messages))]
    for json_out in (True, False):
        from_bytes = _native.export_otlp(binaries, json_out)
        assert from_bytes == _native.export_otlp(messages, json_out)
        assert from_bytes == _native.export_otlp(iter(mixed), json_out)


def test_the_first_bad_entry_of_a_batch_is_the_one_reported():
    """Bytes that do not decode before an argument of the wrong type: the
    bytes are reported (the entries are read in order)."""
    good = login().SerializeToString()
    with pytest.raises(lcl.DecodeError) as raised:
        export.to_otlp([good, b"\xff", 42])
    assert raised.value.index == 1
    with pytest.raises(TypeError) as wrong:
        export.to_otlp([good, 42, b"\xff"])
    assert str(wrong.value).startswith("entry 1: ")


@pytest.mark.parametrize("seed", range(20))
def test_ocsf_round_trip(seed):
    entry = random_entry(random.Random(seed))
    assert export.from_ocsf(export.to_ocsf(entry)) == entry
    assert export.from_ocsf(json.dumps(export.to_ocsf(entry))) == entry


def test_full_entry_round_trips_through_ocsf():
    entry = full_entry()
    assert export.from_ocsf(export.to_ocsf(entry)) == entry


def test_to_ecs_fields():
    doc = export.to_ecs(login())
    assert doc["event"]["category"] == ["authentication", "session"]
    assert doc["event"]["outcome"] == "failure"
    assert doc["@timestamp"].startswith("2025-12-01T00:00:00")


def test_to_otlp_json_and_protobuf():
    entries = [login(), full_entry()]
    request = export.to_otlp_json(entries, observed_time_ns=1764547200000000000)
    records = [
        r for rl in request["resourceLogs"] for sl in rl["scopeLogs"] for r in sl["logRecords"]
    ]
    assert len(records) == 2
    assert records[0]["severityNumber"] == 13  # WARN, the syslog appendix's Warning
    assert records[0]["timeUnixNano"] == "1764547200000000000"
    body = export.to_otlp(entries, observed_time_ns=1764547200000000000)
    assert isinstance(body, bytes) and len(body) > 0
    assert body == export.to_otlp(entries, observed_time_ns=1764547200000000000)


def test_from_ocsf_refuses_a_foreign_event():
    with pytest.raises(lcl.DecodeError) as raised:
        export.from_ocsf({"class_uid": 4010, "activity_id": 3})
    assert raised.value.code == "IMPORT"


def test_bad_entry_is_a_type_error():
    with pytest.raises(TypeError):
        export.to_ocsf("not an entry")  # type: ignore[arg-type]


def test_from_lokryn_0_2_json_lines_and_binary():
    line = (
        '{"event_type": "EVENT_TOOL_INVOCATION", "outcome": "OUTCOME_SUCCESS",'
        ' "actor_id": "agent-7", "duration_ms": "12", "ocsf_class_uid": 6003}'
    )
    (one,) = export.from_lokryn_0_2(line)
    assert one.event_type == lcl.EVENT_TOOL_INVOCATION  # 20 in 0.2.0, 13 here
    assert one.duration_ms == 12
    assert json.loads(one.payload) == {"ocsf_class_uid": 6003}
    assert export.from_lokryn_0_2(line + "\n" + line + "\n") == [one, one]
    # Binary, by hand: event_type (1) = 20, actor_id (10) = "agent-7".
    record = b"\x08\x14" + b"\x52\x07agent-7"
    (single,) = export.from_lokryn_0_2(record, framing="single")
    assert (single.event_type, single.actor_id) == (lcl.EVENT_TOOL_INVOCATION, "agent-7")
    stream = bytes([len(record)]) + record + bytes([len(record)]) + record
    assert export.from_lokryn_0_2(stream) == [single, single]
    with pytest.raises(lcl.DecodeError) as raised:
        export.from_lokryn_0_2('{"no_such_field": 1}')
    assert raised.value.code == "IMPORT"
    with pytest.raises(ValueError):
        export.from_lokryn_0_2(record, framing="chunked")  # type: ignore[arg-type]
