// The Node package's exports to OCSF, ECS and OpenTelemetry logs and its
// imports (bindings/node/src/export.rs, bindings/node/export.cjs), appended
// by the npm build to that package's index.d.ts only.

/** Options of {@link toOtlpJson} and {@link toOtlp}. */
export interface OtlpExportOptions {
  /**
   * When the records were seen, in nanoseconds since the epoch: OTLP's
   * `observedTimeUnixNano` (default: each record's own time).
   */
  observedTimeNs?: bigint | number;
}

/** Options of {@link toOcsf}. */
export interface OcsfExportOptions {
  /**
   * When the record was seen, in nanoseconds since the epoch: the event's
   * `time` when the record has none (flagged `unmapped.time_unset`).
   */
  observedTimeNs?: bigint | number;
  /** `metadata.log_name`: the log or index the events are bound for. */
  logName?: string;
}

/**
 * A record as an OCSF 1.7.0 event (docs/exports.md lists where each field
 * goes): the class and activity of its event type, `severity_id` from its
 * RFC 5424 severity, `status_id` from its outcome, `time` in milliseconds;
 * what OCSF has no attribute for is under `unmapped`, so nothing is lost
 * and {@link fromOcsf} gives the record back. As an object, integers beyond
 * 2^53 (an int64 at its extremes) are the nearest JavaScript number; the
 * text of {@link toOcsfString} is exact.
 */
export declare function toOcsf(entry: EntryInput, options?: OcsfExportOptions): JsonObject;

/** {@link toOcsf} as compact JSON text, exactly as `complog export --to ocsf` writes a line. */
export declare function toOcsfString(entry: EntryInput, options?: OcsfExportOptions): string;

/**
 * A record as an ECS 9.x document: `event.kind`, `event.category`,
 * `event.type` and `event.outcome` from their allowed values, and what ECS
 * has no field for under `labels` (integers as for {@link toOcsf}).
 */
export declare function toEcs(entry: EntryInput): JsonObject;

/** {@link toEcs} as compact JSON text (exact). */
export declare function toEcsString(entry: EntryInput): string;

/**
 * Records as one OpenTelemetry `ExportLogsServiceRequest` in OTLP/JSON (hex
 * trace and span ids, 64-bit integers as strings), grouped by resource and
 * scope in order of first appearance: the body of an OTLP/HTTP JSON POST.
 */
export declare function toOtlpJson(entries: readonly EntryInput[], options?: OtlpExportOptions): JsonObject;

/** {@link toOtlpJson} as JSON text. */
export declare function toOtlpJsonString(entries: readonly EntryInput[], options?: OtlpExportOptions): string;

/** {@link toOtlpJson} as protobuf bytes: the body of an OTLP/HTTP protobuf POST. */
export declare function toOtlp(entries: readonly EntryInput[], options?: OtlpExportOptions): Uint8Array;

/**
 * The record an OCSF event written by {@link toOcsf} (or `complog export
 * --to ocsf`) came from, exactly; the event as an object or its JSON text.
 * Throws `IMPORT` for an event this package did not write.
 */
export declare function fromOcsf(event: JsonObject | string): LogEntry;

/** Options of {@link fromLokryn02}. */
export interface Lokryn02Options {
  /**
   * How binary input is laid out: one record, length-delimited records, or
   * (`"auto"`, the default) whichever the bytes read as.
   */
  framing?: "auto" | "single" | "delimited";
}

/**
 * Records of the vendor's 0.2.0 package (`lokryn.compliance.v1.LogRequest`)
 * as entries: a string is one JSON record or JSON Lines, as its
 * `lokryn-mcp-log` sinks write them; a `Uint8Array` is binary. What has no
 * field here is kept in `payload` as JSON (docs/compatibility.md). Throws
 * `IMPORT` (with `index` for a line of JSON Lines) for what cannot be read.
 */
export declare function fromLokryn02(data: string | Uint8Array, options?: Lokryn02Options): LogEntry[];
