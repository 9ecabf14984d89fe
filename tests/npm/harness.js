// `test` and `assert` for the npm packages' suite, the same in Node and in a
// browser. In Node they are node:test and node:assert/strict; in a browser
// (tests/npm/browser.html) a small runner and the few assertions the suite
// uses, with node:assert's strict semantics.

export const isNode = typeof process !== "undefined" && !!process.versions?.node;

let nodeTest;
let nodeAssert;
if (isNode) {
  nodeTest = (await import("node:test")).test;
  nodeAssert = (await import("node:assert/strict")).default;
}

/** Tests registered in a browser, run by `runBrowserTests`. */
const registered = [];

/**
 * `test(name, fn)` or `test(name, { skip }, fn)`. `fn` may be async.
 */
export function test(name, options, fn) {
  if (typeof options === "function") {
    fn = options;
    options = {};
  }
  if (isNode) {
    return nodeTest(name, options, fn);
  }
  registered.push({ name, options, fn });
  return undefined;
}

/** Runs the registered tests in order; resolves to one result per test. */
export async function runBrowserTests(file) {
  const results = [];
  while (registered.length > 0) {
    const { name, options, fn } = registered.shift();
    if (options.skip) {
      results.push({ file, name, status: "skip", reason: String(options.skip) });
      continue;
    }
    const start = performance.now();
    try {
      await fn();
      results.push({ file, name, status: "pass", ms: performance.now() - start });
    } catch (err) {
      results.push({
        file,
        name,
        status: "fail",
        ms: performance.now() - start,
        error: `${err?.name}: ${err?.message}\n${err?.stack ?? ""}`,
      });
    }
  }
  return results;
}

class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(v) {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array[${Array.from(v).join(",")}]`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
  } catch {
    return String(v);
  }
}

/** Strict deep equality as node:assert's deepStrictEqual sees it. */
function deepEq(a, b, path) {
  if (Object.is(a, b)) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return `${path}: ${show(a)} !== ${show(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    return `${path}: different prototypes`;
  }
  if (ArrayBuffer.isView(a)) {
    if (a.length !== b.length) return `${path}: length ${a.length} !== ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], b[i])) return `${path}[${i}]: ${a[i]} !== ${b[i]}`;
    }
    return null;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) {
    return `${path}: keys [${ka.sort()}] !== [${kb.sort()}]`;
  }
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return `${path}: missing key ${k}`;
    const d = deepEq(a[k], b[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function matches(err, expected) {
  if (expected === undefined) return true;
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && err instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected(err) === true;
  }
  if (expected instanceof RegExp) return expected.test(String(err?.message ?? err));
  for (const [k, v] of Object.entries(expected)) {
    const actual = err?.[k];
    if (v instanceof RegExp ? !v.test(String(actual)) : deepEq(actual, v, k) !== null) {
      return false;
    }
  }
  return true;
}

const browserAssert = {
  ok(value, message) {
    if (!value) throw new AssertionError(message ?? `expected truthy, got ${show(value)}`);
  },
  equal(a, b, message) {
    if (!Object.is(a, b)) throw new AssertionError(message ?? `${show(a)} !== ${show(b)}`);
  },
  notEqual(a, b, message) {
    if (Object.is(a, b)) throw new AssertionError(message ?? `${show(a)} === ${show(b)}`);
  },
  deepEqual(a, b, message) {
    const d = deepEq(a, b, "value");
    if (d) throw new AssertionError(message ?? d);
  },
  match(s, re, message) {
    if (!re.test(s)) throw new AssertionError(message ?? `${show(s)} does not match ${re}`);
  },
  throws(fn, expected, message) {
    try {
      fn();
    } catch (err) {
      if (!matches(err, expected)) {
        throw new AssertionError(
          message ?? `unexpected error: ${err?.name} ${err?.code ?? ""} ${err?.message}`,
        );
      }
      return;
    }
    throw new AssertionError(message ?? "expected the function to throw");
  },
};

/** node:assert/strict in Node; the same assertions in a browser. */
export const assert = isNode
  ? {
      ok: nodeAssert.ok,
      equal: nodeAssert.equal,
      notEqual: nodeAssert.notEqual,
      deepEqual: nodeAssert.deepEqual,
      match: nodeAssert.match,
      throws: nodeAssert.throws,
    }
  : browserAssert;

/** `{ value }` or `{ error }` (its class, code, message and details) of `fn()`. */
export function outcome(fn) {
  try {
    return { value: fn() };
  } catch (err) {
    const { stack: _stack, ...details } = Object.getOwnPropertyDescriptors(err);
    const own = {};
    for (const k of Object.keys(details)) own[k] = err[k];
    return { error: { name: err.name, class: err.constructor?.name, message: err.message, ...own } };
  }
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
