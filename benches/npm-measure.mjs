// The timing of the npm benchmarks, shared by benches/npm.mjs (in Node) and
// benches/npm-browser.html (in Chromium, driven by `node tests/npm/browser.js
// bench`): each figure is the median of 7 samples of at least `sampleMs` ms,
// per entry. A benchmark, not a test: nothing here asserts speed.

/**
 * A `measure(fn, per)` timing with `now()` (nanoseconds): the median ns per
 * entry of `fn`, which handles `per` entries per call.
 */
export function timer(now, sampleMs) {
  let sink = 0;
  function consume(v) {
    // A string is read in its middle: one built by concatenation (a rope in
    // V8) is flattened here, as its first use would flatten it, so that
    // this copy counts against whoever built it; a flat string (what
    // JSON.stringify returns) costs nothing more.
    if (typeof v === "string") sink ^= v.charCodeAt(v.length >> 1);
    else sink ^= typeof v === "object" && v !== null ? (v.length ?? 1) : 1;
  }
  /** Calls per sample of `fn`: enough for `sampleMs`. */
  function calls(fn) {
    for (let i = 0; i < 200; i++) consume(fn()); // warm up
    let n = 1;
    for (;;) {
      const t = now();
      for (let i = 0; i < n; i++) consume(fn());
      const ms = (now() - t) / 1e6;
      if (ms >= sampleMs / 4) break;
      n *= 2;
    }
    return Math.max(1, Math.ceil(n * 4));
  }
  function sample(fn, n, per) {
    const t = now();
    for (let i = 0; i < n; i++) consume(fn());
    return (now() - t) / n / per;
  }
  const median = (samples) => samples.sort((a, b) => a - b)[3];
  function measure(fn, per = 1) {
    const n = calls(fn);
    const samples = [];
    for (let s = 0; s < 7; s++) samples.push(sample(fn, n, per));
    return median(samples);
  }
  /**
   * The medians of several functions whose samples take turns (one of each,
   * `rounds` times, each a quarter of `sampleMs`), so that a change in the
   * machine's load between samples reaches all of them alike: for
   * wall-clock timing on a busy machine.
   */
  measure.together = (fns, rounds = 21) => {
    const n = fns.map((fn) => Math.max(1, Math.ceil(calls(fn) / 4)));
    const samples = fns.map(() => []);
    for (let s = 0; s < rounds; s++) fns.forEach((fn, i) => samples[i].push(sample(fn, n[i], 1)));
    return samples.map((list) => list.sort((a, b) => a - b)[rounds >> 1]);
  };
  // For a driver that reads another clock around each sample (Chromium's
  // CPU time, over the DevTools protocol): the calls a quarter of a sample
  // takes, as `together` uses, and one sample of `n` calls.
  measure.calls = (fn) => Math.max(1, Math.ceil(calls(fn) / 4));
  measure.sample = (fn, n) => {
    for (let i = 0; i < n; i++) consume(fn());
  };
  // The sink is read so that no engine can drop the calls.
  measure.sink = () => sink;
  return measure;
}

/** A duration in ns or µs. */
export const fmt = (ns) => (ns == null ? "–" : ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${Math.round(ns)} ns`);

/** How many times faster than the peer (below 1× is slower). */
export const ratio = (peer, ours, digits = 1) => (peer == null || ours == null ? "–" : `${(peer / ours).toFixed(digits)}×`);
