"""Per-entry cost of google.protobuf (upb) on the benchmark entry: the peer a
Python user has today. Prints one JSON object per measurement (median of
repeated timings, in nanoseconds per entry). Run by `cargo xtask bench`.

The schema is loaded from the descriptor set the Rust core embeds, so the
message class is exactly the one every other package uses."""

import json
import statistics
import sys
import timeit
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

ROOT = Path(__file__).resolve().parents[1]
DESCRIPTOR_SET = ROOT / "crates/lokryn-compliance-log/src/generated/descriptor_set.binpb"
ENTRY = ROOT / "crates/lokryn-compliance-log/benches/entry.json"


def log_entry_class():
    fds = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("lokryn.compliancelog.v1.LogEntry"))


def median_ns(fn, number):
    runs = timeit.repeat(fn, number=number, repeat=7)
    return statistics.median(runs) / number * 1e9


def main():
    LogEntry = log_entry_class()
    msg = json_format.Parse(ENTRY.read_text(), LogEntry())
    data = msg.SerializeToString()
    text = json_format.MessageToJson(msg)
    from google.protobuf.internal import api_implementation

    impl = api_implementation.Type()
    import google.protobuf

    label = f"google.protobuf {google.protobuf.__version__} ({impl})"
    results = {
        "encode": median_ns(msg.SerializeToString, 20000),
        "decode": median_ns(lambda: LogEntry.FromString(data), 20000),
        "to_json": median_ns(lambda: json_format.MessageToJson(msg), 2000),
        "from_json": median_ns(lambda: json_format.Parse(text, LogEntry()), 2000),
    }
    for op, ns in results.items():
        print(json.dumps({"group": op, "name": f"{label}", "median_ns": ns, "bytes": len(data)}))


if __name__ == "__main__":
    sys.exit(main())
