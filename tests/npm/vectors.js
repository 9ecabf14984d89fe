// Entries for the npm packages' suite, as plain objects in the shape both
// the packages and protobuf-es's create() accept. Together they set every
// field of the schema, every kind of value (empty, zero with presence,
// negative, the largest 64-bit integers, unknown enum numbers, non-ASCII
// text, large bytes) and every example of the spec README.

const utf8 = (s) => new TextEncoder().encode(s);

/**
 * The golden vectors of tests/vectors/wire (written by the Rust core): for each,
 * its name, its encoding and its canonical JSON text.
 */
export async function goldenVectors() {
  const dir = new URL("../vectors/wire/", import.meta.url);
  let readBytes;
  let readText;
  if (typeof process !== "undefined" && process.versions?.node) {
    const { readFile } = await import("node:fs/promises");
    readBytes = async (name) => new Uint8Array(await readFile(new URL(name, dir)));
    readText = (name) => readFile(new URL(name, dir), "utf8");
  } else {
    readBytes = async (name) => new Uint8Array(await (await fetch(new URL(name, dir))).arrayBuffer());
    readText = async (name) => (await fetch(new URL(name, dir))).text();
  }
  const manifest = JSON.parse(await readText("manifest.json"));
  return Promise.all(
    manifest.vectors.map(async (v) => ({
      name: v.name,
      binary: await readBytes(v.binary),
      json: (await readText(v.json)).trim(),
    })),
  );
}

/** The spec README's first example: an MCP tool call. */
export const specFirstExample = {
  eventType: 13, // EVENT_TOOL_INVOCATION
  outcome: 1, // OUTCOME_SUCCESS
  severity: 2, // SEVERITY_INFO
  actorId: "agent-001",
  component: "mcp-client",
  environment: "production",
  resource: "tools/database_query",
  message: "Executed database query tool",
  payload: utf8('{"query": "SELECT * FROM users", "rows_returned": 42}'),
  policyTags: ["SOC2", "data-access"],
  sensitivity: 3, // SENSITIVITY_CONFIDENTIAL
};

const allBytes = new Uint8Array(256).map((_, i) => i);
const bigPayload = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);

/** `[name, init]` pairs. */
export const vectors = [
  ["spec: MCP tool call", specFirstExample],
  [
    "spec: guardrail check",
    {
      eventType: 19,
      outcome: 3,
      severity: 4,
      actorId: "agent-001",
      component: "safety-filter",
      environment: "production",
      resource: "guardrails/pii-detection",
      message: "PII detected in agent output, blocked",
      payload: utf8('{"rule": "ssn-pattern", "action": "block"}'),
      policyTags: ["PII", "HIPAA"],
      sensitivity: 5,
    },
  ],
  [
    "spec: agent decision",
    {
      eventType: 15,
      outcome: 1,
      severity: 2,
      actorId: "agent-001",
      component: "decision-engine",
      environment: "production",
      resource: "workflows/customer-support",
      message: "Agent chose to escalate to human",
      payload: utf8(
        '{"options": ["respond", "escalate", "defer"], "selected": "escalate", "confidence": 0.92}',
      ),
      policyTags: ["audit-trail"],
      sensitivity: 2,
    },
  ],
  ["empty entry", {}],
  [
    "every field",
    {
      eventType: 14,
      outcome: 5,
      severity: 8,
      actorId: "svc-billing",
      component: "billing-api",
      environment: "staging",
      resource: "db/invoices",
      message: "Partial export",
      payload: allBytes,
      policyTags: ["PCI", "", "SOC2"],
      sensitivity: 4,
      time: { seconds: 1_767_225_600n, nanos: 123_456_789 },
      eventId: "0190a9e2-7c3b-7d4e-8f00-1234567890ab",
      actorType: 3,
      delegationChain: [
        { actorId: "alice@example.com", actorType: 1, scopes: ["invoices:read"], reason: "JIRA-42" },
        { actorId: "planner-agent", actorType: 3, scopes: [], reason: "" },
        { actorId: "", actorType: 0, scopes: ["a", "b"], reason: "sub-task" },
      ],
      sourceIp: "2001:db8::1",
      host: "worker-7.internal",
      userAgent: "curl/8.5.0",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      parentSpanId: "53995c3f42cd8ad8",
      sessionId: "sess-1",
      requestId: "req-9",
      durationMs: 9_223_372_036_854_775_807n,
      errorCode: "RESOURCE_EXHAUSTED",
      errorMessage: "quota reached",
      producer: { name: "billing-api", version: "1.4.2" },
      schemaVersion: "0.3.0",
      genai: {
        operationName: "chat",
        providerName: "anthropic",
        requestModel: "claude-x",
        responseModel: "claude-x-2026",
        responseId: "msg_01",
        inputTokens: 1200n,
        outputTokens: 9_007_199_254_740_993n,
        finishReasons: ["stop", "tool_calls"],
        temperature: 0.7,
        topP: 1,
        maxTokens: 4096n,
        conversationId: "conv-1",
        agentId: "agent-7",
        agentName: "Planner",
        toolName: "search",
        toolCallId: "call_1",
        toolType: "function",
        dataSourceId: "kb-1",
      },
      mcp: {
        methodName: "tools/call",
        protocolVersion: "2025-06-18",
        sessionId: "mcp-sess",
        requestId: "17",
        toolName: "database_query",
        promptName: "summarise",
        resourceUri: "file:///etc/hosts",
        transport: "streamable-http",
        clientName: "lokryn-mcp",
        clientVersion: "0.9.0",
        serverName: "db-server",
        serverVersion: "2.1.0",
        jsonrpcErrorCode: -32601,
      },
      payloadFormat: 1,
    },
  ],
  [
    "zero values with presence",
    {
      actorId: "a",
      time: { seconds: 0n, nanos: 0 },
      producer: {},
      genai: { temperature: 0, topP: -0, maxTokens: 0n },
      mcp: { jsonrpcErrorCode: 0 },
    },
  ],
  [
    "negative and extreme numbers",
    {
      eventType: 2_147_483_647,
      outcome: -1,
      severity: 99,
      actorType: 42,
      durationMs: -9_223_372_036_854_775_808n,
      time: { seconds: -62_135_596_800n, nanos: 999_999_999 },
      genai: { inputTokens: -1n, temperature: Number.MAX_VALUE, topP: Number.MIN_VALUE },
      mcp: { jsonrpcErrorCode: -2_147_483_648 },
    },
  ],
  [
    "non-ASCII text",
    {
      actorId: "José 🧑‍💻",
      message: "日本語のメッセージ\n\t\"quoted\" \\ back\u0000slash \u2028 \u00e9\u0301",
      policyTags: ["Ω", "\u{10FFFF}"],
      resource: "\u007f\u0080",
    },
  ],
  ["large payload", { actorId: "bulk", payload: bigPayload, payloadFormat: 2 }],
  [
    "latest timestamp",
    { actorId: "t", time: { seconds: 253_402_300_799n, nanos: 1 } },
  ],
];

/** Just the entries. */
export const entries = vectors.map(([, init]) => init);
