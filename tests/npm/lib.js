// The package under test. In Node, LOKRYN_JS_BINDING picks it: `node`
// (default, @lokryn/compliance-log) or `wasm` (@lokryn/compliance-log-wasm).
// In a browser it is always the wasm package (mapped by browser.html's
// import map).

import { isNode } from "./harness.js";

export const binding = isNode ? (process.env.LOKRYN_JS_BINDING ?? "node") : "wasm";

if (binding !== "node" && binding !== "wasm") {
  throw new Error(`LOKRYN_JS_BINDING must be "node" or "wasm", not "${binding}"`);
}

export const packageName =
  binding === "node" ? "@lokryn/compliance-log" : "@lokryn/compliance-log-wasm";

/** The package's module namespace. */
export const lib = binding === "node"
  ? await import("@lokryn/compliance-log")
  : await import("@lokryn/compliance-log-wasm");
