"""The Python round-trip program of the cross-language tests (`cargo xtask test`).

It checks the buf-generated Python code (protoc's python plugin, the plain
protobuf runtime, json_format; not this project's wheel) against the golden
vectors: for every vector it decodes the binary, compares json_format's
output with the golden JSON as a JSON value, re-encodes the message byte for
byte, and parses both the golden JSON and json_format's own output back to the
same bytes.

Usage: python roundtrip.py VECTORS_DIR (the directory holding manifest.json),
with the generated code on PYTHONPATH.
"""

import json
import sys
from pathlib import Path

import google.protobuf
from google.protobuf import json_format
from google.protobuf.internal import api_implementation

from lokryn.compliancelog.v1 import logentry_pb2


def check(binary, golden):
    """Runs every comparison on one vector and returns what did not match."""
    errors = []
    try:
        msg = logentry_pb2.LogEntry.FromString(binary)
        written = json_format.MessageToJson(msg)
    except Exception as e:  # noqa: BLE001 - any failure is a reported mismatch
        return [f"decoding the binary and printing it as JSON: {e!r}"]
    # json.loads compares values: member order and whitespace do not matter,
    # and numbers compare as numbers (1e21 == 1E+21).
    if json.loads(written) != json.loads(golden):
        errors.append(f"json_format output differs from the golden JSON\n  got:  {written}\n  want: {golden}")
    same_bytes(errors, "re-encoding the decoded message", msg.SerializeToString(), binary)
    for what, text in (("the golden JSON", golden), ("json_format's own output", written)):
        try:
            parsed = json_format.Parse(text, logentry_pb2.LogEntry())
        except Exception as e:  # noqa: BLE001
            errors.append(f"parsing {what}: {e!r}")
            continue
        same_bytes(errors, f"encoding {what}", parsed.SerializeToString(), binary)
    return errors


def same_bytes(errors, what, got, want):
    if got == want:
        return
    i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    errors.append(
        f"{what}: {len(got)} bytes, want {len(want)}; first difference at byte {i}\n"
        f"  got:  {got.hex()}\n  want: {want.hex()}"
    )


def main(argv):
    if len(argv) != 2:
        print("usage: roundtrip.py VECTORS_DIR", file=sys.stderr)
        return 2
    root = Path(argv[1])
    vectors = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["vectors"]
    if not vectors:
        print(f"roundtrip.py: {root}/manifest.json lists no vectors", file=sys.stderr)
        return 2
    passed = failed = 0
    for v in vectors:
        errors = check((root / v["binary"]).read_bytes(), (root / v["json"]).read_text(encoding="utf-8"))
        if errors:
            failed += 1
            for error in errors:
                print(f"FAIL {v['name']}: {error}", file=sys.stderr)
        else:
            passed += 1
    print(f"protobuf {google.protobuf.__version__} ({api_implementation.Type()} backend)")
    print(f"python: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
