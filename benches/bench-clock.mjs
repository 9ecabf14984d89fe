// The clock of the npm benchmarks: the wall clock, or with
// LOKRYN_BENCH_CLOCK=cpu the process's CPU time (user and system), which
// other work on a shared machine moves less.

export const CPU_CLOCK = process.env.LOKRYN_BENCH_CLOCK === "cpu";

/** Nanoseconds, of the wall clock or of the process's CPU time. */
export function now() {
  if (CPU_CLOCK) {
    const { user, system } = process.cpuUsage();
    return (user + system) * 1000;
  }
  return Number(process.hrtime.bigint());
}
