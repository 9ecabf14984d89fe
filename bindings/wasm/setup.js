// Instantiation of the WebAssembly module, for the package's two entries
// (index.js, node.js): each instantiates it in its own way, then calls
// setup() before it re-exports the API of lib.js.

import * as wasm from "./pkg/lokryn_compliance_log_wasm.js";
import { factories } from "./runtime.js";
import { setMemory } from "./tape.js";

/** Called by the entries once the WebAssembly module is instantiated. */
export function setup(exports) {
  wasm.init(factories);
  setMemory(exports);
}

/** The wasm-bindgen initialisers, for the entries. */
export { default as initAsync, initSync } from "./pkg/lokryn_compliance_log_wasm.js";
