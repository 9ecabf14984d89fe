"""The peers of the export benchmark (crates/lokryn-export/benches/export.rs):
what a Python exporter would use to produce the same output.

* OCSF: pydantic-ocsf 3.0.0 building the same OCSF 1.7.0 event from a dict
  (its class model validates it) and writing it as JSON.
* OTLP: the opentelemetry-proto package building the same
  ExportLogsServiceRequest of 512 records from a dict and encoding it.
* Parquet (when a third file is given, and pyarrow is installed): pyarrow
  writing the same 65,536 rows, already in an Arrow table, to a Parquet
  file with the same settings (zstd level 3, one row group).

Input: a file of OCSF events and a file of one OTLP/JSON request, as
`complog export` wrote them for the benchmark record, and optionally the
flat Parquet file `complog export --to parquet` wrote for it. Prints one JSON
object per measurement: the median of repeated timings, nanoseconds per
record. With --cpu the timings are CPU time of the process (all its threads)
rather than wall-clock time: on a shared, loaded machine that is the figure
to set next to our records per CPU second (benches/export_rates.sh).

Usage: python export_peers.py [--cpu] EVENT.ocsf.jsonl REQUEST.otlp.jsonl [RECORD.parquet]
"""

import json
import statistics
import sys
import time
import timeit

import ocsf.v1_7_0.events as events
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest


CLOCK = time.perf_counter


def median_ns(fn, per: int, repeat: int = 7) -> float:
    timer = timeit.Timer(fn, timer=CLOCK)
    n, _ = timer.autorange()
    return statistics.median(t / n / per * 1e9 for t in timer.repeat(repeat, n))


def ocsf_peer(event):
    """pydantic-ocsf validating the event (as a dict) and writing its JSON:
    (the function, records per call, repeats)."""
    model = {6003: events.ApiActivity}[event["class_uid"]]

    def ocsf_event():
        return model.model_validate(event).model_dump_json(exclude_none=True)

    return ocsf_event, 1, 7


def otlp_peer(request):
    """The protobuf classes building a 512-record request from a dict and
    encoding it: (the function, records per call, repeats)."""
    records = request["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    big = json.loads(json.dumps(request))
    big["resourceLogs"][0]["scopeLogs"][0]["logRecords"] = records * (512 // len(records))

    def otlp_request():
        return json_format.ParseDict(big, ExportLogsServiceRequest()).SerializeToString()

    return otlp_request, 512, 7


def parquet_peer_fn(path: str):
    """pyarrow writing 65,536 rows, already in an Arrow table, with our
    writer's settings: (its name, (the function, records per call, repeats))."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 65_536
    one = pq.read_table(path)
    table = pa.concat_tables([one] * rows).combine_chunks()

    def write():
        pq.write_table(table, io.BytesIO(), compression="zstd", compression_level=3,
                       row_group_size=131_072)

    return f"pyarrow {pa.__version__}", (write, rows, 5)


def main(argv):
    global CLOCK
    if len(argv) > 1 and argv[1] == "--cpu":
        CLOCK = time.process_time
        argv = argv[:1] + argv[2:]
    event = json.loads(open(argv[1]).readline())
    request = json.loads(open(argv[2]).readline())
    fn, per, repeat = ocsf_peer(event)
    print(json.dumps({"peer": "pydantic-ocsf 3.0.0", "what": "ocsf-json",
                      "ns_per_record": median_ns(fn, per, repeat)}))
    fn, per, repeat = otlp_peer(request)
    print(json.dumps({"peer": "opentelemetry-proto (python)", "what": "otlp-protobuf-x512",
                      "ns_per_record": median_ns(fn, per, repeat)}))
    if len(argv) > 3:
        name, (fn, per, repeat) = parquet_peer_fn(argv[3])
        print(json.dumps({"peer": name, "what": "parquet-flat-x65536",
                          "ns_per_record": median_ns(fn, per, repeat)}))


if __name__ == "__main__":
    main(sys.argv)
