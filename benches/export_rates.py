"""Records per CPU second of each export, next to its peer in the same run.

Ours: lokryn-export's `export_instructions` example (built with the bench profile,
see benches/export_instructions.sh), which decodes a binary record and
exports it N times (OCSF JSON line; OTLP protobuf requests of 512 records;
a flat Parquet file). Its CPU time (user + system, from the kernel's
accounting of the child) is taken for N + k and for k records, so that the
one-time setup cancels out. The peers are those of benches/export_peers.py,
timed by CPU time of their process too. CPU time, not wall-clock time: on a
machine shared with other work, a process waiting for a core is not counted,
so the figures are per core actually used (cache and memory contention from
the other work still slow both sides alike).

Each measurement is taken in turn (ours, peer, ours, peer, ...) `--rounds`
times; the median of each is printed, one JSON object per line. With
`--before BINARY` (the same example built at an earlier revision) that one
is measured in each round too. `--ops ocsf-view,parquet` picks the
exports measured (default: all, the `-view` ones from a view of the binary
record).

Usage: python export_rates.py INSTRUCTIONS-BINARY RECORD.json EVENT.ocsf.jsonl
       REQUEST.otlp.jsonl RECORD.parquet [--rounds 3] [--before BINARY] [--ops OP,...]
"""

import json
import os
import resource
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_peers  # noqa: E402

# op: (records in the baseline run, records measured on top of it)
OPS = {"ocsf": (1000, 400_000), "otlp": (1024, 400_000), "parquet": (16_384, 655_360)}
# The same from a view of the binary record (the peer is the same).
OPS.update({f"{op}-view": sizes for op, sizes in list(OPS.items())})


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ours_cpu(binary: str, op: str, n: int, record: str) -> float:
    before = child_cpu()
    subprocess.run([binary, op, str(n), record], check=True, stdout=subprocess.DEVNULL)
    return child_cpu() - before


def ours_ns(binary: str, op: str, record: str) -> float:
    base, n = OPS[op]
    return (ours_cpu(binary, op, base + n, record) - ours_cpu(binary, op, base, record)) / n * 1e9


def main(argv):
    def option(name, default):
        nonlocal argv
        if name not in argv:
            return default
        i = argv.index(name)
        value = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
        return value

    rounds = int(option("--rounds", 3))
    ops = option("--ops", ",".join(OPS)).split(",")
    before = option("--before", None)
    binary, record, event_file, request_file, parquet_file = argv[1:6]
    export_peers.CLOCK = export_peers.time.process_time
    event = json.loads(open(event_file).readline())
    request = json.loads(open(request_file).readline())
    peers = {
        "ocsf": ("pydantic-ocsf 3.0.0", export_peers.ocsf_peer(event)),
        "otlp": ("opentelemetry-proto (python)", export_peers.otlp_peer(request)),
        "parquet": export_peers.parquet_peer_fn(parquet_file),
    }
    for op in ops:
        mine, theirs, earlier = [], [], []
        peer_name, (peer_fn, per, repeat) = peers[op.removesuffix("-view")]
        for _ in range(rounds):
            if before:
                earlier.append(ours_ns(before, op, record))
            mine.append(ours_ns(binary, op, record))
            theirs.append(export_peers.median_ns(peer_fn, per, repeat))
        ours_med, peer_med = statistics.median(mine), statistics.median(theirs)
        extra = {}
        if before:
            extra = {"before_ns_per_record": round(statistics.median(earlier), 1),
                     "before_runs": [round(x, 1) for x in earlier]}
        print(json.dumps({**extra,
            "record": os.path.basename(record), "what": op,
            "ours_ns_per_record": round(ours_med, 1),
            "ours_records_per_cpu_second": round(1e9 / ours_med),
            "peer": peer_name, "peer_ns_per_record": round(peer_med, 1),
            "peer_records_per_cpu_second": round(1e9 / peer_med),
            "peer_over_ours": round(peer_med / ours_med, 2),
            "ours_runs": [round(x, 1) for x in mine], "peer_runs": [round(x, 1) for x in theirs],
        }), flush=True)


if __name__ == "__main__":
    main(sys.argv)
