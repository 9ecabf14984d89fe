// The Node package's exports to OCSF, ECS and OpenTelemetry logs, its
// imports and the evidence report (bindings/node/src/export.rs,
// bindings/node/export.cjs), appended
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

/** Options of {@link report}. */
export interface ReportOptions {
  /**
   * Profiles to validate under besides baseline: `"pci"`, `"soc2,hipaa"`
   * or `["soc2", "pci"]`.
   */
  profiles?: string | readonly string[];
  /** Records at or after this RFC 3339 time (on each record's `time`). */
  since?: string;
  /** Records before this RFC 3339 time. */
  until?: string;
  /**
   * The path of the ledger's public key (a note verifier key file) to check
   * its checkpoints with, instead of the one its `ledger.json` names: an
   * auditor should pass the key the organisation published.
   */
  key?: string;
  /** `"json"` (the default): the report data; `"html"`: the page. */
  format?: "json" | "html";
}

/**
 * The evidence report for an audit period (docs/report.md): the data
 * `complog report --format json` writes, computed by the same Rust code.
 * `source` is a ledger directory (verified, its integrity reported, records
 * named by ledger index) or an Array of entries (integrity cannot be shown,
 * records named by position from 0). A ledger that does not verify is
 * reported in `integrity` (`verified: false`, `error.index` the first bad
 * record), not thrown. Throws `UNKNOWN_PROFILE`, `BAD_TIME`, the ledger's
 * code for a directory that is not a ledger, `TYPE` for an argument of the
 * wrong shape, and the core's codes (with `index`) for an entry that cannot
 * be decoded.
 */
export declare function report(
  source: string | readonly EntryInput[],
  options?: ReportOptions & { format?: "json" },
): JsonObject;
/** The report as the self-contained HTML page `complog report` writes. */
export declare function report(source: string | readonly EntryInput[], options: ReportOptions & { format: "html" }): string;

/** Report data (as {@link report} returns it, or its JSON text) rendered as the HTML page. */
export declare function renderReportHtml(data: JsonObject | string): string;
