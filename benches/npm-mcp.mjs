// What @lokryn/compliance-log/mcp adds to a tools/call, in CPU time per call,
// next to one direct `AuditLogger.log` of a similar record in the same run
// (the Node twin of bindings/python/benches/mcp.py). A benchmark, not a
// test: nothing here asserts speed.
//
//   cargo xtask npm node          # builds the package (release)
//   node benches/npm-mcp.mjs
//
// A Client stub answers `callTool` at once (a resolved promise), so the
// difference between the wrapped and the bare stub is the wrapper's own
// work: building the record, redacting it once (a card number in the
// arguments), and `AuditLogger.log` under "soc2" to a JSON Lines file.
// Best of 7 runs of 2,000 calls each, every row in each run; CPU time from
// process.cpuUsage(). Quote the ratio: the machine is shared.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { AuditLogger, EventType, Outcome, PayloadFormat, Severity, sinks } from "@lokryn/compliance-log";
import { withLogging } from "@lokryn/compliance-log/mcp";

const RUNS = 7;
const CALLS = 2000;
const PARAMS = { name: "charge", arguments: { card: "4111111111111111", amount: 42 } };
const RESULT = { content: [{ type: "text", text: "charged 42" }] };

/** Answers at once, numbering requests as the SDK's Protocol does. */
class Stub {
  constructor() {
    this._requestMessageId = 0;
  }

  callTool() {
    this._requestMessageId += 1;
    return Promise.resolve(RESULT);
  }
}

function cpu() {
  const { user, system } = process.cpuUsage();
  return user + system; // µs
}

async function calls(client) {
  const start = cpu();
  for (let i = 0; i < CALLS; i += 1) await client.callTool(PARAMS);
  return (cpu() - start) / CALLS;
}

const payload = Buffer.from('{"arguments":{"card":"411111******1111","amount":42},"result":{"content":[{"type":"text","text":"charged 42"}]}}');

function direct(audit) {
  const start = cpu();
  for (let i = 0; i < CALLS; i += 1) {
    audit.log({
      eventType: EventType.EVENT_TOOL_INVOCATION, outcome: Outcome.SUCCESS, severity: Severity.INFO,
      actorId: "agent", component: "mcp-client", resource: "tools/charge", message: "MCP tools/call charge",
      mcp: { methodName: "tools/call", toolName: "charge", requestId: String(i), transport: "stdio" },
      genai: { operationName: "execute_tool", toolName: "charge" },
      payload, payloadFormat: PayloadFormat.JSON,
    });
  }
  return (cpu() - start) / CALLS;
}

const dir = mkdtempSync(join(tmpdir(), "lokryn-bench-mcp-"));
const audit = new AuditLogger({ sinks: [sinks.JsonLines(join(dir, "audit.jsonl"))], profile: "soc2" });
const proxy = withLogging(new Stub(), audit, { actorId: "agent", onBehalfOf: "alice", transport: "stdio" });
const bare = new Stub();
const best = { wrapped: Infinity, bare: Infinity, log: Infinity };
for (let run = 0; run < RUNS; run += 1) {
  best.wrapped = Math.min(best.wrapped, await calls(proxy));
  best.bare = Math.min(best.bare, await calls(bare));
  best.log = Math.min(best.log, direct(audit));
}
audit.close();
rmSync(dir, { recursive: true, force: true });
const added = best.wrapped - best.bare;
console.log(`| Per call | CPU time | ÷ \`AuditLogger.log\` |`);
console.log(`|---|---:|---:|`);
console.log(`| what the wrapper adds to \`callTool\` | ${added.toFixed(1)} µs | ${(added / best.log).toFixed(2)} |`);
console.log(`| \`AuditLogger.log\` of a similar record | ${best.log.toFixed(1)} µs | 1.00 |`);
if (proxy.loggingErrors !== 0) throw new Error(`${proxy.loggingErrors} records were not written`);
