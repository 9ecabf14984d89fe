// @lokryn/compliance-log/mcp: audit records of MCP traffic (mcp.cjs,
// docs/mcp.md). Typed structurally, so that this file compiles whether or not
// `@modelcontextprotocol/sdk` (an optional peer) is installed: each function
// takes the SDK's object and returns it with the same type.

import type { ActorType, AuditLogger, DelegationLinkInit, EventType, Sensitivity } from "./index.js";

export interface McpLoggingOptions {
  /** Who acts (default: `clientId`, else "mcp-client"). */
  actorId?: string;
  /** Default `ActorType.AGENT`. */
  actorType?: ActorType | number;
  /** The user the agent acts for: the first link of the delegation chain. */
  onBehalfOf?: string;
  /** Further links of the chain: actor ids or DelegationLink fields. */
  delegationChain?: readonly (string | DelegationLinkInit)[];
  /** Default "mcp-client" ("mcp-server" for {@link wrapServer}). */
  component?: string;
  environment?: string;
  policyTags?: readonly string[];
  sensitivity?: Sensitivity | number;
  /** The record's `sessionId` and `mcp.sessionId`. */
  sessionId?: string;
  /** The client's name and version in `mcp` (default: the client's own info). */
  clientId?: string;
  clientVersion?: string;
  /** `mcp.transport`: "stdio", "streamable-http", ... */
  transport?: string;
  /** GenAI fields of `tools/call` records. */
  agentId?: string;
  agentName?: string;
  conversationId?: string;
  /** Tool and prompt arguments and tool results in `payload` (default true). */
  logArguments?: boolean;
  /** A value whose JSON is longer becomes `{truncated, bytes, sha256}` (default 4096; null: no limit). */
  maxValueBytes?: number | null;
  /** Redact each record before the logger sees it (default true); a key gives keyed tokens. */
  redact?: boolean | string | Uint8Array;
  /** Told of each record that could not be written (default: a process warning, type "McpLoggingWarning"). */
  onLoggingError?: (error: unknown) => void;
}

/** What the wrappers add to the object they return. */
export interface McpLogged<T> {
  /** The object wrapped. */
  readonly wrapped: T;
  /** Records that could not be written. */
  readonly loggingErrors: number;
}

/** The part of the SDK's `Transport` the wrapper needs. */
export interface TransportLike {
  start(): Promise<void>;
  send(message: unknown, options?: unknown): Promise<void>;
  close(): Promise<void>;
  onmessage?: (...args: any[]) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
}

/** A `Client` whose calls write audit records (a drop-in: same methods, results and errors). */
export declare function withLogging<C extends object>(client: C, logger: AuditLogger, options?: McpLoggingOptions): C & McpLogged<C>;

/** A `Transport` every JSON-RPC message of which, either way, writes a record. */
export declare function loggingTransport<T extends TransportLike>(transport: T, logger: AuditLogger, options?: McpLoggingOptions): T & McpLogged<T>;

/** Wraps the request handlers of a `Server` or `McpServer` (returned as it is). */
export declare function wrapServer<S extends object>(server: S, logger: AuditLogger, options?: McpLoggingOptions): S;

/** Records a wrapper (or a wrapped server) could not write. */
export declare function loggingErrors(wrapped: object): number;

/** MCP methods and the event type of their records. */
export declare const METHODS: Readonly<Record<string, EventType>>;
/**
 * The server requests recorded twice (sampling, elicitation): the event type
 * of the record written when the request passes; its answer has METHODS'.
 */
export declare const ASKED: Readonly<Record<string, EventType>>;
/**
 * The event type of a record of `method`: METHODS', else
 * `EVENT_MCP_NOTIFICATION` for a notification (`notifications/…`) and
 * `EVENT_RESOURCE_ACCESS` for a request.
 */
export declare function eventTypeOf(method: string): EventType;
/** The `Client` methods {@link withLogging} records, with the MCP method each sends. */
export declare const CLIENT_METHODS: Readonly<Record<string, string>>;

export declare const TOOL_ERROR: "TOOL_ERROR";
export declare const TIMEOUT: "TIMEOUT";
export declare const CANCELLED: "CANCELLED";
export declare const CONNECTION_CLOSED: "CONNECTION_CLOSED";
