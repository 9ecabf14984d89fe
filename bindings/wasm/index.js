// The browser and bundler entry of @lokryn/compliance-log-wasm: fetches and
// instantiates the WebAssembly module (bundlers resolve the URL below as an
// asset) before the module's importers run, so every function is ready to
// call synchronously after `import`.
import { initAsync, setup } from "./setup.js";

const wasmExports = await initAsync({
  module_or_path: new URL("./pkg/lokryn_compliance_log_wasm_bg.wasm", import.meta.url),
});
setup(wasmExports);

export * from "./lib.js";
