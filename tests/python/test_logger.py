"""The audit logger of the Python package: AuditLogger, its sinks, policies,
operation, stats, close, the flush at exit, the logging handler, the
structlog processor and the OpenTelemetry trace context."""

import json
import logging
import re
import subprocess
import sys
import textwrap
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log import sinks

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CARD = "4111 1111 1111 1111"
VALID = {"event_type": lcl.EVENT_LOGIN, "outcome": lcl.OUTCOME_SUCCESS, "severity": lcl.SEVERITY_INFO, "actor_id": "u-42",
         "actor_type": lcl.ACTOR_TYPE_USER, "component": "auth", "resource": "accounts/u-42"}


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


class ListSink:
    """A user sink: keeps what it is given."""

    def __init__(self):
        self.entries, self.flushed, self.closed = [], 0, 0

    def write(self, entry):
        self.entries.append(entry)

    def flush(self):
        self.flushed += 1

    def close(self):
        self.closed += 1


class FailingSink:
    def write(self, entry):
        raise OSError("disk on fire")


# -- completion, redaction, the returned record --------------------------------------------------


def test_log_completes_redacts_and_returns_the_record_written(tmp_path):
    path = tmp_path / "audit.jsonl"
    with lcl.AuditLogger([sinks.JsonLines(path)], environment="staging") as audit:
        entry = audit.log(message=f"paid with {CARD}", **VALID)
    assert isinstance(entry, lcl.LogEntry)
    assert UUID7.match(entry.event_id)
    assert entry.time.seconds > 1_700_000_000
    assert entry.producer.name and entry.producer.version
    assert entry.schema_version and entry.host
    assert entry.environment == "staging"  # a default
    assert CARD not in entry.message and entry.message.startswith("paid with ")
    [written] = lines(path)
    assert written == json.loads(lcl.to_json(entry))


def test_redact_false_keeps_values_and_keyed_redaction_is_stable(tmp_path):
    kept = lcl.AuditLogger([ListSink()], redact=False)
    assert kept.log(message=CARD, **VALID).message == CARD
    keyed = lcl.AuditLogger([ListSink()], redact=b"k" * 32)
    a, b = keyed.log(message=CARD, **VALID), keyed.log(message=CARD, **VALID)
    assert CARD not in a.message and a.message == b.message


def test_event_ids_increase_within_the_process():
    audit = lcl.AuditLogger([ListSink()])
    ids = [audit.log(**VALID).event_id for _ in range(50)]
    assert ids == sorted(ids) and len(set(ids)) == 50


def test_defaults_fill_only_unset_fields_and_merge_repeated_ones():
    audit = lcl.AuditLogger([ListSink()], component="default-c", policy_tags=["SOC2"])
    entry = audit.log(policy_tags=["PCI", "SOC2"], **VALID)
    assert entry.component == "auth"
    assert list(entry.policy_tags) == ["SOC2", "PCI"]


# -- sinks ---------------------------------------------------------------------------------------


def test_every_file_sink_and_stdout(tmp_path, capfd):
    jsonl, binpb = tmp_path / "a.jsonl", tmp_path / "a.binpb"
    audit = lcl.AuditLogger([sinks.JsonLines(jsonl), sinks.Binary(binpb), sinks.Stdout()])
    first, second = audit.log(**VALID), audit.log(**VALID)
    audit.close()
    assert [e["eventId"] for e in lines(jsonl)] == [first.event_id, second.event_id]
    assert list(lcl.read_entries(binpb)) == [first, second]
    out = capfd.readouterr().out.splitlines()
    assert [json.loads(line)["eventId"] for line in out] == [first.event_id, second.event_id]


def test_rotation_keeps_every_record(tmp_path):
    path = tmp_path / "r.jsonl"
    audit = lcl.AuditLogger([sinks.JsonLines(path, rotate_bytes=600)])
    ids = [audit.log(**VALID).event_id for _ in range(10)]
    audit.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) > 1
    found = [e["eventId"] for f in files for e in lines(f)]
    assert sorted(found) == sorted(ids)


def test_ledger_sink_appends_verifiable_records(tmp_path):
    key = tmp_path / "key"
    private, _public = lcl.Ledger.keygen("test")
    key.write_text(private)
    lcl.Ledger.init(tmp_path / "ledger", key)
    audit = lcl.AuditLogger([sinks.Ledger(tmp_path / "ledger")])
    written = [audit.log(**VALID) for _ in range(3)]
    audit.close()
    ledger = lcl.Ledger(tmp_path / "ledger")
    assert [e.event_id for e in ledger.read()] == [e.event_id for e in written]


def test_otlp_sink_delivers_retries_and_counts():
    answers = [503]  # the first request is refused, to be retried
    received = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = answers.pop(0) if answers else 200
            if status == 200:
                received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        otlp = sinks.Otlp(f"http://127.0.0.1:{server.server_address[1]}", batch_size=2,
                          batch_timeout=0.05, initial_backoff=0.01, max_backoff=0.05)
        audit = lcl.AuditLogger([otlp])
        ids = [audit.log(**VALID).event_id for _ in range(3)]
        audit.close(timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    [stats] = audit.stats.sinks
    assert stats.name == f"otlp:http://127.0.0.1:{server.server_address[1]}"
    assert (stats.written, stats.dropped, stats.queued) == (3, 0, 0)
    assert stats.retried >= 1
    assert {(path, kind) for path, kind, _ in received} == {("/v1/logs", "application/x-protobuf")}
    bodies = b"".join(body for *_, body in received)
    assert all(i.encode() in bodies for i in ids)


def test_otlp_sink_counts_what_it_could_not_deliver():
    # Nothing listens on port 9 (discard) of localhost: the one attempt fails.
    audit = lcl.AuditLogger([sinks.Otlp("http://127.0.0.1:9", max_retries=0, batch_timeout=0.01)])
    audit.log(**VALID)
    audit.close(timeout=10)
    [stats] = audit.stats.sinks
    assert (stats.written, stats.dropped, stats.queued) == (0, 1, 0)


def test_sink_options_are_checked(tmp_path):
    with pytest.raises(lcl.LoggerError) as err:
        sinks.JsonLines(tmp_path / "a.jsonl", compress_rotated="bzip2")
    assert err.value.code == "CONFIG"
    with pytest.raises(lcl.LoggerError) as err:
        sinks.Otlp("http://127.0.0.1:4318", batch_timeout=-1)
    assert err.value.code == "CONFIG"
    with pytest.raises(lcl.LoggerError) as err:
        sinks.JsonLines(tmp_path)  # a directory
    assert err.value.code == "IO" and str(tmp_path) in str(err.value)


def test_user_sink_gets_log_entries_flush_and_close():
    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    entry = audit.log(**VALID)
    audit.flush()
    audit.close()
    assert sink.entries == [entry]
    assert sink.flushed >= 1 and sink.closed == 1


def test_a_sink_belongs_to_one_logger(tmp_path):
    sink = sinks.JsonLines(tmp_path / "x.jsonl")
    lcl.AuditLogger([sink])
    with pytest.raises(lcl.LoggerError) as err:
        lcl.AuditLogger([sink])
    assert err.value.code == "CONFIG"


def test_a_failing_sink_does_not_stop_the_others():
    good = ListSink()
    audit = lcl.AuditLogger([FailingSink(), good])
    with pytest.raises(lcl.LoggerError) as err:
        audit.log(**VALID)
    assert err.value.code == "SINK"
    assert "FailingSink" in err.value.sink
    assert isinstance(err.value.__cause__, OSError)
    assert len(good.entries) == 1
    assert audit.stats.sinks[0].failed == 1 and audit.stats.sinks[1].written == 1


# -- policies ------------------------------------------------------------------------------------


def test_raise_policy_writes_nothing_and_raises_validation_error():
    sink = ListSink()
    audit = lcl.AuditLogger([sink], profile="pci", on_invalid="raise")
    with pytest.raises(lcl.ValidationError) as err:
        audit.log(event_type=lcl.EVENT_LOGIN)
    assert err.value.code == "INVALID"
    assert any(v.field == "actorId" for v in err.value.violations)
    assert sink.entries == []
    assert audit.stats.invalid == 1 and audit.stats.logged == 0


def test_warn_policy_writes_and_warns():
    sink = ListSink()
    audit = lcl.AuditLogger([sink], on_invalid="warn")
    with pytest.warns(lcl.AuditWarning) as caught:
        entry = audit.log(event_type=lcl.EVENT_LOGIN)
    assert sink.entries == [entry]
    warning = caught[0].message
    assert warning.entry == entry and not warning.report.valid
    assert caught[0].filename == __file__  # points at the caller of log


def test_warn_policy_as_error_raises_after_writing():
    sink = ListSink()
    audit = lcl.AuditLogger([sink], on_invalid="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error", lcl.AuditWarning)
        with pytest.raises(lcl.AuditWarning):
            audit.log(event_type=lcl.EVENT_LOGIN)
    assert len(sink.entries) == 1


def test_quarantine_policy_writes_to_the_quarantine_sink_only():
    main, held = ListSink(), ListSink()
    audit = lcl.AuditLogger([main], on_invalid="quarantine", quarantine=held)
    entry = audit.log(event_type=lcl.EVENT_LOGIN, message=CARD)
    assert main.entries == [] and held.entries == [entry]
    assert CARD not in entry.message
    assert audit.stats.quarantined == 1


def test_production_defaults_to_quarantine_and_needs_a_quarantine_sink():
    with pytest.raises(lcl.LoggerError) as err:
        lcl.AuditLogger([ListSink()], environment="Production")
    assert err.value.code == "CONFIG"
    assert "quarantine" in str(err.value)
    held = ListSink()
    audit = lcl.AuditLogger([ListSink()], environment="prod", quarantine=held)
    audit.log(event_type=lcl.EVENT_LOGIN)
    assert len(held.entries) == 1


def test_bad_options_are_config_errors():
    with pytest.raises(lcl.LoggerError) as err:
        lcl.AuditLogger([ListSink()], on_invalid="ignore")
    assert err.value.code == "CONFIG"
    with pytest.raises(lcl.ComplianceLogError):
        lcl.AuditLogger([ListSink()], profile="nope")
    with pytest.raises(TypeError):
        lcl.AuditLogger([object()])
    with pytest.raises(ValueError):
        lcl.AuditLogger([ListSink()], no_such_field=1)


# -- operation -----------------------------------------------------------------------------------


def test_operation_records_success_and_duration():
    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    with audit.operation(lcl.EVENT_TOOL_INVOCATION, actor_id="a", resource="tools/q") as op:
        op.set(message="ran")
    [entry] = sink.entries
    assert op.entry == entry
    assert entry.event_type == lcl.EVENT_TOOL_INVOCATION and entry.outcome == lcl.OUTCOME_SUCCESS
    assert entry.resource == "tools/q" and entry.message == "ran"
    assert entry.duration_ms >= 0


def test_operation_records_the_exception_and_reraises():
    sink = ListSink()
    audit = lcl.AuditLogger([sink])

    class QuotaExceeded(RuntimeError):
        pass

    with pytest.raises(QuotaExceeded):
        with audit.operation(lcl.EVENT_TOOL_INVOCATION, actor_id="a", resource="tools/q"):
            raise QuotaExceeded("over quota")
    [entry] = sink.entries
    assert entry.outcome == lcl.OUTCOME_FAILURE_ERROR
    assert entry.error_code == "QuotaExceeded" and entry.error_message == "over quota"


def test_operation_fail_without_exception():
    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    with audit.operation(lcl.EVENT_TOOL_INVOCATION, actor_id="a") as op:
        op.fail("NOT_FOUND", "no such tool")
    assert sink.entries[0].outcome == lcl.OUTCOME_FAILURE_ERROR
    assert sink.entries[0].error_code == "NOT_FOUND"


# -- stats, close, exit --------------------------------------------------------------------------


def test_stats_count_per_sink(tmp_path):
    audit = lcl.AuditLogger([sinks.JsonLines(tmp_path / "a.jsonl"), ListSink()], on_invalid="warn")
    audit.log(**VALID)
    with pytest.warns(lcl.AuditWarning):
        audit.log(event_type=lcl.EVENT_LOGIN)
    stats = audit.stats
    assert (stats.logged, stats.invalid, stats.quarantined) == (2, 1, 0)
    jsonl = stats[f"jsonl:{tmp_path / 'a.jsonl'}"]
    assert (jsonl.written, jsonl.failed, jsonl.dropped) == (2, 0, 0)
    assert [s.written for s in stats] == [2, 2]


def test_close_is_idempotent_and_log_after_close_raises(tmp_path):
    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    audit.close()
    audit.close()
    assert audit.closed and sink.closed == 1
    with pytest.raises(lcl.LoggerError) as err:
        audit.log(**VALID)
    assert err.value.code == "CLOSED" and err.value.sink is None


def test_open_loggers_are_closed_at_interpreter_exit(tmp_path):
    marker = tmp_path / "closed"
    code = textwrap.dedent(f"""
        import lokryn_compliance_log as lcl
        from lokryn_compliance_log import sinks

        class Sink:
            def write(self, entry):
                pass
            def close(self):
                open({str(marker)!r}, "w").write("closed")

        audit = lcl.AuditLogger([Sink(), sinks.JsonLines({str(tmp_path / "a.jsonl")!r})])
        audit.log(event_type=lcl.EVENT_LOGIN, actor_id="u", outcome=lcl.OUTCOME_SUCCESS, severity=lcl.SEVERITY_INFO)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "closed"
    assert len(lines(tmp_path / "a.jsonl")) == 1


# -- errors --------------------------------------------------------------------------------------


def test_logger_error_is_a_compliance_log_error():
    assert issubclass(lcl.LoggerError, lcl.ComplianceLogError)
    assert issubclass(lcl.AuditWarning, UserWarning)
    audit = lcl.AuditLogger([FailingSink()])
    with pytest.raises(lcl.ComplianceLogError) as err:
        audit.log(**VALID)
    assert err.value.code == "SINK"
    assert "disk on fire" in str(err.value)
    assert (err.value.index, err.value.offset, err.value.field) == (None, None, None)


# -- logging, structlog, OpenTelemetry -----------------------------------------------------------


def test_logging_handler_maps_extra_level_and_exceptions():
    from lokryn_compliance_log.logging import AuditHandler

    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    log = logging.getLogger("test.audit.handler")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    handler = AuditHandler(audit, event_type=lcl.EVENT_RESOURCE_ACCESS)
    log.addHandler(handler)
    try:
        log.warning("refused %s", "u-42", extra={"event_type": lcl.EVENT_LOGIN, "actor_id": "u-42",
                                                 "outcome": lcl.OUTCOME_FAILURE_DENIED, "not_a_field": 1})
        try:
            raise KeyError("k")
        except KeyError:
            log.exception("lookup failed", extra={"actor_id": "svc"})
    finally:
        log.removeHandler(handler)
    first, second = sink.entries
    assert first.event_type == lcl.EVENT_LOGIN and first.actor_id == "u-42"
    assert first.outcome == lcl.OUTCOME_FAILURE_DENIED
    assert first.message == "refused u-42" and first.severity == lcl.SEVERITY_WARNING
    assert json.loads(first.payload) == {"not_a_field": 1}  # kept, not lost
    assert first.payload_format == lcl.PAYLOAD_FORMAT_JSON
    assert second.payload == b""
    assert second.event_type == lcl.EVENT_RESOURCE_ACCESS  # the handler's default
    assert second.severity == lcl.SEVERITY_ERROR
    assert second.error_code == "KeyError" and second.error_message == "'k'"
    assert second.outcome == lcl.OUTCOME_FAILURE_ERROR


def test_logging_handler_reports_refused_records(capsys):
    from lokryn_compliance_log.logging import AuditHandler, severity_of_level

    assert severity_of_level(logging.DEBUG) == lcl.SEVERITY_DEBUG
    assert severity_of_level(logging.INFO + 5) == lcl.SEVERITY_INFO
    assert severity_of_level(logging.CRITICAL) == lcl.SEVERITY_CRITICAL
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    audit = lcl.AuditLogger([ListSink()], profile="pci")
    AuditHandler(audit).handle(record)  # invalid under pci: reported on stderr
    assert "ValidationError" in capsys.readouterr().err
    with pytest.raises(lcl.ValidationError):
        AuditHandler(audit, raise_errors=True).handle(record)


def test_structlog_processor_audits_events_and_passes_them_on():
    structlog = pytest.importorskip("structlog")
    from lokryn_compliance_log.structlog import AuditProcessor

    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    rendered = []
    log = structlog.wrap_logger(
        structlog.ReturnLogger(),
        processors=[AuditProcessor(audit), structlog.processors.JSONRenderer()],
    )
    rendered.append(log.warning("exported", event_type=lcl.EVENT_DATA_EXPORT, actor_id="u-42",
                                outcome=lcl.OUTCOME_SUCCESS, rows=12))
    [entry] = sink.entries
    assert entry.event_type == lcl.EVENT_DATA_EXPORT and entry.actor_id == "u-42"
    assert entry.message == "exported" and entry.severity == lcl.SEVERITY_WARNING
    assert json.loads(rendered[0])["rows"] == 12  # the event went on unchanged
    assert json.loads(entry.payload) == {"rows": 12}
    dropping = structlog.wrap_logger(
        structlog.ReturnLogger(),
        processors=[AuditProcessor(audit, event_type=lcl.EVENT_LOGIN, drop=True), lambda *a: pytest.fail()],
    )
    try:
        raise ValueError("bad")
    except ValueError:
        dropping.error("failed", actor_id="u", exc_info=True)
    assert sink.entries[1].event_type == lcl.EVENT_LOGIN
    assert sink.entries[1].error_code == "ValueError" and sink.entries[1].severity == lcl.SEVERITY_ERROR


def test_open_telemetry_span_gives_trace_and_span_ids():
    pytest.importorskip("opentelemetry.sdk.trace")
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    audit = lcl.AuditLogger([ListSink()])
    assert audit.log(**VALID).trace_id == ""  # no span
    with tracer.start_as_current_span("outer") as outer:
        with tracer.start_as_current_span("inner") as inner:
            entry = audit.log(**VALID)
            given = audit.log(trace_id="ab" * 16, span_id="cd" * 8, **VALID)
            own_trace = audit.log(trace_id="ab" * 16, **VALID)  # a trace of its own: nothing mixed in
    assert entry.trace_id == format(inner.get_span_context().trace_id, "032x")
    assert entry.span_id == format(inner.get_span_context().span_id, "016x")
    assert entry.parent_span_id == format(outer.get_span_context().span_id, "016x")
    assert (given.trace_id, given.span_id) == ("ab" * 16, "cd" * 8)
    assert (own_trace.trace_id, own_trace.span_id, own_trace.parent_span_id) == ("ab" * 16, "", "")
    chosen = lcl.AuditLogger([ListSink()], trace_id="ef" * 16)  # a default the user chose wins
    with tracer.start_as_current_span("span"):
        assert (chosen.log(**VALID).trace_id, chosen.log(**VALID).span_id) == ("ef" * 16, "")


def test_an_operation_never_finished_is_logged_as_unfinished():
    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    op = audit.operation(lcl.EVENT_TOOL_INVOCATION, actor_id="a")
    op.__enter__()  # entered, never exited: the process lost track of it
    del op
    import gc

    gc.collect()
    [entry] = sink.entries
    assert entry.outcome == lcl.OUTCOME_FAILURE_ERROR and entry.error_code == "UNFINISHED"


def test_threads_log_concurrently_without_losing_or_tearing_records(tmp_path):
    path = tmp_path / "threads.jsonl"
    audit = lcl.AuditLogger([sinks.JsonLines(path), ListSink()])

    def work(n):
        for i in range(200):
            audit.log(request_id=f"{n}-{i}", **VALID)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    audit.close()
    records = lines(path)  # every line parses
    assert sorted(r["requestId"] for r in records) == sorted(f"{n}-{i}" for n in range(4) for i in range(200))
    assert len({r["eventId"] for r in records}) == 800
    assert audit.stats.logged == 800 and [s.written for s in audit.stats] == [800, 800]


def test_handler_flush_after_the_logger_closed_does_nothing():
    from lokryn_compliance_log.logging import AuditHandler

    sink = ListSink()
    audit = lcl.AuditLogger([sink])
    handler = AuditHandler(audit)
    handler.flush()
    assert sink.flushed == 1
    audit.close()
    handler.flush()  # as logging.shutdown() does at exit
    assert sink.flushed == 1


def test_a_bad_argument_leaves_the_sinks_usable(tmp_path):
    sink = sinks.JsonLines(tmp_path / "a.jsonl")
    with pytest.raises(TypeError):
        lcl.AuditLogger([sink, object()])
    with pytest.raises(lcl.LoggerError):
        lcl.AuditLogger([sink], on_invalid="sometimes")
    audit = lcl.AuditLogger([sink])  # still free
    audit.log(**VALID)
    audit.close()
    assert len(lines(tmp_path / "a.jsonl")) == 1
