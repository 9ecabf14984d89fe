// `cargo xtask dist --check` (and `cargo xtask test`): both packages
// installed from their tarballs into an empty folder, used through `import`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as node from "@lokryn/compliance-log";
import * as wasm from "@lokryn/compliance-log-wasm";

const { hex, version } = JSON.parse(readFileSync("expected.json", "utf8"));
const toHex = (bytes) => Buffer.from(bytes).toString("hex");

let passed = 0;
for (const [name, lib] of [["@lokryn/compliance-log", node], ["@lokryn/compliance-log-wasm", wasm]]) {
  const entry = {
    eventType: lib.EventType.EVENT_TOOL_INVOCATION,
    outcome: lib.Outcome.SUCCESS,
    severity: lib.Severity.INFO,
    actorId: "agent-001",
    component: "mcp-client",
    environment: "production",
    resource: "tools/database_query",
    message: "Executed database query tool",
    payload: new TextEncoder().encode('{"query": "SELECT * FROM users", "rows_returned": 42}'),
    policyTags: ["SOC2", "data-access"],
    sensitivity: lib.Sensitivity.CONFIDENTIAL,
  };
  assert.equal(toHex(lib.encode(entry)), hex, name);
  assert.equal(lib.validate(entry).valid, true, name);
  assert.equal(lib.toJson(entry).actorId, "agent-001", name);
  assert.equal(lib.VERSION, version, name);
  console.log(`import "${name}" ${lib.VERSION}: the Rust core's bytes, valid`);
  passed += 4;
}
console.log(`${passed} passed, 0 failed`);
