// The shared MCP cases (tests/vectors/mcp/cases.json, see the README there)
// through @lokryn/compliance-log/mcp: `withLogging` over a stub Client, and
// `loggingTransport` over a stub Transport for every case that exists on the
// wire. Python runs the same cases (tests/python/test_mcp_cases.py), so both
// languages write the same records. Node package only.

import { assert, isNode, test } from "./harness.js";
import { binding, lib } from "./lib.js";

const skip = binding === "node" ? false : "the MCP wrapper ships in the Node package only";

const fs = isNode ? await import("node:fs") : null;
const VECTORS = isNode
  ? JSON.parse(fs.readFileSync(new URL("../vectors/mcp/cases.json", import.meta.url), "utf8"))
  : { cases: [], eventTypes: {}, asked: {} };
const CASES = VECTORS.cases;

test("mcp: the event type of each method is the shared one", { skip }, async () => {
  const { eventTypeOf, METHODS, ASKED } = await import("@lokryn/compliance-log/mcp");
  const name = (value) => Object.keys(lib.EventType).find((k) => lib.EventType[k] === value);
  const got = Object.fromEntries(Object.keys(VECTORS.eventTypes).map((m) => [m, name(eventTypeOf(m))]));
  assert.deepEqual(got, VECTORS.eventTypes);
  // Every method the wrapper names is in the shared table (so Python is held to it too).
  for (const method of Object.keys(METHODS)) assert.ok(method in VECTORS.eventTypes, method);
  assert.deepEqual(Object.fromEntries(Object.entries(ASKED).map(([m, t]) => [m, name(t)])), VECTORS.asked);
});

function camel(options) {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]));
}

function memoryLogger() {
  const entries = [];
  return { entries, logger: new lib.AuditLogger({ sinks: [{ write: (e) => entries.push(e) }] }) };
}

/** The record's proto3 JSON limited to `keys`, the payload as its JSON value. */
function actual(entry, keys) {
  const json = lib.toJson(entry);
  const out = {};
  for (const key of keys) {
    if (key === "payloadJson") {
      out[key] = json.payload ? JSON.parse(Buffer.from(json.payload, "base64").toString("utf8")) : null;
    } else {
      out[key] = json[key] ?? (key === "errorCode" || key === "errorMessage" ? "" : null);
    }
  }
  return out;
}

function expected(c) {
  return c.records.map((r) => {
    const out = { ...r };
    if (c.exception) {
      for (const key of ["errorCode", "message"]) out[key] = out[key].replace("<exception class>", c.exception.node);
    }
    return out;
  });
}

function compare(c, entries) {
  const want = expected(c);
  assert.deepEqual(entries.map((e, i) => actual(e, Object.keys(want[i] ?? {}))), want);
}

/** Enough of the SDK's Client: numbers its requests from 7 and answers as the case says. */
class StubClient {
  constructor(c, McpError, abort) {
    this.c = c;
    this.McpError = McpError;
    this.abort = abort;
    this._requestMessageId = 7;
  }

  request() {
    this._requestMessageId += 1; // taken synchronously, as the SDK does
    const { c, McpError } = this;
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        if (c.error) reject(new McpError(c.error.code, c.error.message));
        else if (c.failure === "timeout") reject(new McpError(-32001, "Request timed out"));
        else if (c.failure === "connection_closed") reject(new McpError(-32000, "Connection closed"));
        else if (c.failure === "cancelled") {
          this.abort.abort();
          reject(new McpError(-32001, String(this.abort.signal.reason)));
        } else if (c.failure === "exception") reject(new TypeError(c.exception.message));
        else resolve(structuredClone(c.result ?? {}));
      });
    });
  }

  connect(transport) {
    // As Protocol.connect: the message handler is installed before anything is awaited.
    let answer;
    transport.onmessage = (message) => { answer = message.result; };
    const id = this._requestMessageId++;
    return (async () => {
      await new Promise((r) => setImmediate(r));
      transport.onmessage({ jsonrpc: "2.0", id, result: structuredClone(this.c.result) });
      this._serverVersion = answer.serverInfo;
    })();
  }

  getServerVersion() {
    return this._serverVersion;
  }

  async sendRootsListChanged() {}
}
for (const name of ["ping", "listTools", "callTool", "listResources", "listResourceTemplates", "readResource",
  "subscribeResource", "unsubscribeResource", "listPrompts", "getPrompt", "complete", "setLoggingLevel"]) {
  StubClient.prototype[name] = function request() {
    return this.request();
  };
}

/** The Client call that sends the case's method. */
function invoke(client, c, signal) {
  const p = c.params;
  const o = { signal };
  switch (c.method) {
    case "initialize": return client.connect({});
    case "ping": return client.ping(o);
    case "tools/list": return client.listTools(undefined, o);
    case "tools/call": return client.callTool(p, undefined, o);
    case "resources/list": return client.listResources(undefined, o);
    case "resources/templates/list": return client.listResourceTemplates(undefined, o);
    case "resources/read": return client.readResource(p, o);
    case "resources/subscribe": return client.subscribeResource(p, o);
    case "resources/unsubscribe": return client.unsubscribeResource(p, o);
    case "prompts/list": return client.listPrompts(undefined, o);
    case "prompts/get": return client.getPrompt(p, o);
    case "completion/complete": return client.complete(p, o);
    case "logging/setLevel": return client.setLoggingLevel(p.level, o);
    case "notifications/roots/list_changed": return client.sendRootsListChanged();
    default: throw new Error(`no call for ${c.method}`);
  }
}

for (const c of CASES) {
  if (c.from_server) {
    // What the server sends on its own passes through the transport only.
    test(`mcp case (loggingTransport): ${c.name}`, { skip }, async () => {
      const { loggingTransport } = await import("@lokryn/compliance-log/mcp");
      const { entries, logger } = memoryLogger();
      const stub = { async start() {}, async send() {}, async close() {} };
      const transport = loggingTransport(stub, logger, camel(c.options));
      await transport.start();
      stub.onmessage({ jsonrpc: "2.0", ...c.from_server });
      if (c.answer) await transport.send({ jsonrpc: "2.0", id: c.from_server.id, ...c.answer });
      assert.equal(transport.loggingErrors, 0);
      compare(c, entries.filter((e) => !e.mcp.methodName.startsWith("transport/")));
    });
    continue;
  }
  test(`mcp case (withLogging): ${c.name}`, { skip }, async () => {
    const { withLogging } = await import("@lokryn/compliance-log/mcp");
    const { McpError } = await import("@modelcontextprotocol/sdk/types.js");
    const { entries, logger } = memoryLogger();
    const abort = new AbortController();
    const client = withLogging(new StubClient(c, McpError, abort), logger, camel(c.options));
    try {
      await invoke(client, c, abort.signal);
    } catch {
      // The case's failure, as the client throws it.
    }
    assert.equal(client.loggingErrors, 0);
    compare(c, entries);
  });

  if (c.failure === "exception") continue; // nothing on the wire says it
  test(`mcp case (loggingTransport): ${c.name}`, { skip }, async () => {
    const { loggingTransport } = await import("@lokryn/compliance-log/mcp");
    const { entries, logger } = memoryLogger();
    const stub = {
      async start() {},
      async send() {},
      async close() {},
    };
    const transport = loggingTransport(stub, logger, camel(c.options));
    await transport.start();
    const id = 7;
    const answer = (message) => stub.onmessage({ jsonrpc: "2.0", id, ...message });
    if (c.method === "initialize") {
      await transport.send({
        jsonrpc: "2.0", id, method: "initialize",
        params: { protocolVersion: c.result.protocolVersion, capabilities: {}, clientInfo: { name: "someone-else", version: "0" } },
      });
      answer({ result: c.result });
      await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    } else if (c.method.startsWith("notifications/")) {
      await transport.send({ jsonrpc: "2.0", method: c.method, ...(c.params ? { params: c.params } : {}) });
    } else {
      await transport.send({ jsonrpc: "2.0", id, method: c.method, ...(c.params ? { params: c.params } : {}) });
      const cancel = (reason) => transport.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason } });
      if (c.error) answer({ error: c.error });
      else if (c.failure === "timeout") await cancel("McpError: MCP error -32001: Request timed out");
      else if (c.failure === "cancelled") await cancel("AbortError: This operation was aborted");
      else if (c.failure === "connection_closed") stub.onclose();
      else answer({ result: c.result });
    }
    assert.equal(transport.loggingErrors, 0);
    const [connect, ...rest] = entries;
    assert.deepEqual([connect.eventType, connect.mcp.methodName], [lib.EventType.EVENT_TRANSPORT_CONNECT, "transport/connect"]);
    compare(c, rest.filter((e) => !e.mcp.methodName.startsWith("transport/")));
  });
}
