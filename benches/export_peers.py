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
record.

Usage: python export_peers.py EVENT.ocsf.jsonl REQUEST.otlp.jsonl [RECORD.parquet]
"""

import json
import statistics
import sys
import timeit

import ocsf.v1_7_0.events as events
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest


def median_ns(fn, per: int, repeat: int = 7) -> float:
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    return statistics.median(t / n / per * 1e9 for t in timer.repeat(repeat, n))


def main(argv):
    event = json.loads(open(argv[1]).readline())
    request = json.loads(open(argv[2]).readline())
    model = {6003: events.ApiActivity}[event["class_uid"]]

    def ocsf_event():
        return model.model_validate(event).model_dump_json(exclude_none=True)

    records = request["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    big = json.loads(json.dumps(request))
    big["resourceLogs"][0]["scopeLogs"][0]["logRecords"] = records * (512 // len(records))

    def otlp_request():
        return json_format.ParseDict(big, ExportLogsServiceRequest()).SerializeToString()

    print(json.dumps({"peer": "pydantic-ocsf 3.0.0", "what": "ocsf-json", "ns_per_record": median_ns(ocsf_event, 1)}))
    print(json.dumps({"peer": "opentelemetry-proto (python)", "what": "otlp-protobuf-x512",
                      "ns_per_record": median_ns(otlp_request, 512)}))
    if len(argv) > 3:
        parquet_peer(argv[3])


def parquet_peer(path: str) -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 65_536
    one = pq.read_table(path)
    table = pa.concat_tables([one] * rows).combine_chunks()

    def write():
        pq.write_table(table, io.BytesIO(), compression="zstd", compression_level=3,
                       row_group_size=131_072)

    print(json.dumps({"peer": f"pyarrow {pa.__version__}", "what": "parquet-flat-x65536",
                      "ns_per_record": median_ns(write, rows, repeat=5)}))


if __name__ == "__main__":
    main(sys.argv)
