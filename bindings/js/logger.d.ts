// The Node package's audit logger (bindings/node/logger.cjs over
// bindings/node/src/logger.rs), appended by the npm build to that package's
// index.d.ts only, after ledger.d.ts: the browser package has no logger.

/** Options of the file sinks {@link sinks.JsonLines} and {@link sinks.Binary}. */
export interface FileSinkOptions {
  /** Start a new file once the current one holds this many bytes. */
  rotateBytes?: number;
  /** Start a new file every this many milliseconds. */
  rotateEveryMs?: number;
  /** Compress each rotated file. */
  compressRotated?: "gzip" | "zstd";
  /** fdatasync after every record (default: one write(2) per record, no sync). */
  durable?: boolean;
}

/** Options of {@link sinks.Ledger}. */
export interface LedgerSinkOptions {
  /** Group commit: commit after this many records ... */
  commitEvery?: number;
  /** ... or after this many milliseconds, whichever comes first. */
  commitEveryMs?: number;
}

/** Options of {@link sinks.Otlp}: batching, the bounded queue, retries, spilling. */
export interface OtlpSinkOptions {
  /** Records per request. */
  batchSize?: number;
  /** Send a partial batch after this many milliseconds. */
  batchTimeoutMs?: number;
  /** Records held in memory at most. */
  queueCapacity?: number;
  /** Retries of one batch at most. */
  maxRetries?: number;
  /** Time spent retrying one batch at most (ms). */
  maxElapsedMs?: number;
  /** The first backoff (ms), doubled each retry, with full jitter. */
  initialBackoffMs?: number;
  /** The longest backoff (ms). */
  maxBackoffMs?: number;
  /** Spill records to files in this directory while the queue is full. */
  spillDir?: string;
  /** How long `log` may wait for room in a full queue before dropping (ms). */
  blockTimeoutMs?: number;
  /** The timeout of one request (ms). */
  timeoutMs?: number;
  /** Extra HTTP headers (authentication). */
  headers?: Record<string, string>;
  /** gzip request bodies (default: off). */
  gzip?: boolean;
}

/**
 * Where records go: what the functions of {@link sinks} return (plain data,
 * so that it can be passed to the pino transport), or a {@link UserSink}.
 */
export type SinkSpec =
  | Readonly<{ kind: "jsonLines"; path: string } & FileSinkOptions>
  | Readonly<{ kind: "binary"; path: string } & FileSinkOptions>
  | Readonly<{ kind: "ledger"; path: string } & LedgerSinkOptions>
  | Readonly<{ kind: "otlp"; path: string } & OtlpSinkOptions>
  | Readonly<{ kind: "stdout" }>;

/**
 * A sink of your own: `write` is called synchronously, on the thread that
 * called `log`, with the record as written (completed and redacted); a
 * throw makes `log` throw a `SINK` error after the other sinks were tried.
 * `flush` and `close` are called by the logger's.
 */
export interface UserSink {
  write(entry: LogEntry): void;
  flush?(): void;
  close?(): void;
}

export type Sink = SinkSpec | UserSink;

interface SinkFactory<A extends unknown[], S> {
  (...args: A): S;
  new (...args: A): S;
}

/** The built-in sinks; each works with or without `new`. */
export declare const sinks: {
  /** Records as JSON Lines: canonical proto3 JSON, one record a line. */
  readonly JsonLines: SinkFactory<[path: string, options?: FileSinkOptions], SinkSpec>;
  /** Records length-delimited, as `decodeDelimited` and `complog` read them. */
  readonly Binary: SinkFactory<[path: string, options?: FileSinkOptions], SinkSpec>;
  /** The tamper-evident ledger in `dir` (see {@link Ledger}). */
  readonly Ledger: SinkFactory<[dir: string, options?: LedgerSinkOptions], SinkSpec>;
  /** OTLP/HTTP (protobuf) to an OpenTelemetry Collector: `<endpoint>/v1/logs`. */
  readonly Otlp: SinkFactory<[endpoint: string, options?: OtlpSinkOptions], SinkSpec>;
  /** Standard output, JSON Lines. */
  readonly Stdout: SinkFactory<[], SinkSpec>;
};

/** `new AuditLogger(options)`. */
export interface AuditLoggerOptions {
  /** Where every record goes, in order. */
  sinks?: readonly Sink[];
  /** The profiles records are validated under (`baseline` is always on). */
  profile?: Profile | string | readonly (Profile | string)[];
  /**
   * What to do with a record that fails validation: throw a
   * {@link ValidationError} and write nothing, write it and warn, or write it
   * to the `quarantine` sink only. Default: "quarantine" when
   * `defaults.environment` is "production" or "prod", else "raise".
   */
  onInvalid?: "raise" | "warn" | "quarantine";
  /** Where the "quarantine" policy writes invalid records. */
  quarantine?: Sink;
  /**
   * Redact sensitive data before any sink sees the record (default `true`);
   * a key (bytes or a string) gives keyed-hash tokens instead of markers.
   */
  redact?: boolean | Uint8Array | string;
  /** Fields copied into every record that leaves them unset. */
  defaults?: LogEntryInit;
  /** The `producer` filled into records (default: this package's name and version). */
  producer?: { name: string; version: string };
  /** Called for an invalid record under "warn" (default: `process.emitWarning`, type "AuditWarning"). */
  onWarning?: (entry: LogEntry, report: ValidationReport) => void;
  /** How long the flush on `beforeExit` and the close on `exit` may take (ms, default 5000). */
  exitTimeoutMs?: number;
}

/** Counters of one sink. */
export interface SinkStats {
  name: string;
  /** Records the sink took (for OTLP: acknowledged by the collector). */
  written: number;
  /** Records waiting in its queue. */
  queued: number;
  /** Retried sends. */
  retried: number;
  /** Records given up on. */
  dropped: number;
  /** Failed writes. */
  failed: number;
}

/** {@link AuditLogger.stats}. */
export interface LoggerStats {
  /** Records written (to the sinks or to quarantine). */
  logged: number;
  /** Records that failed validation. */
  invalid: number;
  /** Invalid records written to the quarantine sink. */
  quarantined: number;
  sinks: SinkStats[];
}

/**
 * An audit logger: every `log` completes the record (time, UUIDv7 event id,
 * producer, schema version, host, the active OpenTelemetry span's trace
 * context, the defaults), validates it, applies the invalid-record policy,
 * redacts it and hands it to every sink. Failures throw a
 * {@link ComplianceLogError} (`SINK` with `sink`, `CLOSED`, `CONFIG`,
 * `TIMEOUT`) or a {@link ValidationError} with its `report`. Open loggers
 * are flushed on `beforeExit` and closed on `exit`.
 */
export declare class AuditLogger {
  constructor(options?: AuditLoggerOptions);
  /** How long the flush and close at process exit may take (ms). */
  readonly exitTimeoutMs: number;
  /** Writes one record; returns it as written (completed and redacted). */
  log(fields: LogEntryInit): LogEntry;
  /** Starts timing an operation; finish it with `end` or `fail`. */
  operation(eventType: EventType, fields?: LogEntryInit): Operation;
  /**
   * Runs `fn` as an operation: a success when it returns (or resolves), a
   * failure with the error when it throws (or rejects), which is rethrown.
   */
  run<T>(eventType: EventType, fields: LogEntryInit | undefined, fn: (op: Operation) => T | Promise<T>): Promise<T>;
  /** Waits until the sinks delivered what they were given (at most `timeoutMs`, else `TIMEOUT`). */
  flush(timeoutMs?: number): void;
  /** Flushes and closes every sink; idempotent; `log` then throws `CLOSED`. */
  close(timeoutMs?: number): void;
  /** Counters of the logger and each sink. */
  readonly stats: LoggerStats;
}

/** A timed operation of {@link AuditLogger.operation}: logged once, by `end` or `fail`. */
export declare class Operation {
  private constructor();
  /** Whether it was logged. */
  readonly finished: boolean;
  /** Logs it as a success with its duration (and `fields`); returns the record. */
  end(fields?: LogEntryInit): LogEntry;
  /**
   * Logs it as a failure: `errorCode` is the error's string `code` (Node's
   * "ENOENT", ...) or else its class name, `errorMessage` its message.
   */
  fail(error: unknown, fields?: LogEntryInit): LogEntry;
}
