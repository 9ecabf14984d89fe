"""The tamper-evident ledger from Python: append, verify, prove, check, read."""

import json

import pytest

import lokryn_compliance_log as lcl


def _entry(i):
    return lcl.LogEntry(
        event_type=lcl.EVENT_LOGIN,
        outcome=lcl.OUTCOME_SUCCESS if i % 2 else lcl.OUTCOME_FAILURE_DENIED,
        severity=lcl.SEVERITY_INFO,
        actor_id=f"user-{i % 3}",
        component="auth",
        resource=f"apps/{i}",
        event_id=f"019ac9f4-5e21-7a03-9c11-{i:012x}",
    )


@pytest.fixture()
def ledger(tmp_path):
    private, public = lcl.Ledger.keygen("example.com/audit")
    (tmp_path / "audit.key").write_text(private + "\n")
    led = lcl.Ledger.init(tmp_path / "L", tmp_path / "audit.key")
    return led, public, tmp_path


def test_append_verify_prove_and_check(ledger):
    led, public, _ = ledger
    assert led.append([_entry(i) for i in range(5)]) == range(0, 5)
    assert led.append([_entry(5).SerializeToString()]) == range(5, 6)
    assert led.size == 6
    report = led.verify(public)
    assert report["size"] == 6
    proof = led.prove(3)
    checked = lcl.Ledger.check_proof(proof, [led.checkpoint()], public, _entry(3))
    assert checked["index"] == 3 and checked["entry_checked"]
    with pytest.raises(lcl.LedgerError) as err:
        lcl.Ledger.check_proof(proof, [led.checkpoint()], public, _entry(4))
    assert err.value.code == "ENTRY_MISMATCH"
    old = led.checkpoint()
    led.append([_entry(6)])
    consistency = led.prove_consistency(6)
    assert json.loads(consistency)["size2"] == 7
    lcl.Ledger.check_proof(consistency, [old, led.checkpoint()], public)


def test_read_filters_and_gives_messages(ledger):
    led, _, _ = ledger
    led.append([_entry(i) for i in range(9)])
    got = led.read(actor="user-1", outcome=lcl.OUTCOME_SUCCESS)
    assert [e.resource for e in got] == ["apps/1", "apps/7"]
    assert isinstance(got[0], lcl.LogEntry)


def test_tampering_is_located_and_a_second_writer_refused(ledger):
    led, public, tmp = ledger
    led.append([_entry(i) for i in range(4)])
    with pytest.raises(lcl.LedgerError) as err:
        lcl.Ledger(tmp / "L").append([_entry(4)])
    assert err.value.code == "LOCKED"
    led.close()
    data = tmp / "L" / "entries.ldpb"
    raw = bytearray(data.read_bytes())
    raw[-3] ^= 1
    data.write_bytes(bytes(raw))
    with pytest.raises(lcl.LedgerError) as err:
        led.verify(public)
    assert err.value.code == "TAMPERED"
    assert err.value.index == 3


def test_invalid_entries_are_refused(ledger):
    led, _, _ = ledger
    bad = _entry(0)
    bad.actor_id = ""
    with pytest.raises(lcl.LedgerError) as err:
        led.append([bad])
    assert err.value.code == "INVALID"
    assert led.size == 0
