// @lokryn/compliance-log/mcp: an audit record for every request an MCP
// client or server handles (docs/mcp.md). Three ways in, for the official
// TypeScript SDK (`@modelcontextprotocol/sdk`, an optional peer: nothing here
// loads it):
//
//   withLogging(client, logger, options)        a drop-in proxy of a `Client`
//   loggingTransport(transport, logger, options) any `Transport`, both directions
//   wrapServer(server, logger, options)          the request handlers of a
//                                                `Server` or `McpServer`
//
// The records have the shape the Python wrapper (lokryn_compliance_log.mcp)
// gives them: tests/vectors/mcp/cases.json holds both to it. Each record is
// redacted once here (so that profiles refusing, say, card numbers accept
// it) and then logged through the AuditLogger, which completes it (the
// caller's OpenTelemetry trace context among the rest) and redacts again.
//
// Logging never changes what a call returns or throws: a record that cannot
// be written is counted (`loggingErrors`) and reported to `onLoggingError`
// (default: a process warning of type "McpLoggingWarning").
"use strict";

const { createHash } = require("node:crypto");
const { performance } = require("node:perf_hooks");

const lib = require("./index.js");

const { EventType, Outcome, Severity, ActorType, PayloadFormat } = lib;

// `@opentelemetry/api`, when installed: the transport wrapper writes a
// request's record in the context the request was sent from.
let otel = null;
try {
  otel = require("@opentelemetry/api");
} catch {
  otel = null;
}

/** MCP methods and the `EventType` of their records (as the Python wrapper's METHODS). */
const METHODS = Object.freeze({
  initialize: EventType.EVENT_MCP_INITIALIZE,
  "notifications/initialized": EventType.EVENT_MCP_INITIALIZED,
  ping: EventType.EVENT_MCP_PING,
  "tools/list": EventType.EVENT_TOOL_LIST,
  "tools/call": EventType.EVENT_TOOL_INVOCATION,
  "resources/list": EventType.EVENT_RESOURCE_LIST,
  "resources/templates/list": EventType.EVENT_RESOURCE_LIST,
  "resources/read": EventType.EVENT_RESOURCE_READ,
  "resources/subscribe": EventType.EVENT_RESOURCE_ACCESS,
  "resources/unsubscribe": EventType.EVENT_RESOURCE_ACCESS,
  "prompts/list": EventType.EVENT_PROMPT_LIST,
  "prompts/get": EventType.EVENT_PROMPT_EXECUTION,
  "completion/complete": EventType.EVENT_RESOURCE_ACCESS,
  "logging/setLevel": EventType.EVENT_CONFIG_CHANGE,
  shutdown: EventType.EVENT_MCP_SHUTDOWN,
  // What a server asks of the client (sampling and elicitation: the answer;
  // ASKED has the type of the record written when the request arrives)...
  "sampling/createMessage": EventType.EVENT_SAMPLING_RESPONSE,
  "elicitation/create": EventType.EVENT_ELICITATION_RESPONSE,
  "roots/list": EventType.EVENT_ROOTS_LIST,
  // ... and the notifications of either side. Progress and cancellation
  // take the type of the request they are about, when it is known.
  "notifications/roots/list_changed": EventType.EVENT_MCP_NOTIFICATION,
  "notifications/tools/list_changed": EventType.EVENT_MCP_NOTIFICATION,
  "notifications/resources/list_changed": EventType.EVENT_MCP_NOTIFICATION,
  "notifications/prompts/list_changed": EventType.EVENT_MCP_NOTIFICATION,
  "notifications/resources/updated": EventType.EVENT_MCP_NOTIFICATION,
  "notifications/message": EventType.EVENT_MCP_LOG_MESSAGE,
  "notifications/progress": EventType.EVENT_MCP_NOTIFICATION,
  "notifications/cancelled": EventType.EVENT_MCP_NOTIFICATION,
  // Not MCP methods: the transport's own events.
  "transport/connect": EventType.EVENT_TRANSPORT_CONNECT,
  "transport/close": EventType.EVENT_TRANSPORT_DISCONNECT,
  "transport/error": EventType.EVENT_TRANSPORT_ERROR,
});

/** The requests whose answer a record keeps (in `payload.result`). */
const KEEP_RESULT = new Set(["sampling/createMessage", "elicitation/create", "roots/list"]);

/**
 * The requests of a server recorded twice: when they arrive, with this
 * `EventType` (the request's arguments), and when answered, with METHODS'.
 */
const ASKED = Object.freeze({
  "sampling/createMessage": EventType.EVENT_SAMPLING_REQUEST,
  "elicitation/create": EventType.EVENT_ELICITATION_REQUEST,
});

/**
 * The `EventType` of a record of `method`: METHODS', else
 * EVENT_MCP_NOTIFICATION for a notification and EVENT_RESOURCE_ACCESS for
 * a request.
 */
function eventTypeOf(method) {
  const known = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (known !== undefined) return known;
  return typeof method === "string" && method.startsWith("notifications/")
    ? EventType.EVENT_MCP_NOTIFICATION
    : EventType.EVENT_RESOURCE_ACCESS;
}

/** The `Client` methods `withLogging` records, each with the MCP method it sends. */
const CLIENT_METHODS = Object.freeze({
  connect: "initialize",
  ping: "ping",
  listTools: "tools/list",
  callTool: "tools/call",
  listResources: "resources/list",
  listResourceTemplates: "resources/templates/list",
  readResource: "resources/read",
  subscribeResource: "resources/subscribe",
  unsubscribeResource: "resources/unsubscribe",
  listPrompts: "prompts/list",
  getPrompt: "prompts/get",
  complete: "completion/complete",
  setLoggingLevel: "logging/setLevel",
  sendRootsListChanged: "notifications/roots/list_changed",
  close: "shutdown",
});

// Error codes of the outcomes that are not JSON-RPC errors.
const TOOL_ERROR = "TOOL_ERROR";
const TIMEOUT = "TIMEOUT";
const CANCELLED = "CANCELLED";
const CONNECTION_CLOSED = "CONNECTION_CLOSED";
// The SDK's codes for a request that got no answer in time (-32001; the
// Python SDK 1.x uses HTTP's 408) and for a closed connection.
const TIMEOUT_CODES = new Set([408, -32001]);
const CONNECTION_CLOSED_CODE = -32000;
/** What `errorMessage` may hold, cut on a character boundary (as Python's). */
const MESSAGE_BYTES = 4000;

const OPTIONS = new Set([
  "actorId", "actorType", "onBehalfOf", "delegationChain", "component", "environment", "policyTags",
  "sensitivity", "sessionId", "clientId", "clientVersion", "transport", "agentId", "agentName",
  "conversationId", "logArguments", "maxValueBytes", "redact", "onLoggingError",
]);

function optionError(message, field) {
  const err = new TypeError(`@lokryn/compliance-log/mcp: ${message}`);
  err.code = "TYPE";
  err.field = field;
  return err;
}

/** The value of `text` cut to `bytes` UTF-8 bytes, never inside a character. */
function cutText(text, bytes) {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end -= 1; // a continuation byte
  return buf.subarray(0, end).toString("utf8");
}

/**
 * `value`, or when its JSON is longer than `limit` bytes a summary keeping
 * its size and SHA-256 instead of the content.
 */
function cut(value, limit) {
  if (limit === null || value === undefined) return value;
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    // A BigInt, a cycle: described rather than losing the whole record.
    text = JSON.stringify(String(value));
    value = String(value);
  }
  if (text === undefined) return value;
  // Each UTF-16 unit is at most 3 UTF-8 bytes: short text needs no count.
  if (text.length * 3 <= limit) return value;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= limit) return value;
  return { truncated: true, bytes, sha256: createHash("sha256").update(text, "utf8").digest("hex") };
}

function delegation(chain, onBehalfOf) {
  const links = [];
  if (onBehalfOf) links.push({ actorId: String(onBehalfOf), actorType: ActorType.USER });
  for (const link of chain ?? []) {
    if (typeof link === "string") links.push({ actorId: link });
    else if (link !== null && typeof link === "object") links.push({ ...link });
    else throw optionError("delegationChain: each link is an actor id or an object of DelegationLink fields", "delegationChain");
  }
  return links;
}

/** The options checked, and the parts of every record they give. */
function settings(options, defaultComponent) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== "object") throw optionError("options must be an object", "options");
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) {
      throw optionError(`unknown option \`${key}\` (known: ${[...OPTIONS].join(", ")})`, key);
    }
  }
  const o = options;
  const limit = o.maxValueBytes === undefined ? 4096 : o.maxValueBytes;
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw optionError("maxValueBytes must be a non-negative integer or null", "maxValueBytes");
  }
  const redact = o.redact === undefined ? true : o.redact;
  if (typeof redact !== "boolean" && typeof redact !== "string" && !(redact instanceof Uint8Array)) {
    throw optionError("redact must be a boolean or the key (a string or bytes) of keyed redaction", "redact");
  }
  if (o.onLoggingError !== undefined && typeof o.onLoggingError !== "function") {
    throw optionError("onLoggingError must be a function", "onLoggingError");
  }
  const base = {
    actorId: o.actorId || o.clientId || "mcp-client",
    actorType: o.actorType ?? ActorType.AGENT,
    component: o.component || defaultComponent,
  };
  if (o.environment) base.environment = o.environment;
  if (o.policyTags && o.policyTags.length > 0) base.policyTags = [...o.policyTags];
  if (o.sensitivity !== undefined && o.sensitivity !== null) base.sensitivity = o.sensitivity;
  if (o.sessionId) base.sessionId = o.sessionId;
  const chain = delegation(o.delegationChain, o.onBehalfOf);
  if (chain.length > 0) base.delegationChain = chain;
  const genai = {};
  if (o.agentId) genai.agentId = o.agentId;
  if (o.agentName) genai.agentName = o.agentName;
  if (o.conversationId) genai.conversationId = o.conversationId;
  return {
    base,
    genai,
    mcp: {
      sessionId: o.sessionId || "",
      transport: o.transport || "",
      clientName: o.clientId || "",
      clientVersion: o.clientVersion || "",
    },
    actorGiven: Boolean(o.actorId || o.clientId),
    logArguments: o.logArguments !== false,
    limit,
    redactOptions: redact === false ? null : typeof redact === "boolean" ? {} : { key: redact },
    onLoggingError: o.onLoggingError ?? null,
  };
}

/** One call, described as it goes, and turned into a record at the end. */
class Call {
  constructor(method, params) {
    this.method = method;
    this.eventType = eventTypeOf(method);
    this.requestId = "";
    this.tool = "";
    this.prompt = "";
    this.uri = "";
    this.arguments = undefined;
    this.payload = null;
    this.progressToken = undefined;
    this.started = performance.now();
    // The trace context of the caller (transport wrapper only).
    this.context = undefined;
    // GenAI fields of a sampling request (as the Python wrapper fills them).
    this.genai = null;
    if (params !== undefined && params !== null && typeof params === "object") this.describe(params);
  }

  /** What the request's params say about the call. */
  describe(params) {
    switch (this.method) {
      case "tools/call":
        this.tool = String(params.name ?? "");
        this.arguments = params.arguments;
        break;
      case "prompts/get":
        this.prompt = String(params.name ?? "");
        this.arguments = params.arguments;
        break;
      case "resources/read":
      case "resources/subscribe":
      case "resources/unsubscribe":
      case "notifications/resources/updated":
        this.uri = String(params.uri ?? "");
        break;
      case "completion/complete": {
        const ref = params.ref ?? {};
        this.uri = String(ref.uri ?? "");
        this.prompt = this.uri ? "" : String(ref.name ?? "");
        this.arguments = params.argument;
        break;
      }
      case "logging/setLevel":
        this.payload = { level: params.level };
        break;
      case "sampling/createMessage":
      case "elicitation/create": {
        // What the server asks (the messages, the question): redacted like
        // a tool's arguments.
        const { _meta, ...asked } = params;
        this.arguments = asked;
        if (this.method === "sampling/createMessage") {
          this.genai = { operationName: "chat" };
          if (Number.isSafeInteger(params.maxTokens)) this.genai.maxTokens = params.maxTokens;
          if (typeof params.temperature === "number") this.genai.temperature = params.temperature;
        }
        break;
      }
      case "notifications/message":
        this.payload = { level: params.level, logger: params.logger, data: params.data };
        break;
      case "notifications/progress":
        this.payload = { progress: params.progress, total: params.total, message: params.message };
        break;
      default:
        break;
    }
  }
}

/** The text of a tool result's text items, joined. */
function textOf(result) {
  const parts = [];
  for (const item of result?.content ?? []) {
    if (typeof item?.text === "string") parts.push(item.text);
  }
  return parts.join("\n");
}

/** `[outcome, errorCode, message, jsonrpcCode]` of what a call threw. */
function classify(error, cancelled) {
  if (cancelled) return [CANCELLED, "the call was cancelled before the server answered", undefined];
  const code = error?.code;
  let text = error instanceof Error ? error.message : String(error);
  if (Number.isInteger(code)) {
    // The SDK's McpError puts "MCP error <code>: " before the server's message.
    const prefix = `MCP error ${code}: `;
    if (text.startsWith(prefix)) text = text.slice(prefix.length);
    if (TIMEOUT_CODES.has(code)) return [TIMEOUT, text, code];
    if (code === CONNECTION_CLOSED_CODE) return [CONNECTION_CLOSED, text, code];
    return [String(code), text, code];
  }
  if (error?.name === "TimeoutError") return [TIMEOUT, text, undefined];
  if (error?.name === "AbortError") return [CANCELLED, text, undefined];
  const name = error instanceof Error ? error.constructor?.name || error.name : "Error";
  return [name || "Error", text, undefined];
}

function summary(call, code) {
  const target = call.tool || call.prompt || call.uri;
  let text = target ? `MCP ${call.method} ${target}` : `MCP ${call.method}`;
  if (code) text += ` failed (${code})`;
  return text;
}

const SEVERITY_OF_LEVEL = {
  debug: Severity.DEBUG,
  info: Severity.INFO,
  notice: Severity.NOTICE,
  warning: Severity.WARNING,
  error: Severity.ERROR,
  critical: Severity.CRITICAL,
  alert: Severity.ALERT,
  emergency: Severity.EMERGENCY,
};

/**
 * What every wrapper shares: the options, the logger, what was learned of
 * the session (server, protocol version, client), and writing records.
 */
class Recorder {
  constructor(logger, options, defaultComponent) {
    if (logger === null || typeof logger !== "object" || typeof logger.log !== "function") {
      throw optionError("logger must be an AuditLogger", "logger");
    }
    this.logger = logger;
    this.s = settings(options, defaultComponent);
    this.loggingErrors = 0;
    this.protocolVersion = "";
    this.serverName = "";
    this.serverVersion = "";
    this.hasServer = false;
    /** The transport's own session id (streamable HTTP), when the options give none. */
    this.sessionOf = undefined;
  }

  /** The server's info and the protocol version, from an initialize result. */
  learnServer(result) {
    if (result === null || typeof result !== "object") return;
    if (typeof result.protocolVersion === "string") this.protocolVersion = result.protocolVersion;
    const info = result.serverInfo;
    if (info !== null && typeof info === "object") {
      this.serverName = String(info.name ?? "");
      this.serverVersion = String(info.version ?? "");
      this.hasServer = true;
    }
  }

  /** The client's info, unless the options named it. */
  learnClient(info) {
    if (info === null || typeof info !== "object") return;
    if (!this.s.mcp.clientName) this.s.mcp.clientName = String(info.name ?? "");
    if (!this.s.mcp.clientVersion) this.s.mcp.clientVersion = String(info.version ?? "");
  }

  failed(err) {
    this.loggingErrors += 1;
    try {
      if (this.s.onLoggingError !== null) {
        this.s.onLoggingError(err);
      } else {
        process.emitWarning(`@lokryn/compliance-log/mcp: an audit record was not written: ${err?.message ?? err}`, {
          type: "McpLoggingWarning",
          code: typeof err?.code === "string" ? err.code : "ERROR",
        });
      }
    } catch {
      // A reporter that throws: still never break the call.
    }
  }

  /**
   * Writes the record of `call`: `result` when it was answered, else `error`
   * (with `cancelled` when the caller gave up on it). Never throws.
   */
  write(call, result, error, how = {}) {
    try {
      const fields = this.fields(call, result, error, how);
      const entry = this.s.redactOptions === null ? fields : lib.redact(fields, this.s.redactOptions).entry;
      if (call.context !== undefined && otel !== null) {
        otel.context.with(call.context, () => this.logger.log(entry));
      } else {
        this.logger.log(entry);
      }
    } catch (err) {
      this.failed(err);
    }
  }

  fields(call, result, error, how) {
    const s = this.s;
    const fields = { ...s.base };
    if (how.actorId) fields.actorId = how.actorId;
    fields.eventType = call.eventType;
    fields.durationMs = Math.max(0, Math.floor(performance.now() - call.started));
    const mcp = {};
    for (const key of ["sessionId", "transport", "clientName", "clientVersion"]) {
      if (s.mcp[key]) mcp[key] = s.mcp[key];
    }
    if (!mcp.sessionId) {
      const session = how.sessionId ?? this.sessionOf?.();
      if (typeof session === "string" && session !== "") mcp.sessionId = session;
    }
    mcp.methodName = call.method;
    if (call.requestId) mcp.requestId = call.requestId;
    if (call.tool) mcp.toolName = call.tool;
    if (call.prompt) mcp.promptName = call.prompt;
    if (call.uri) mcp.resourceUri = call.uri;
    if (this.protocolVersion) mcp.protocolVersion = this.protocolVersion;
    if (this.hasServer) {
      if (this.serverName) mcp.serverName = this.serverName;
      if (this.serverVersion) mcp.serverVersion = this.serverVersion;
    }
    const genai = { ...s.genai, ...call.genai };
    if (call.tool) {
      genai.operationName = "execute_tool";
      genai.toolName = call.tool;
      fields.resource = `tools/${call.tool}`;
    } else if (call.prompt) {
      fields.resource = `prompts/${call.prompt}`;
    } else if (call.uri) {
      fields.resource = call.uri;
    } else {
      fields.resource = call.method || how.resource || "mcp";
    }

    const payload = call.payload === null ? {} : { ...call.payload };
    if (payload.data !== undefined) {
      // A server's log message: content like a tool's result.
      payload.data = s.logArguments ? cut(payload.data, s.limit) : undefined;
    }
    if (s.logArguments && call.arguments !== undefined && call.arguments !== null) {
      const args = call.arguments;
      if (typeof args === "object" && !Array.isArray(args)) {
        const out = {};
        for (const [k, v] of Object.entries(args)) out[k] = cut(v, s.limit);
        payload.arguments = out;
      } else {
        payload.arguments = cut(args, s.limit);
      }
    }

    let code = "";
    let message = "";
    if (error !== undefined) {
      let jsonrpc;
      [code, message, jsonrpc] = classify(error, how.cancelled === true);
      if (jsonrpc !== undefined) mcp.jsonrpcErrorCode = jsonrpc;
    } else if (call.tool && result !== undefined && result !== null) {
      if (result.isError === true) {
        code = TOOL_ERROR;
        message = textOf(result) || "the tool reported an error";
      }
      if (s.logArguments) {
        const content = Array.isArray(result.content) ? result.content : [];
        const out = { content: content.map((item) => cut(item, s.limit)) };
        if (result.structuredContent !== undefined && result.structuredContent !== null) {
          out.structuredContent = cut(result.structuredContent, s.limit);
        }
        payload.result = out;
      }
    } else if (KEEP_RESULT.has(call.method) && result !== null && typeof result === "object") {
      // The answer to what the server asked: the model's reply, the user's
      // choice, the roots.
      const { _meta, ...answer } = result;
      if (call.method === "sampling/createMessage") {
        if (typeof answer.model === "string" && answer.model) genai.responseModel = answer.model;
        if (typeof answer.stopReason === "string" && answer.stopReason) genai.finishReasons = [answer.stopReason];
      } else if (call.method === "elicitation/create" && typeof answer.action === "string") {
        payload.action = answer.action;
      }
      if (s.logArguments) payload.result = cut(answer, s.limit);
    }
    if (how.outcome !== undefined) {
      fields.outcome = how.outcome;
      fields.severity = how.severity;
    } else {
      fields.outcome = code ? Outcome.FAILURE_ERROR : Outcome.SUCCESS;
      fields.severity = code ? Severity.ERROR : Severity.INFO;
    }
    if (code) {
      fields.errorCode = code;
      fields.errorMessage = cutText(message, MESSAGE_BYTES);
    }
    fields.message = how.message ?? summary(call, code);
    fields.mcp = mcp;
    if (Object.keys(genai).length > 0) fields.genai = genai;
    for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
    if (Object.keys(payload).length > 0) {
      fields.payload = Buffer.from(JSON.stringify(payload), "utf8");
      fields.payloadFormat = PayloadFormat.JSON;
    }
    return fields;
  }

  /** A record of the transport itself (connect, disconnect, error). */
  writeTransportEvent(eventType, error) {
    // The names the Python wrapper gives these records in mcp.method_name.
    const name =
      eventType === EventType.EVENT_TRANSPORT_CONNECT
        ? "transport/connect"
        : eventType === EventType.EVENT_TRANSPORT_DISCONNECT
          ? "transport/close"
          : "transport/error";
    const call = new Call(name, undefined);
    call.eventType = eventType;
    const resource = this.s.mcp.transport ? `transport/${this.s.mcp.transport}` : "transport";
    const failed = error !== undefined;
    const text =
      eventType === EventType.EVENT_TRANSPORT_CONNECT
        ? "MCP transport connected"
        : eventType === EventType.EVENT_TRANSPORT_DISCONNECT
          ? "MCP transport closed"
          : "MCP transport failed";
    this.write(call, undefined, error, {
      resource,
      message: failed ? `${text} (${classify(error, false)[0]})` : text,
    });
  }
}

// ------------------------------------------------------------ withLogging

/** The id the SDK's `Protocol` will give its next request (undefined when it has no counter). */
function nextRequestId(client) {
  const value = client?._requestMessageId;
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Wraps `client` (an SDK `Client`, or an object with its methods) so that
 * each of the calls in CLIENT_METHODS writes an audit record through
 * `logger`. The proxy has the client's methods and properties (read and set
 * through it); `proxy.wrapped` is the client and `proxy.loggingErrors`
 * counts the records that could not be written.
 */
function withLogging(client, logger, options) {
  if (client === null || (typeof client !== "object" && typeof client !== "function")) {
    throw optionError("client must be an MCP Client", "client");
  }
  const rec = new Recorder(logger, options, "mcp-client");
  rec.learnClient(client._clientInfo);
  const wrappers = new Map();
  const bound = new WeakMap();

  function wrap(name, method) {
    const mcpMethod = CLIENT_METHODS[name];
    if (name === "connect") {
      return function connect(transport, ...rest) {
        return connectLogged(client, rec, method, transport, rest);
      };
    }
    const wrapped = {
      [name](...args) {
        const call = new Call(mcpMethod, undefined);
        let signal;
        let before;
        try {
          describeClientCall(name, call, args);
          signal = requestOptions(name, args)?.signal;
          before = nextRequestId(client);
        } catch (err) {
          rec.failed(err);
        }
        let promise;
        try {
          promise = method.apply(client, args);
        } catch (err) {
          // Not an async function after all: a synchronous throw stays one.
          call.requestId = requestIdAfter(client, before);
          rec.write(call, undefined, err, { cancelled: signal?.aborted === true });
          throw err;
        }
        call.requestId = requestIdAfter(client, before);
        if (promise === null || typeof promise?.then !== "function") {
          rec.write(call, promise, undefined);
          return promise;
        }
        return promise.then(
          (result) => {
            rec.write(call, result, undefined);
            return result;
          },
          (err) => {
            rec.write(call, undefined, err, { cancelled: signal?.aborted === true });
            throw err;
          },
        );
      },
    }[name];
    return wrapped;
  }

  const proxy = new Proxy(client, {
    get(target, prop) {
      if (prop === "wrapped") return target;
      if (prop === "loggingErrors") return rec.loggingErrors;
      const value = Reflect.get(target, prop, target);
      if (typeof prop === "string" && Object.hasOwn(CLIENT_METHODS, prop) && typeof value === "function") {
        let w = wrappers.get(prop);
        if (w === undefined || w.method !== value) {
          w = { method: value, fn: wrap(prop, value) };
          wrappers.set(prop, w);
        }
        return w.fn;
      }
      if (typeof value === "function") {
        // Called with the client as `this` (its own fields, private or not).
        let fn = bound.get(value);
        if (fn === undefined) {
          fn = value.bind(target);
          bound.set(value, fn);
        }
        return fn;
      }
      return value;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
    has(target, prop) {
      return prop === "wrapped" || prop === "loggingErrors" || Reflect.has(target, prop);
    },
  });
  return proxy;
}

/** The `RequestOptions` argument of a Client method (where it has one). */
function requestOptions(name, args) {
  const index =
    name === "callTool" ? 2 : name === "ping" ? 0 : name === "sendRootsListChanged" || name === "close" ? -1 : 1;
  const value = index >= 0 ? args[index] : undefined;
  return value !== null && typeof value === "object" ? value : undefined;
}

function describeClientCall(name, call, args) {
  const params = args[0];
  if (name === "setLoggingLevel") {
    call.payload = { level: params };
  } else if (name !== "ping" && name !== "close" && name !== "sendRootsListChanged" && params) {
    call.describe(params);
  }
}

/** The id the request got, when the counter moved past `before`. */
function requestIdAfter(client, before) {
  if (before === undefined) return "";
  const now = nextRequestId(client);
  return now !== undefined && now > before ? String(before) : "";
}

/**
 * `client.connect(transport)`: an `initialize` record (protocol version and
 * server info from the answer) and, once connected, one of
 * `notifications/initialized`, which the SDK sends.
 */
async function connectLogged(client, rec, connect, transport, rest) {
  const call = new Call("initialize", undefined);
  let before;
  try {
    before = nextRequestId(client);
  } catch (err) {
    rec.failed(err);
  }
  let promise;
  let unwatch = () => {};
  try {
    unwatch = watchStart(transport, rec);
    promise = connect.call(client, transport, ...rest);
    // `Protocol.connect` installs its `onmessage` before it awaits: look at
    // the answer to initialize on its way in (the negotiated version is kept
    // nowhere else).
    peekInitialize(transport, before, rec);
  } catch (err) {
    unwatch();
    rec.write(call, undefined, err);
    throw err;
  }
  try {
    await promise;
  } catch (err) {
    unwatch();
    call.requestId = requestIdAfter(client, before);
    rec.write(call, undefined, err);
    throw err;
  }
  unwatch();
  call.requestId = requestIdAfter(client, before);
  const server = client.getServerVersion?.();
  if (server !== undefined) rec.learnServer({ serverInfo: server, protocolVersion: rec.protocolVersion || undefined });
  // Reconnecting a transport that has a session sends nothing: no record
  // (known by the SDK's request counter, which did not move).
  if (before === undefined || call.requestId !== "") {
    rec.write(call, undefined, undefined);
    rec.write(new Call("notifications/initialized", undefined), undefined, undefined);
  }
}

/**
 * Records the transport's start (`Protocol.connect` calls it before it
 * sends initialize) as EVENT_TRANSPORT_CONNECT, like the Python wrapper's
 * `transport/connect`. The transport's own `start` is put back on its first
 * call, or by the returned function (when connect did not call it). Never
 * throws.
 */
function watchStart(transport, rec) {
  const nothing = () => {};
  try {
    if (transport === null || typeof transport !== "object") return nothing;
    const start = transport.start;
    if (typeof start !== "function") return nothing;
    const own = Object.hasOwn(transport, "start");
    let watching = true;
    const restore = () => {
      if (!watching) return;
      watching = false;
      if (own) transport.start = start;
      else delete transport.start;
    };
    transport.start = async function startLogged(...args) {
      restore();
      try {
        await start.apply(this, args);
      } catch (err) {
        rec.writeTransportEvent(EventType.EVENT_TRANSPORT_CONNECT, err);
        throw err;
      }
      rec.writeTransportEvent(EventType.EVENT_TRANSPORT_CONNECT, undefined);
    };
    return restore;
  } catch (err) {
    rec.failed(err);
    return nothing;
  }
}

function peekInitialize(transport, id, rec) {
  if (transport === null || typeof transport !== "object") return;
  const inner = transport.onmessage;
  if (typeof inner !== "function" || id === undefined) return;
  const peek = function onmessage(message, extra) {
    try {
      if (message && message.id === id) {
        // The answer to initialize, a result or an error: looked at once.
        if ("result" in message) rec.learnServer(message.result);
        if (transport.onmessage === peek) transport.onmessage = inner;
      }
    } catch (err) {
      rec.failed(err);
    }
    return inner.call(this, message, extra);
  };
  transport.onmessage = peek;
}

// ------------------------------------------------------- loggingTransport

/**
 * Wraps `transport` (any SDK `Transport`: stdio, streamable HTTP, SSE,
 * in-memory, on either side) so that every JSON-RPC message through it
 * writes a record: a request when its response passes the other way
 * (paired by id, in both directions), a notification when it passes, and
 * the transport's start, close and errors. Use the returned object where
 * the transport was used.
 */
function loggingTransport(transport, logger, options) {
  if (transport === null || typeof transport !== "object" || typeof transport.send !== "function") {
    throw optionError("transport must be an MCP Transport (with start, send and close)", "transport");
  }
  const rec = new Recorder(logger, options, "mcp-client");
  rec.sessionOf = () => transport.sessionId;
  const outgoing = new Map(); // id -> Call, requests sent
  const incoming = new Map(); // id -> Call, requests received
  const progress = new Map(); // progress token -> method
  const handlers = { onmessage: undefined, onclose: undefined, onerror: undefined };
  let closed = false;

  function activeContext() {
    return otel === null ? undefined : otel.context.active();
  }

  function request(message, into) {
    const call = new Call(message.method, message.params);
    call.requestId = String(message.id);
    call.context = activeContext();
    if (message.method === "initialize") rec.learnClient(message.params?.clientInfo);
    const token = message.params?._meta?.progressToken;
    if (token !== undefined) {
      call.progressToken = String(token);
      progress.set(call.progressToken, message.method);
    }
    const asked = Object.hasOwn(ASKED, message.method) ? ASKED[message.method] : undefined;
    if (asked !== undefined) {
      // Recorded when it passes (with what is asked) and again when answered
      // (with the answer, under METHODS' type).
      const arrived = new Call(message.method, message.params);
      arrived.eventType = asked;
      arrived.requestId = call.requestId;
      arrived.context = call.context;
      rec.write(arrived, undefined, undefined);
      call.arguments = undefined;
    }
    into.set(String(message.id), call);
  }

  function response(message, from) {
    const key = String(message.id);
    const call = from.get(key);
    if (call === undefined) return;
    from.delete(key);
    if (call.progressToken !== undefined) progress.delete(call.progressToken);
    if (call.method === "initialize" && message.result) rec.learnServer(message.result);
    if (message.error !== undefined) {
      rec.write(call, undefined, jsonRpcError(message.error));
    } else {
      rec.write(call, message.result, undefined);
    }
  }

  function notification(message, sameWay) {
    const { method, params } = message;
    if (method === "notifications/cancelled") {
      // The request it cancels is recorded as cancelled (or timed out: the
      // SDK sends the same notification when it stops waiting).
      const key = String(params?.requestId);
      const call = sameWay.get(key);
      if (call !== undefined) {
        sameWay.delete(key);
        if (call.progressToken !== undefined) progress.delete(call.progressToken);
        const reason = String(params?.reason ?? "");
        const timedOut = /-32001|timed out/i.test(reason);
        const err = timedOut ? jsonRpcError({ code: -32001, message: reason }) : undefined;
        rec.write(call, undefined, err ?? new Error(reason || "cancelled"), { cancelled: !timedOut });
      }
      return;
    }
    const call = new Call(method, params);
    call.context = activeContext();
    if (method === "notifications/progress") {
      const of = progress.get(String(params?.progressToken));
      if (of !== undefined) call.eventType = eventTypeOf(of);
      call.requestId = params?.progressToken !== undefined ? String(params.progressToken) : "";
      rec.write(call, undefined, undefined, {
        outcome: Outcome.PARTIAL,
        severity: Severity.DEBUG,
        message: `MCP notifications/progress${of ? ` of ${of}` : ""}`,
      });
      return;
    }
    if (method === "notifications/message") {
      rec.write(call, undefined, undefined, {
        outcome: Outcome.SUCCESS,
        severity: SEVERITY_OF_LEVEL[params?.level] ?? Severity.INFO,
      });
      return;
    }
    rec.write(call, undefined, undefined);
  }

  /** Looks at one message (either direction); never throws. */
  function observe(message, sending) {
    try {
      const pendingMine = sending ? outgoing : incoming;
      const pendingTheirs = sending ? incoming : outgoing;
      if (Array.isArray(message)) {
        for (const m of message) observe(m, sending);
        return;
      }
      if (message === null || typeof message !== "object") return;
      if (typeof message.method === "string") {
        if (message.id !== undefined && message.id !== null) request(message, pendingMine);
        // A cancellation names a request sent the same way.
        else notification(message, pendingMine);
      } else if (message.id !== undefined && message.id !== null) {
        // A response answers a request that went the other way.
        response(message, pendingTheirs);
      }
    } catch (err) {
      rec.failed(err);
    }
  }

  function endPending() {
    const err = jsonRpcError({ code: CONNECTION_CLOSED_CODE, message: "Connection closed" });
    for (const pending of [outgoing, incoming]) {
      for (const call of pending.values()) rec.write(call, undefined, err);
      pending.clear();
    }
    progress.clear();
  }

  const own = {
    async start() {
      try {
        await transport.start();
      } catch (err) {
        rec.writeTransportEvent(EventType.EVENT_TRANSPORT_CONNECT, err);
        throw err;
      }
      rec.writeTransportEvent(EventType.EVENT_TRANSPORT_CONNECT, undefined);
    },
    send(message, sendOptions) {
      observe(message, true);
      return transport.send(message, sendOptions);
    },
    async close() {
      await transport.close();
    },
  };

  // The inner transport's callbacks: ours, which then call the ones set on
  // the wrapper (by the SDK's Protocol).
  transport.onmessage = (message, extra) => {
    observe(message, false);
    return handlers.onmessage?.(message, extra);
  };
  transport.onclose = () => {
    if (!closed) {
      closed = true;
      try {
        endPending();
        rec.writeTransportEvent(EventType.EVENT_TRANSPORT_DISCONNECT, undefined);
      } catch (err) {
        rec.failed(err);
      }
    }
    return handlers.onclose?.();
  };
  transport.onerror = (error) => {
    // Not the errors of its own teardown (streams aborted by close).
    if (!closed) rec.writeTransportEvent(EventType.EVENT_TRANSPORT_ERROR, error);
    return handlers.onerror?.(error);
  };

  return new Proxy(transport, {
    get(target, prop) {
      if (prop === "wrapped") return target;
      if (prop === "loggingErrors") return rec.loggingErrors;
      if (Object.hasOwn(handlers, prop)) return handlers[prop];
      if (Object.hasOwn(own, prop)) return own[prop];
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    set(target, prop, value) {
      if (Object.hasOwn(handlers, prop)) {
        handlers[prop] = value;
        return true;
      }
      return Reflect.set(target, prop, value, target);
    },
    has(target, prop) {
      return prop === "wrapped" || prop === "loggingErrors" || Reflect.has(target, prop);
    },
  });
}

/** An Error like the SDK's McpError, from a JSON-RPC error object. */
function jsonRpcError(error) {
  const err = new Error(String(error?.message ?? ""));
  err.name = "McpError";
  err.code = error?.code;
  return err;
}

// ------------------------------------------------------------- wrapServer

/**
 * Wraps the request handlers of `server` (an SDK `Server`, or an
 * `McpServer`, whose `server` it takes) so that every request it handles
 * writes a record: component "mcp-server", the actor the client (its
 * authenticated client id, else the name in its initialize request, else
 * the `actorId` option). Returns `server`; `loggingErrors(server)` counts
 * what could not be written.
 */
function wrapServer(server, logger, options) {
  const low = server?.server !== undefined && server?.server?._requestHandlers !== undefined ? server.server : server;
  const handlers = low?._requestHandlers;
  if (!(handlers instanceof Map)) {
    throw optionError("server must be an MCP Server or McpServer (of @modelcontextprotocol/sdk 1.x)", "server");
  }
  if (servers.has(low)) throw optionError("server: its handlers are wrapped already", "server");
  const rec = new Recorder(logger, options, "mcp-server");
  const wrapped = new WeakMap();
  const get = handlers.get;

  function logged(handler) {
    return async function handle(request, extra) {
      const call = new Call(request?.method ?? "", request?.params);
      const how = {};
      try {
        if (extra?.requestId !== undefined) call.requestId = String(extra.requestId);
        if (request?.method === "initialize") {
          const info = request.params?.clientInfo;
          if (info) {
            rec.s.mcp.clientName = String(info.name ?? "");
            rec.s.mcp.clientVersion = String(info.version ?? "");
          }
        }
        const client = low.getClientVersion?.();
        if (client && !rec.s.mcp.clientName) rec.learnClient(client);
        how.actorId = extra?.authInfo?.clientId || (rec.s.actorGiven ? undefined : rec.s.mcp.clientName || undefined);
        how.sessionId = extra?.sessionId;
      } catch (err) {
        rec.failed(err);
      }
      let result;
      try {
        result = await handler(request, extra);
      } catch (err) {
        how.cancelled = extra?.signal?.aborted === true;
        rec.write(call, undefined, err, how);
        throw err;
      }
      if (request?.method === "initialize") rec.learnServer(result);
      if (extra?.signal?.aborted === true) {
        rec.write(call, undefined, new Error("cancelled"), { ...how, cancelled: true });
      } else {
        rec.write(call, result, undefined, how);
      }
      return result;
    };
  }

  handlers.get = function getHandler(method) {
    const handler = get.call(this, method);
    if (typeof handler !== "function") return handler;
    let w = wrapped.get(handler);
    if (w === undefined) {
      w = logged(handler);
      wrapped.set(handler, w);
    }
    return w;
  };
  servers.set(server, rec);
  if (low !== server) servers.set(low, rec);
  return server;
}

const servers = new WeakMap();

/** How many records a wrapped server could not write. */
function loggingErrors(wrapped) {
  const rec = servers.get(wrapped);
  if (rec !== undefined) return rec.loggingErrors;
  const count = wrapped?.loggingErrors;
  return typeof count === "number" ? count : 0;
}

module.exports = {
  withLogging,
  loggingTransport,
  wrapServer,
  loggingErrors,
  METHODS,
  ASKED,
  eventTypeOf,
  CLIENT_METHODS,
  TOOL_ERROR,
  TIMEOUT,
  CANCELLED,
  CONNECTION_CLOSED,
};
