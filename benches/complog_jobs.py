"""`complog validate` of a large JSON Lines file on one thread and on several.

Writes a JSON Lines file of N entries made from examples/good (every entry
given its own actor, request and event ids, so no two lines are the same),
then times `complog validate --quiet --jobs J` on it for each J, ROUNDS
times, interleaved so that load from elsewhere falls on every J alike, and
prints the medians and best runs, MB/s, the ratio to --jobs 1, and the CPU
time the process used (user and system, all threads): MB per CPU second is
the throughput of one core, whatever else the machine is running.

    python3 benches/complog_jobs.py target/release/complog [N] [ROUNDS] [JOBS...]

The file is written next to the binary and removed at the end.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def example_entries():
    entries = []
    good = ROOT / "examples" / "good"
    for path in sorted(good.iterdir()):
        if path.suffix == ".json":
            entries.append(json.loads(path.read_text()))
        elif path.suffix == ".jsonl":
            entries.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return entries


def write_lines(path, n, event_ids=False):
    """Writes `n` entries made from examples/good, each with its own actor and request ids (and
    its own event id where the example has one, with `event_ids`)."""
    entries = example_entries()
    with open(path, "w") as out:
        for i in range(n):
            entry = dict(entries[i % len(entries)])
            entry["actorId"] = f"user-{i:08d}@example.com"
            entry["requestId"] = f"req-{i:012d}"
            if event_ids and "eventId" in entry:
                entry["eventId"] = f"019ac9f4-59a6-7c70-8b3e-{i:012x}"
            out.write(json.dumps(entry, separators=(",", ":")))
            out.write("\n")


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    jobs = [int(j) for j in sys.argv[4:]] or [1, 2]
    path = Path(binary).resolve().parent / "complog-jobs-bench.jsonl"
    write_lines(path, n)
    size = path.stat().st_size
    try:
        times = {j: [] for j in jobs}
        cpu = {j: [] for j in jobs}
        for _ in range(rounds):
            for j in jobs:
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                done = subprocess.run(
                    [binary, "validate", "--quiet", "--jobs", str(j), str(path)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                times[j].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[j].append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
                if done.returncode not in (0, 1):
                    sys.exit(f"complog exited {done.returncode}")
        print(f"{n} entries, {size / 1e6:.1f} MB, load average {os.getloadavg()[0]:.2f}")
        print(
            "| --jobs | wall s (median) | wall s (best) | MB/s (median) | × --jobs 1 (median) "
            "| × --jobs 1 (best) | CPU s (median) | MB per CPU second |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        base, base_best = statistics.median(times[jobs[0]]), min(times[jobs[0]])
        for j in jobs:
            med, best = statistics.median(times[j]), min(times[j])
            cpu_med = statistics.median(cpu[j])
            print(
                f"| {j} | {med:.3f} | {best:.3f} | {size / 1e6 / med:.0f} | {base / med:.2f} "
                f"| {base_best / best:.2f} | {cpu_med:.3f} | {size / 1e6 / cpu_med:.0f} |"
            )
    finally:
        path.unlink()


if __name__ == "__main__":
    main()
