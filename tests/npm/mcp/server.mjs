// A real MCP server written with the official TypeScript SDK, for
// tests/npm/mcp.test.js and the Node example of docs/mcp.md.
//
//   node server.mjs                     over stdio
//   node server.mjs --http              streamable HTTP on 127.0.0.1 (an ephemeral
//                                       port; prints {"port": N} on stdout)
//   ... --audit <file>                  its request handlers wrapped by
//                                       wrapServer, records in <file> (JSON Lines)
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const args = process.argv.slice(2);
const http = args.includes("--http");
const auditAt = args.indexOf("--audit");
const auditFile = auditAt >= 0 ? args[auditAt + 1] : undefined;

let audit;

function build() {
  const app = new McpServer(
    { name: "lokryn-test-server", version: "0.9.1" },
    { capabilities: { logging: {} } },
  );
  app.registerTool("charge", { description: "Charges a card.", inputSchema: { card: z.string(), amount: z.number() } },
    async ({ card, amount }) => ({ content: [{ type: "text", text: `charged ${amount} to the card ending ${card.slice(-4)}` }] }));
  app.registerTool("refuse", { description: "Reports an error in its result.", inputSchema: { card: z.string() } },
    async ({ card }) => ({ isError: true, content: [{ type: "text", text: `card ${card} was declined` }] }));
  app.registerTool("crash", { description: "Its code throws." }, async () => {
    throw new Error("the tool's backend is down");
  });
  app.registerTool("slow", { description: "Takes its time.", inputSchema: { seconds: z.number() } },
    async ({ seconds }, extra) => {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        extra.signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); });
      });
      return { content: [{ type: "text", text: "done" }] };
    });
  app.registerTool("big", { description: "A large result.", inputSchema: { size: z.number() } },
    async ({ size }) => ({ content: [{ type: "text", text: "x".repeat(size) }] }));
  app.registerTool("die", { description: "The server process exits mid-call." }, async () => {
    setTimeout(() => process.exit(3), 20);
    return new Promise(() => {});
  });
  app.registerTool("ask", { description: "Asks the client's model, reporting progress." }, async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: 1, total: 2 } });
    }
    const answer = await app.server.createMessage(
      { messages: [{ role: "user", content: { type: "text", text: "Summarise the refund policy." } }], maxTokens: 50 },
      { relatedRequestId: extra.requestId },
    );
    // On the request's own stream (over HTTP), so that it arrives in order.
    await extra.sendNotification({ method: "notifications/message", params: { level: "warning", data: "asked the client's model" } });
    if (token !== undefined) {
      await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: 2, total: 2 } });
    }
    return { content: [{ type: "text", text: `the model said: ${answer.content.text}` }] };
  });
  app.registerTool("confirm", { description: "Asks the user, and for the client's roots." }, async (extra) => {
    const related = { relatedRequestId: extra.requestId };
    const answer = await app.server.elicitInput(
      { message: "Refund order 42?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } },
      related,
    );
    const { roots } = await app.server.listRoots(undefined, related);
    return { content: [{ type: "text", text: `${answer.action} with ${roots.length} root(s)` }] };
  });
  app.registerResource("policy", "memo://policy", { description: "A resource." },
    async (uri) => ({ contents: [{ uri: uri.href, text: "cards are never logged" }] }));
  app.registerPrompt("review", { description: "A prompt.", argsSchema: { topic: z.string() } },
    ({ topic }) => ({ messages: [{ role: "user", content: { type: "text", text: `Review ${topic} for compliance.` } }] }));
  if (auditFile !== undefined) {
    wrapServer(app, audit, { component: "billing-tools", transport: http ? "streamable-http" : "stdio" });
  }
  return app;
}

let wrapServer;
if (auditFile !== undefined) {
  const lib = await import("@lokryn/compliance-log");
  ({ wrapServer } = await import("@lokryn/compliance-log/mcp"));
  audit = new lib.AuditLogger({ sinks: [lib.sinks.JsonLines(auditFile)], profile: "soc2" });
}

if (!http) {
  await build().connect(new StdioServerTransport());
} else {
  const sessions = new Map();
  const server = createServer(async (req, res) => {
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (transport === undefined) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await build().connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  process.on("SIGTERM", () => {
    audit?.close();
    process.exit(0);
  });
}
