// @lokryn/compliance-log/pino: the pino transport (pino.cjs). Pino loads it
// in a worker thread from `transport: { target: "@lokryn/compliance-log/pino",
// options }`; the options cross by structured clone, so sinks are the
// built-in ones (`sinks.*`), not objects of your own.

import type { Writable } from "node:stream";

import type { AuditLoggerOptions, SinkSpec } from "./index.js";

export interface PinoTransportOptions
  extends Omit<AuditLoggerOptions, "sinks" | "quarantine" | "onWarning"> {
  sinks?: readonly SinkSpec[];
  quarantine?: SinkSpec;
  /** pino's `messageKey` when it is not "msg". */
  messageKey?: string;
}

/** Builds the logger in the worker and returns the stream pino writes its lines to. */
declare function transport(options?: PinoTransportOptions): Writable;
export default transport;
