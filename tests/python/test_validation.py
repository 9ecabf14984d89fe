"""Validation: structured reports, ValidationError, batches."""

import pytest

import lokryn_compliance_log as lcl
from entries import full_entry


def test_a_good_entry_is_valid():
    entry = full_entry()
    report = lcl.validate(entry)
    assert report.valid and report.violations == () and lcl.is_valid(entry)
    assert lcl.check(entry.SerializeToString()) == report


def test_validation_error_is_a_value_error_with_typed_violations():
    entry = lcl.LogEntry(event_type=999, delegation_chain=[lcl.DelegationLink(actor_type=42)])
    with pytest.raises(lcl.ValidationError) as info:
        lcl.validate(entry)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, lcl.ComplianceLogError)
    assert err.code == "INVALID"  # the core's one code for "not valid", as in JavaScript
    assert str(err).startswith("the record is not valid (6 errors): eventType: ")
    fields = [(v.field, v.rule_id, v.level) for v in err.violations]
    assert fields == [
        ("eventType", "enum.defined_only", "error"),
        ("outcome", "enum.not_unspecified", "error"),
        ("severity", "enum.not_unspecified", "error"),
        ("actorId", "required", "error"),
        ("time", "required", "warning"),
        ("delegationChain[0].actorId", "required", "error"),
        ("delegationChain[0].actorType", "enum.defined_only", "error"),
    ]
    actor = err.violations[3]
    assert isinstance(actor, lcl.Violation)
    assert actor.clauses == ("PCI DSS v4.0 10.2.2", "HIPAA 164.312(b)", "SOC 2 CC6.1")
    assert "actorId" in actor.message
    assert err.report.violations == err.violations and not err.report.valid
    assert [v.field for v in err.report.errors] == ["eventType", "outcome", "severity", "actorId",
                                                    "delegationChain[0].actorId",
                                                    "delegationChain[0].actorType"]
    assert [v.field for v in err.report.warnings] == ["time"]
    # The message names every error field.
    for v in err.report.errors:
        assert v.field in str(err)
    assert "actorId" in repr(actor) and "actorId" in str(actor)


def test_messages_never_repeat_the_value():
    entry = full_entry()
    entry.event_type = 31337
    entry.actor_id = ""
    report = lcl.check(entry)
    assert not report.valid
    for v in report.violations:
        assert "agent-001" not in v.message


def test_warnings_do_not_raise():
    entry = full_entry()
    entry.ClearField("time")
    report = lcl.validate(entry)
    assert report.valid and [(v.field, v.rule_id) for v in report.warnings] == [("time", "required")]


def test_check_and_validate_agree_on_messages_and_bytes():
    entries = [full_entry(), lcl.LogEntry(), lcl.LogEntry(event_type=1, outcome=1, severity=1, actor_id=" ")]
    for e in entries:
        data = e.SerializeToString()
        assert lcl.check(e) == lcl.check(data) == lcl.check(bytearray(data))
        assert lcl.is_valid(e) == lcl.check(e).valid


def test_check_many_is_check_per_entry():
    entries = [full_entry(), lcl.LogEntry(), lcl.LogEntry(actor_id="x", event_type=77)] * 10
    mixed = [e if i % 3 else e.SerializeToString() for i, e in enumerate(entries)]
    assert lcl.check_many(mixed) == [lcl.check(e) for e in entries]
    assert lcl.check_many(x for x in mixed) == [lcl.check(e) for e in entries]
    assert lcl.check_many([]) == []


def test_check_many_reports_an_undecodable_entry_and_judges_the_rest():
    good = full_entry().SerializeToString()
    bad = lcl.LogEntry(actor_id="x").SerializeToString()
    reports = lcl.check_many([good, b"\xff\xff\xff", bad, b"\x0a\x05ab", good])
    assert len(reports) == 5
    assert [r.valid for r in reports] == [True, False, False, False, True]
    assert [r.error is None for r in reports] == [True, False, True, False, True]
    assert reports[2] == lcl.check(bad) and reports[2].violations
    for index in (1, 3):
        err = reports[index].error
        assert isinstance(err, lcl.DecodeError)
        assert (err.code, err.index) == ("DECODE", index)
        assert str(err).startswith(f"entry {index}: ")
        assert reports[index].violations == () and reports[index].findings == ()
        assert "error=DecodeError" in repr(reports[index])
    # Over the limit is unreadable too, unless the limit is raised.
    big = lcl.LogEntry(event_type=1, outcome=1, severity=1, actor_id="a", message="x" * 300).SerializeToString()
    assert lcl.check_many([big, good], max_entry_bytes=200)[0].error.code == "TOO_LARGE"
    assert lcl.check_many([big, good], max_entry_bytes=400)[0].error is None
    # An argument that is not an entry at all is still a TypeError.
    with pytest.raises(TypeError, match="entry 1: expected a lokryn.compliancelog.v1.LogEntry"):
        lcl.check_many([good, 5])


def test_every_validating_call_takes_a_larger_limit():
    entry = full_entry()
    entry.message = "m" * 5000
    data = entry.SerializeToString()
    for call in (lcl.check, lcl.validate, lcl.is_valid):
        with pytest.raises(lcl.DecodeError) as info:
            call(data, max_entry_bytes=1000)
        assert info.value.code == "TOO_LARGE"
        assert call(data, max_entry_bytes=len(data))
    with pytest.raises(ValueError, match="max_entry_bytes must be positive"):
        lcl.check(data, max_entry_bytes=0)


def test_reports_are_immutable():
    report = lcl.check(lcl.LogEntry())
    with pytest.raises(AttributeError):
        report.valid = True
    with pytest.raises(AttributeError):
        report.violations[0].field = "x"


def test_fields_the_schema_does_not_define_are_warned_about():
    data = full_entry().SerializeToString() + b"\xf8\x06\x01"  # field 111, varint 1
    report = lcl.check(data)
    assert report.valid
    assert [(v.field, v.rule_id, v.level) for v in report.warnings] == [("", "unknown_field", "warning")]
    assert "111" in report.warnings[0].message
    # A message that carries the unknown field serializes it, and gets the same report.
    assert lcl.check(lcl.LogEntry.FromString(data)) == report
    assert lcl.check_many([data]) == [report]


def test_report_objects_have_the_fields_of_the_report_schema():
    """The report's shape is declared once, in report.proto; the Python
    objects carry every field of its messages, under their names."""
    from lokryn_compliance_log.v1 import report_pb2

    entry = lcl.LogEntry(message="card 4111 1111 1111 1111", actor_id="a")
    report = lcl.check(entry, profile="pci")
    unreadable = lcl.check_many([b"\xff"])[0]
    for cls, obj in [
        (report_pb2.ValidationReport, report),
        (report_pb2.Violation, report.violations[0]),
        (report_pb2.Finding, report.findings[0]),
    ]:
        for field in cls.DESCRIPTOR.fields:
            assert hasattr(obj, field.name), (cls.DESCRIPTOR.name, field.name)
    # An EntryError is the exception itself: its code, and its message as str().
    assert [f.name for f in report_pb2.EntryError.DESCRIPTOR.fields] == ["code", "message"]
    assert unreadable.error.code == "DECODE" and str(unreadable.error)
    assert lcl.ValidationReport is not report_pb2.ValidationReport
