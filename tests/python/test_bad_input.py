"""Bad input raises a clear Python exception; nothing crashes or panics."""

import random

import pytest

import lokryn_compliance_log as lcl
from entries import full_entry

FUNCTIONS = [lcl.to_json, lcl.check, lcl.is_valid, lcl.validate]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("value", [None, 5, 1.5, "text", ["list"], {"a": 1}, object()])
def test_wrong_types_raise_type_error(fn, value):
    with pytest.raises(TypeError, match="expected a lokryn.compliancelog.v1.LogEntry message or its serialized bytes, got"):
        fn(value)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_another_message_type_is_named(fn):
    with pytest.raises(TypeError, match="got a lokryn.compliancelog.v1.Producer message"):
        fn(lcl.Producer(name="x"))


def test_missing_and_extra_arguments():
    with pytest.raises(TypeError):
        lcl.to_json()
    with pytest.raises(TypeError):
        lcl.validate(full_entry(), "baseline")  # profile is keyword-only
    with pytest.raises(TypeError):
        lcl.from_json(5)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("data", [b"\xff", b"\x08", b"\x0a\x05ab", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
                                  b"\x07", b"\x62\x03\x08\x80"])
def test_garbage_and_truncated_bytes_raise_decode_error(fn, data):
    with pytest.raises(lcl.DecodeError) as info:
        fn(data)
    assert isinstance(info.value, ValueError)
    assert info.value.code == "DECODE"
    assert str(info.value).startswith("invalid protobuf")


def test_truncated_real_entries():
    data = full_entry().SerializeToString()
    for cut in range(1, len(data)):
        try:
            lcl.to_json(data[:cut])
        except lcl.DecodeError:
            pass


def test_random_bytes_never_crash():
    rng = random.Random(1)
    for _ in range(3000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        for fn in (lcl.to_json, lcl.check):
            try:
                fn(data)
            except lcl.DecodeError:
                pass
        try:
            list(lcl.read_entries(data))
        except lcl.DecodeError:
            pass


def test_non_utf8_strings_on_the_wire_name_the_field():
    # Field 4 (actor_id), length 2, bytes that are not UTF-8.
    with pytest.raises(lcl.DecodeError, match="actor_id"):
        lcl.to_json(b"\x22\x02\xc3\x28")
    with pytest.raises(lcl.DecodeError, match="reason"):
        # delegation_chain[0].reason
        lcl.check(b"\x7a\x04\x22\x02\xff\xfe")


def test_lone_surrogates_in_python_strings():
    with pytest.raises((ValueError, UnicodeError)):
        lcl.LogEntry(actor_id="\ud800").SerializeToString()
    with pytest.raises(UnicodeError):
        lcl.from_json('{"actorId": "\ud800"}')


def test_out_of_range_enum_numbers():
    entry = lcl.LogEntry(event_type=2**31 - 1, outcome=-(2**31), severity=1, actor_id="a")
    report = lcl.check(entry)
    assert [v.field for v in report.errors] == ["eventType", "outcome"]
    with pytest.raises(ValueError):
        lcl.LogEntry(event_type=2**31)
    with pytest.raises(lcl.JsonError, match="eventType"):
        lcl.from_json('{"eventType": 2147483648}')
    with pytest.raises(lcl.JsonError, match="eventType"):
        lcl.from_json('{"eventType": "EVENT_NOPE"}')


def test_a_huge_input_is_refused_without_reading_it():
    huge = b"\x42" + b"\xff\xff\xff\x03" + b"\x00" * (8 << 20)  # message = 8 MiB of bytes
    with pytest.raises(lcl.DecodeError) as info:
        lcl.to_json(huge)
    assert info.value.code == "TOO_LARGE"
    assert "over the limit" in str(info.value)
    with pytest.raises(lcl.JsonError) as info:
        lcl.from_json('{"actorId": "' + "x" * (17 << 20) + '"}')
    assert info.value.code == "TOO_LARGE"


def test_deep_or_odd_json_is_an_error_not_a_crash():
    for text in ["[" * 100_000, '{"delegationChain": ' + "[" * 10_000, "null", "[]", '"x"', "1",
                 '{"time": "not a time"}', '{"payload": "***"}', '{"durationMs": "1e400"}', "{" * 5000]:
        with pytest.raises(lcl.JsonError):
            lcl.from_json(text)
