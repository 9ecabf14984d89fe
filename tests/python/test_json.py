"""The core's JSON is the JSON value google.protobuf's json_format gives."""

import json
import math
import random

import pytest
from google.protobuf import json_format

import lokryn_compliance_log as lcl
from entries import INT64_MAX, INT64_MIN, full_entry, random_entry


def reference(entry):
    return json.loads(json_format.MessageToJson(entry))


def same_value(a, b):
    """JSON values equal, NaN included."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def assert_same_json(entry):
    ours = lcl.to_json(entry)
    assert same_value(json.loads(ours), reference(entry)), (ours, json_format.MessageToJson(entry))
    assert lcl.to_json(entry.SerializeToString()) == ours
    return ours


def test_empty_entry():
    assert lcl.to_json(lcl.LogEntry()) == "{}"
    assert lcl.to_json(b"") == "{}"
    assert reference(lcl.LogEntry()) == {}


def test_every_field_set():
    text = assert_same_json(full_entry())
    assert list(json.loads(text)) == [
        f.json_name for f in sorted(lcl.LogEntry.DESCRIPTOR.fields, key=lambda f: f.number)
    ], "every field written, in field-number order"


@pytest.mark.parametrize(
    "nanos,fraction",
    [(0, ""), (5_000_000, ".005"), (123_000_000, ".123"), (5_000, ".000005"), (123_456_000, ".123456"),
     (5, ".000000005"), (123_456_789, ".123456789"), (999_999_999, ".999999999")],
)
def test_timestamps_use_0_3_6_or_9_fraction_digits(nanos, fraction):
    entry = lcl.LogEntry()
    entry.time.seconds = 1_700_000_000
    entry.time.nanos = nanos
    assert json.loads(assert_same_json(entry))["time"] == f"2023-11-14T22:13:20{fraction}Z"


@pytest.mark.parametrize("seconds", [-62_135_596_800, -1, 0, 951_782_400, 253_402_300_799])
def test_timestamp_range_edges(seconds):
    entry = lcl.LogEntry()
    entry.time.seconds = seconds
    assert_same_json(entry)


@pytest.mark.parametrize("value", [0, 1, -1, 2**53 + 1, INT64_MAX, INT64_MIN])
def test_64_bit_integers_are_strings(value):
    entry = lcl.LogEntry(duration_ms=value, genai=lcl.GenAIPayload(input_tokens=value, max_tokens=value))
    data = json.loads(assert_same_json(entry))
    assert data["genai"]["maxTokens"] == str(value)


@pytest.mark.parametrize("value", [0.0, -0.0, 0.7, 0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, 1e21, 1e22,
                                   123456789.125, float("inf"), float("-inf"), float("nan")])
def test_doubles(value):
    assert_same_json(lcl.LogEntry(genai=lcl.GenAIPayload(temperature=value)))


def test_unknown_enum_numbers_are_written_as_numbers():
    entry = lcl.LogEntry(event_type=999, outcome=-1, severity=2**31 - 1,
                         delegation_chain=[lcl.DelegationLink(actor_type=-(2**31))])
    data = json.loads(assert_same_json(entry))
    assert data["eventType"] == 999 and data["delegationChain"][0]["actorType"] == -(2**31)


def test_unicode_and_escapes():
    for text in ["ünïcödé", "日本語", "🦀", '"\\/', "\x00\x01\x1f\x7f", "\n\r\t\b\f", "\u2028\u2029", "</script>"]:
        assert_same_json(lcl.LogEntry(actor_id=text, policy_tags=[text, text]))


def test_bytes_are_padded_base64():
    for payload in [b"\x00", b"\xff\xfe", b"ab", b"abc", bytes(range(256))]:
        assert_same_json(lcl.LogEntry(payload=payload))


def test_optional_fields_set_to_zero_are_written():
    entry = lcl.LogEntry(genai=lcl.GenAIPayload(temperature=0.0, max_tokens=0),
                         mcp=lcl.McpPayload(jsonrpc_error_code=0))
    data = json.loads(assert_same_json(entry))
    assert data["genai"] == {"temperature": 0.0, "maxTokens": "0"}
    assert data["mcp"] == {"jsonrpcErrorCode": 0}


def test_empty_nested_messages_are_written():
    entry = lcl.LogEntry(producer=lcl.Producer(), delegation_chain=[lcl.DelegationLink()])
    assert json.loads(assert_same_json(entry)) == {"delegationChain": [{}], "producer": {}}


def test_many_random_entries():
    rng = random.Random(20240611)
    for _ in range(2000):
        assert_same_json(random_entry(rng))


def test_to_json_many_matches_to_json():
    rng = random.Random(7)
    entries = [random_entry(rng) for _ in range(50)]
    mixed = [e if i % 2 else e.SerializeToString() for i, e in enumerate(entries)]
    assert lcl.to_json_many(mixed) == [lcl.to_json(e) for e in entries]
    assert lcl.to_json_many(iter([])) == []


def test_from_json_reads_what_json_format_writes():
    rng = random.Random(99)
    for _ in range(500):
        entry = random_entry(rng)
        for text in (json_format.MessageToJson(entry), lcl.to_json(entry),
                     json_format.MessageToJson(entry, preserving_proto_field_name=True)):
            parsed = lcl.from_json(text)
            assert isinstance(parsed, lcl.LogEntry)
            assert parsed.SerializeToString(deterministic=True) == entry.SerializeToString(deterministic=True) \
                or parsed == entry
            assert parsed == json_format.Parse(text, lcl.LogEntry())


def test_from_json_accepts_what_the_mapping_allows():
    parsed = lcl.from_json(b'{"event_type": 1, "durationMs": 5, "time": "2023-11-14T23:13:20+01:00",'
                           b' "payload": "_-8", "outcome": null}')
    assert parsed.event_type == lcl.EVENT_LOGIN
    assert parsed.duration_ms == 5
    assert parsed.time.seconds == 1_700_000_000
    assert parsed.payload == b"\xff\xef"


def test_from_json_unknown_fields():
    with pytest.raises(lcl.JsonError, match="nope"):
        lcl.from_json('{"nope": 1}')
    assert lcl.from_json('{"nope": 1, "actorId": "a"}', ignore_unknown_fields=True).actor_id == "a"


def test_json_errors_name_the_field_and_position():
    with pytest.raises(lcl.JsonError) as info:
        lcl.from_json('{\n  "delegationChain": [{"actorType": "NOT_A_TYPE"}]\n}')
    err = info.value
    assert isinstance(err, ValueError)
    assert "delegationChain[0].actorType" in str(err)
    assert (err.code, err.line, err.field) == ("JSON", 2, "delegationChain[0].actorType")
    assert err.column > 0
    with pytest.raises(lcl.JsonError, match="actorId"):
        lcl.from_json('{"actorId": 5}')
    with pytest.raises(lcl.JsonError, match="line 1, column"):
        lcl.from_json("{")
    with pytest.raises(lcl.JsonError, match="invalid UTF-8") as info:
        lcl.from_json(b'{"actorId": "\xff"}')
    assert info.value.column == 14


def test_values_json_cannot_express_raise_naming_the_field():
    entry = lcl.LogEntry()
    entry.time.seconds = 253_402_300_800  # year 10000
    with pytest.raises(lcl.JsonError) as info:
        lcl.to_json(entry)
    assert info.value.field == "time" and info.value.code == "JSON_VALUE"
    with pytest.raises(Exception):  # noqa: B017 (its class varies across protobuf releases)
        json_format.MessageToJson(entry)


@pytest.mark.parametrize(
    "text, field, same_spelling",
    [
        ('{"eventType": "EVENT_LOGIN", "actorId": "alice", "actorId": "mallory"}', "actorId", True),
        ('{"actorId": "alice", "actor_id": "mallory"}', "actor_id", False),
        ('{"delegationChain": [{"actorId": "a"}, {"actorId": "b", "actorId": "c"}]}', "delegationChain[1].actorId", True),
        ('{"genai": {"topP": 0.5, "top_p": 0.9}}', "genai.top_p", False),
    ],
)
def test_a_repeated_key_is_refused(text, field, same_spelling):
    with pytest.raises(lcl.JsonError) as info:
        lcl.from_json(text)
    assert (info.value.code, info.value.field) == ("JSON", field)
    assert "duplicate key" in str(info.value)
    assert "mallory" not in str(info.value)
    if same_spelling:
        # json_format refuses these too (it lets two spellings through: the
        # last one wins, which is the ambiguity refused here).
        with pytest.raises(json_format.ParseError):
            json_format.Parse(text, lcl.LogEntry())
