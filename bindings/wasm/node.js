// The Node entry of @lokryn/compliance-log-wasm: reads the WebAssembly
// module from disk and instantiates it synchronously.
import { readFileSync } from "node:fs";

import { initSync, setup } from "./setup.js";

const wasmExports = initSync({
  module: readFileSync(new URL("./pkg/lokryn_compliance_log_wasm_bg.wasm", import.meta.url)),
});
setup(wasmExports);

export * from "./lib.js";
