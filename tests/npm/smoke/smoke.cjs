// `cargo xtask dist --check` (and `cargo xtask test`): @lokryn/compliance-log
// installed from its tarball into an empty folder, used through `require`.
"use strict";

const assert = require("node:assert/strict");
const { readFileSync } = require("node:fs");

const lib = require("@lokryn/compliance-log");
const { hex, version } = JSON.parse(readFileSync("expected.json", "utf8"));

const entry = {
  eventType: lib.EventType.EVENT_TOOL_INVOCATION,
  outcome: lib.Outcome.SUCCESS,
  severity: lib.Severity.INFO,
  actorId: "agent-001",
  component: "mcp-client",
  environment: "production",
  resource: "tools/database_query",
  message: "Executed database query tool",
  payload: Buffer.from('{"query": "SELECT * FROM users", "rows_returned": 42}'),
  policyTags: ["SOC2", "data-access"],
  sensitivity: lib.Sensitivity.CONFIDENTIAL,
};

assert.equal(Buffer.from(lib.encode(entry)).toString("hex"), hex);
assert.equal(lib.validate(entry).valid, true);
assert.equal(lib.decode(Buffer.from(hex, "hex")).actorId, "agent-001");
assert.throws(() => lib.decode(new Uint8Array([0xff])), lib.ComplianceLogError);
assert.equal(lib.VERSION, version);
assert.equal(require("@lokryn/compliance-log/package.json").version, version);
console.log(`require("@lokryn/compliance-log") ${lib.VERSION}: the Rust core's bytes, valid`);
console.log("6 passed, 0 failed");
