"""`complog export --to parquet` of a large binary file, on one thread and on
several, next to pyarrow writing the same rows.

Writes N entries made from examples/good (every entry given its own actor,
request and event ids), converts them to length-delimited binary with
`complog convert`, then, ROUNDS times, interleaved so that load from
elsewhere falls on every run alike: `complog export --to parquet --jobs J`
for each J (and each binary, with --before), and pyarrow writing the rows of
that file, already in an Arrow table, with the layout's settings (zstd level
3, row groups of 131,072 rows). Prints the medians of the wall-clock time
and of the CPU time (user and system, all threads), as rows per second, and
checks that every binary wrote the same rows (read back with pyarrow: the
same table, schema and Arrow metadata, and row-group sizes).

    python3 benches/parquet_jobs.py COMPLOG [--before BASE-COMPLOG] [--rows N]
        [--rounds R] [--jobs 1 2]

Needs pyarrow. On a shared machine run it with priority, so that other work
does not take one of the threads' cores away half the time (as root):

    setsid bash -c 'echo -20 > /proc/$$/autogroup; nice -n -20 python3 benches/parquet_jobs.py ...'
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches"))
from complog_jobs import write_lines  # noqa: E402  (the same input as complog_jobs.py)


def run(cmd):
    """Wall-clock and CPU seconds (user + system, all threads) of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd}: {err}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("complog")
    parser.add_argument("--before")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    binaries = {"now": args.complog}
    if args.before:
        binaries = {"before": args.before, "now": args.complog}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines, binary = tmp / "entries.jsonl", tmp / "entries.binpb"
        write_lines(lines, args.rows, event_ids=True)
        subprocess.run([args.complog, "convert", "--to", "binary", "-o", binary, lines],
                       check=True, stderr=subprocess.DEVNULL)
        out = {name: tmp / f"{name}.parquet" for name in binaries}
        times = {}
        peer = []
        table = None
        for _ in range(args.rounds):
            for name, exe in binaries.items():
                for jobs in args.jobs:
                    cmd = [exe, "export", "--to", "parquet", "--quiet", "--jobs", str(jobs),
                           "-o", str(out[name]), str(binary)]
                    times.setdefault((name, jobs), []).append(run(cmd))
            if table is None:
                table = pq.read_table(out["now"]).combine_chunks()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            pq.write_table(table, tmp / "pyarrow.parquet", compression="zstd",
                           compression_level=3, row_group_size=131_072)
            peer.append((time.perf_counter() - wall0, time.process_time() - cpu0))

        files = {name: pq.ParquetFile(path) for name, path in out.items()}
        first = next(iter(files.values()))
        groups = lambda f: [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)]
        same = all(
            pq.read_table(out[name]).equals(pq.read_table(next(iter(out.values()))))
            and f.schema_arrow.equals(first.schema_arrow, check_metadata=True)
            and groups(f) == groups(first)
            for name, f in files.items()
        )
        n = args.rows
        report = {
            "rows": n,
            "bytes": binary.stat().st_size,
            "rounds": args.rounds,
            "same_rows_schema_and_row_groups": same,
            "row_groups": groups(first),
            "pyarrow": pa.__version__,
            "runs": [],
        }
        def add(what, samples):
            wall = statistics.median(s[0] for s in samples)
            cpu = statistics.median(s[1] for s in samples)
            report["runs"].append({
                "what": what,
                "wall_s": round(wall, 4),
                "cpu_s": round(cpu, 4),
                "rows_per_s_wall": round(n / wall),
                "rows_per_cpu_s": round(n / cpu),
                "best_wall_s": round(min(s[0] for s in samples), 4),
            })
        for (name, jobs), samples in times.items():
            add(f"complog {name} --jobs {jobs}", samples)
        add("pyarrow write_table (from an Arrow table)", peer)
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
