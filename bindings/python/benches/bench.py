"""Benchmarks of the Python package against google.protobuf, in one run.

    python bindings/python/benches/bench.py [--quick] [--wall]

Needs the wheel installed (``cargo xtask test`` builds and installs it in its
venv; any ``pip install`` of the wheel does). Prints a Markdown table of
medians and the ratios recorded in docs/performance.md. Not a test: timings
depend on the machine, so nothing here asserts a speed.
"""

import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import google.protobuf
from google.protobuf import json_format
from google.protobuf.internal import api_implementation
from google.protobuf.internal.decoder import _DecodeVarint
from google.protobuf.internal.encoder import _VarintBytes

import lokryn_compliance_log as lcl

ROOT = Path(__file__).resolve().parents[3]
QUICK = "--quick" in sys.argv
REPEATS = 3 if QUICK else 7
# CPU time of this (single-threaded) process: what each operation costs on one
# core, steady even when other work shares the machine. --wall for wall time.
CLOCK = time.perf_counter if "--wall" in sys.argv else time.process_time


ENTRY_JSON = Path(__file__).resolve().parents[3] / "crates/lokryn-compliance-log/benches/entry.json"


def entry():
    """The entry every benchmark of the project uses (crates/lokryn-compliance-log/benches/entry.json)."""
    return json_format.Parse(ENTRY_JSON.read_text(), lcl.LogEntry())


def per_call(fn, number):
    """Seconds per call: the best of REPEATS runs of `number` calls (the least disturbed by other load)."""
    runs = []
    for _ in range(REPEATS):
        start = CLOCK()
        for _ in range(number):
            fn()
        runs.append((CLOCK() - start) / number)
    return min(runs)


def once(fn):
    """Seconds of one call of fn (a whole batch): the best of REPEATS runs."""
    runs = []
    for _ in range(REPEATS):
        start = CLOCK()
        fn()
        runs.append(CLOCK() - start)
    return min(runs)


def python_write(path, blobs):
    with open(path, "wb") as f:
        for b in blobs:
            f.write(_VarintBytes(len(b)))
            f.write(b)


def python_read(path, cls):
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, 0
    while pos < len(data):
        size, pos = _DecodeVarint(data, pos)
        cls.FromString(data[pos:pos + size])
        pos += size
        out += 1
    return out


def python_read_streaming(path, cls):
    """The fair pure-Python counterpart of a lazy reader: buffered, entry by entry."""
    n = 0
    with open(path, "rb", buffering=64 * 1024) as f:
        while True:
            shift = size = 0
            while True:
                b = f.read(1)
                if not b:
                    return n
                size |= (b[0] & 0x7F) << shift
                shift += 7
                if not b[0] & 0x80:
                    break
            cls.FromString(f.read(size))
            n += 1


def main():
    e = entry()
    data = e.SerializeToString()
    assert json.loads(lcl.to_json(e)) == json.loads(json_format.MessageToJson(e)), "same JSON value"
    n = 2_000 if QUICK else 20_000
    batch = 100_000 if QUICK else 1_000_000
    rows = []

    def row(name, seconds, baseline=None, note=""):
        ratio = f"{baseline / seconds:.1f}x" if baseline else ""
        rows.append((name, seconds * 1e6, ratio, note))

    t_mtj = per_call(lambda: json_format.MessageToJson(e), n // 10)
    row("json_format.MessageToJson(entry)", t_mtj, note="baseline")
    row("to_json(entry)", per_call(lambda: lcl.to_json(e), n), t_mtj, "vs MessageToJson")
    row("to_json(bytes)", per_call(lambda: lcl.to_json(data), n), t_mtj, "vs MessageToJson")
    many = [data] * 10_000
    row("to_json_many(10k bytes), per entry", once(lambda: lcl.to_json_many(many)) / len(many), t_mtj,
        "vs MessageToJson")
    text = json_format.MessageToJson(e)
    t_parse = per_call(lambda: json_format.Parse(text, lcl.LogEntry()), n // 10)
    row("json_format.Parse(text, LogEntry())", t_parse, note="baseline")
    row("from_json(text)", per_call(lambda: lcl.from_json(text), n), t_parse, "vs Parse")

    t_ser = per_call(e.SerializeToString, n)
    t_fs = per_call(lambda: lcl.LogEntry.FromString(data), n)
    row("google.protobuf SerializeToString()", t_ser, note="reference")
    row("google.protobuf LogEntry.FromString()", t_fs, note="reference")

    t_check = per_call(lambda: lcl.check(data), n)
    row("check(bytes)", t_check)
    row("check(entry)", per_call(lambda: lcl.check(e), n))
    row("is_valid(bytes)", per_call(lambda: lcl.is_valid(data), n))
    blobs = [data] * batch
    t_many = once(lambda: lcl.check_many(blobs)) / batch
    row(f"check_many({batch:,} bytes), per entry", t_many, t_check, f"vs check(bytes); {1 / t_many / 1e6:.2f} M entries/s")
    messages = [e] * (batch // 10)
    t_many_msg = once(lambda: lcl.check_many(messages)) / len(messages)
    row(f"check_many({len(messages):,} messages), per entry", t_many_msg, note=f"{1 / t_many_msg / 1e6:.2f} M entries/s")

    # Validation under the compliance profiles, detection and redaction, next
    # to protovalidate (the peer a Python user would pick) on rules equivalent
    # to baseline: benches/protovalidate_peer.py builds that schema.
    row("check(bytes, profile='pci') (with scan)", per_call(lambda: lcl.check(data, profile="pci"), n))
    row("check(bytes, profile=['soc2', 'hipaa', 'pci'])",
        per_call(lambda: lcl.check(data, profile=["soc2", "hipaa", "pci"]), n))
    row("find_sensitive(bytes)", per_call(lambda: lcl.find_sensitive(data), n))
    row("redact(entry)", per_call(lambda: lcl.redact(e), n))
    try:
        sys.path.insert(0, str(ROOT / "benches"))
        import protovalidate
        import protovalidate_peer as peer
    except ImportError as err:
        print(f"protovalidate rows skipped: {err}", file=sys.stderr)
    else:
        peer_cls = peer.log_entry_class(peer.descriptor_set())
        peer_msg = peer_cls.FromString(data)
        validator = protovalidate.Validator()
        assert validator.collect_violations(peer_msg) == []
        t_pv = per_call(lambda: validator.validate(peer_msg), n)
        row("protovalidate Validator.validate(message), baseline rules", t_pv, note="peer")
        row("check(bytes) vs protovalidate", t_check, t_pv, "vs protovalidate (validate only)")
        t_pv_decode = per_call(lambda: validator.validate(peer_cls.FromString(data)), n)
        row("protovalidate: FromString + validate", t_pv_decode, note="peer, bytes in")
        row("check(bytes) vs protovalidate from bytes", t_check, t_pv_decode, "vs FromString + validate")

    file_n = 20_000 if QUICK else 200_000
    entries = [e] * file_n
    blob_list = [data] * file_n
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audit.binpb")
        t_pw = once(lambda: python_write(path, [x.SerializeToString() for x in entries])) / file_n
        row("pure-Python write (SerializeToString + varint), per entry", t_pw, note="baseline")
        t_w = once(lambda: lcl.write_entries(path, entries)) / file_n
        row("write_entries(messages), per entry", t_w, t_pw, "vs pure-Python write")
        t_wb = once(lambda: lcl.write_entries(path, blob_list)) / file_n
        row("write_entries(bytes), per entry", t_wb, t_pw, "vs pure-Python write")
        t_pr = once(lambda: python_read_streaming(path, lcl.LogEntry)) / file_n
        row("pure-Python streaming read (FromString), per entry", t_pr, note="baseline")
        t_prw = once(lambda: python_read(path, lcl.LogEntry)) / file_n
        row("pure-Python read of the whole file in memory, per entry", t_prw, t_pr, "vs streaming baseline")
        t_r = once(lambda: sum(1 for _ in lcl.read_entries(path))) / file_n
        row("read_entries(path) -> LogEntry, per entry", t_r, t_pr, "vs pure-Python streaming read")
        t_rr = once(lambda: sum(1 for _ in lcl.read_entries(path, raw=True))) / file_n
        row("read_entries(path, raw=True) -> bytes, per entry", t_rr, t_pr, "vs pure-Python streaming read")

    print(f"lokryn-compliance-log {lcl.__version__}; protobuf {google.protobuf.__version__} "
          f"({api_implementation.Type()}); Python {platform.python_version()}; {platform.machine()}; "
          f"entry of {len(data)} bytes; best of {REPEATS} runs; "
          f"{'wall' if CLOCK is time.perf_counter else 'CPU'} time; load average {os.getloadavg()[0]:.1f}\n")
    print("| operation | µs per entry | speed-up | note |")
    print("|---|---:|---:|---|")
    for name, us, ratio, note in rows:
        print(f"| {name} | {us:.3f} | {ratio} | {note} |")


if __name__ == "__main__":
    main()
