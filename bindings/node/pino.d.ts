// @lokryn/compliance-log/pino: the pino transport (pino.cjs). Pino loads it
// in a worker thread from `transport: { target: "@lokryn/compliance-log/pino",
// options }`; the options cross by structured clone, so sinks are the
// built-in ones (`sinks.*`), not objects of your own.

import type { AuditLoggerOptions, SinkSpec } from "./index.js";

/** Builds the logger in the worker and returns the stream pino writes its lines to. */
declare function transport(options?: transport.PinoTransportOptions): transport.TransportStream;

declare namespace transport {
  interface PinoTransportOptions
    extends Omit<AuditLoggerOptions, "sinks" | "quarantine" | "onWarning"> {
    sinks?: readonly SinkSpec[];
    quarantine?: SinkSpec;
    /** pino's `messageKey`, when pino does not send its own. */
    messageKey?: string;
  }

  /** The writable stream (a node:stream Writable) of pino's lines. */
  interface TransportStream {
    write(chunk: string, callback?: (error?: Error | null) => void): boolean;
    end(callback?: () => void): unknown;
    flush(callback: (error?: Error) => void): void;
  }

  /** The proto3 JSON of the record one pino line describes. */
  function recordJson(line: Record<string, unknown>, messageKey: string): string;
}

export = transport;
