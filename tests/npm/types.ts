// Type-checked by `cargo xtask test` (tsc, not run): what a TypeScript user
// writes against either package compiles, with protobuf-es's types, and what
// must not compile does not.

import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import * as node from "@lokryn/compliance-log";
import * as wasm from "@lokryn/compliance-log-wasm";
import pinoTransport from "@lokryn/compliance-log/pino";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ASKED, eventTypeOf, loggingErrors, loggingTransport, withLogging, wrapServer } from "@lokryn/compliance-log/mcp";

import { EventType as EsEventType, LogEntrySchema, Outcome as EsOutcome } from "./gen/lokryn/compliancelog/v1/logentry_pb.js";

// A message made with protobuf-es's create(...) is accepted as it is.
const message = create(LogEntrySchema, {
  eventType: EsEventType.EVENT_LOGIN,
  outcome: EsOutcome.SUCCESS,
  actorId: "alice",
  time: timestampFromDate(new Date()),
  delegationChain: [{ actorId: "root" }],
});
const fromNode: Uint8Array = node.encode(message);
const fromWasm: Uint8Array = wasm.encode(message);
node.encodeDelimited([message, message]);
wasm.validate(message);

// A literal, with the packages' own enums, a Date and bigints.
const literal: node.LogEntryInit = {
  eventType: node.EventType.EVENT_TOOL_INVOCATION,
  outcome: node.Outcome.SUCCESS,
  severity: node.Severity.INFO,
  actorId: "agent-001",
  payload: new Uint8Array([123, 125]),
  policyTags: ["SOC2"] as const,
  time: new Date(),
  durationMs: 12n,
  genai: { inputTokens: 10, temperature: 0.2 },
  mcp: { jsonrpcErrorCode: -32601 },
};
node.encode(literal);
wasm.encode(literal);

// Results carry the schema's types.
const entry: node.LogEntry = node.decode(fromNode);
const actor: string = entry.actorId;
const duration: bigint = entry.durationMs;
const seconds: bigint | undefined = entry.time?.seconds;
const tags: string[] = entry.policyTags;
const kind: node.EventType = entry.eventType;
const typeName: "lokryn.compliancelog.v1.LogEntry" = entry.$typeName;
const entries: wasm.LogEntry[] = wasm.decodeDelimited(fromWasm, { maxEntryBytes: 1 << 20 });
const json: wasm.JsonObject = wasm.toJson(fromWasm);
const text: string = node.toJsonString(entry);
const back: node.LogEntry = node.fromJson(json, { ignoreUnknownFields: true });
const report: wasm.ValidationReport = wasm.validate(fromWasm);
const level: "error" | "warning" | undefined = report.violations[0]?.level;

try {
  node.assertValid(entry);
} catch (err) {
  if (err instanceof node.ValidationError) {
    const violations: node.Violation[] = err.violations;
    const code: "INVALID" = err.code;
  } else if (err instanceof node.ComplianceLogError) {
    const code: node.ErrorCode = err.code;
    const index: number | undefined = err.index;
  }
}

// Streams pushed in chunks.
const decoder = new wasm.DelimitedDecoder({ maxEntryBytes: 1 << 20 });
decoder.push(fromWasm);
const next: wasm.LogEntry | undefined = decoder.read();
decoder.end();

// The two packages declare the same types.
const same: wasm.LogEntry = entry;
const version: string = node.VERSION + wasm.VERSION;

// @ts-expect-error: enum values are numbers, not names
node.encode({ eventType: "EVENT_LOGIN" });
// @ts-expect-error: no such field
node.encode({ actorID: "typo" });
// @ts-expect-error: no option of that name
node.validate(entry, { profiles: "hipaa" });
const pci: wasm.ValidationReport = node.validate(entry, { profile: ["soc2", "pci"] });
const finding: node.Finding | undefined = pci.findings[0];
const redacted: node.LogEntry = node.redact(entry, { key: "k" }).entry;
const clean: string = wasm.redactText("mail bob@example.com");
const kinds: string[] = node.scanText("x").map((f) => f.kind);
// @ts-expect-error: bytes are a Uint8Array
node.encode({ payload: "{}" });

// The audit logger: the Node package only.
const audit = new node.AuditLogger({
  sinks: [node.sinks.JsonLines("audit.jsonl", { rotateBytes: 1 << 20, compressRotated: "zstd" }), { write(e: node.LogEntry) { void e.eventId; } }],
  profile: ["soc2", "pci"],
  onInvalid: "quarantine",
  quarantine: new node.sinks.Binary("quarantine.binpb"),
  redact: "key",
  defaults: { component: "billing", environment: "production" },
});
const logged: node.LogEntry = audit.log({ eventType: node.EventType.EVENT_LOGIN, actorId: "alice" });
const op: node.Operation = audit.operation(node.EventType.EVENT_TOOL_INVOCATION, { resource: "tools/x" });
const ended: node.LogEntry = op.end({ message: "done" });
const ran: Promise<number> = audit.run(node.EventType.EVENT_TOOL_INVOCATION, {}, async () => 1);
const written: number = audit.stats.sinks[0].written;
audit.flush(1000);
audit.close();
node.sinks.Otlp("http://localhost:4318", { queueCapacity: 10_000, spillDir: "/tmp/spill", headers: { authorization: "x" } });
node.sinks.Ledger("ledger", { commitEvery: 100, commitEveryMs: 50 });
// @ts-expect-error: not a policy
new node.AuditLogger({ onInvalid: "ignore" });
// @ts-expect-error: no such sink option
node.sinks.JsonLines("a.jsonl", { rotate: 1 });
// The pino transport's options are data: built-in sinks only.
const stream = pinoTransport({ sinks: [node.sinks.JsonLines("a.jsonl")], profile: "pci", messageKey: "message" });
stream.end();
// @ts-expect-error: a user sink cannot cross into pino's worker thread
pinoTransport({ sinks: [{ write() {} }] });
// @ts-expect-error: the browser package has no logger
new wasm.AuditLogger();

export { logged, ended, ran, written };

// The MCP wrappers give back the SDK's own types, plus what they add.
const mcpClient = withLogging(new Client({ name: "agent", version: "1" }), audit, {
  actorId: "agent-7", onBehalfOf: "alice", delegationChain: ["planner", { actorId: "tool", actorType: node.ActorType.TOOL }],
  maxValueBytes: null, redact: "key", onLoggingError: (err) => void err,
});
const toolCall: Promise<unknown> = mcpClient.callTool({ name: "charge", arguments: { amount: 1 } });
const mcpErrors: number = mcpClient.loggingErrors + loggingErrors(mcpClient);
const [clientSide] = InMemoryTransport.createLinkedPair();
const mcpTransport = loggingTransport(clientSide, audit, { transport: "in-memory" });
const transportSession: string | undefined = mcpTransport.sessionId;
const mcpServer: McpServer = wrapServer(new McpServer({ name: "tools", version: "1" }), audit, { component: "tools" });
// @ts-expect-error: not an option
withLogging(new Client({ name: "agent", version: "1" }), audit, { actor: "agent-7" });
// @ts-expect-error: not a transport
loggingTransport({}, audit);

const logMessage: node.EventType = eventTypeOf("notifications/message");
const samplingArrives: node.EventType | undefined = ASKED["sampling/createMessage"];
export { toolCall, mcpErrors, transportSession, mcpServer, logMessage, samplingArrives };

// The Node package's exports (the browser package has none).
const ocsfEvent: node.JsonObject = node.toOcsf(message, { observedTimeNs: 1n, logName: "audit" });
const ocsfLine: string = node.toOcsfString(fromNode);
const ecsDoc: node.JsonObject = node.toEcs(literal);
const otlpBody: Uint8Array = node.toOtlp([message, fromNode], { observedTimeNs: 5 });
const otlpText: string = node.toOtlpJsonString([message]);
const reportData: node.JsonObject = node.report("audit-ledger", { profiles: ["pci"], since: "2026-01-01T00:00:00Z" });
const reportPage: string = node.report([message, literal], { format: "html", key: "audit.pub" });
const reportAgain: string = node.renderReportHtml(reportData);
// @ts-expect-error: the page is text, not data
const reportWrong: node.JsonObject = node.report("audit-ledger", { format: "html" });
// @ts-expect-error: no such report format
node.report("audit-ledger", { format: "pdf" });
const imported: node.LogEntry = node.fromOcsf(ocsfLine);
const fromVendor: node.LogEntry[] = node.fromLokryn02(otlpBody, { framing: "delimited" });
const importCode: node.ErrorCode = "IMPORT";
// @ts-expect-error: the OTLP functions take no log name
node.toOtlpJson([message], { logName: "audit" });
// @ts-expect-error: no such framing
node.fromLokryn02("{}", { framing: "chunked" });
// @ts-expect-error: the browser package has no exports
wasm.toOcsf(message);

export { ecsDoc, fromVendor, imported, importCode, ocsfEvent, otlpText };
export { actor, back, clean, next, duration, entries, finding, kind, kinds, level, redacted, same, seconds, tags, text, typeName, version };
