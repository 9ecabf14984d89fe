// The functions, options, results and errors of both npm packages
// (@lokryn/compliance-log and @lokryn/compliance-log-wasm). `cargo xtask
// codegen` appends this file, after the types it generates from the schema,
// to each package's index.d.ts, so the two packages declare one API.

/** The version of this package, of the Rust core inside it and of the schema. */
export declare const VERSION: string;

/**
 * An entry, or its protobuf encoding. Every function that reads an entry
 * also takes its bytes, which it decodes natively: faster than converting
 * an object when the entry arrives encoded.
 */
export type EntryInput = LogEntryInit | Uint8Array;

/** Limits on what the readers accept. */
export interface ReadOptions {
  /**
   * The largest encoded entry accepted, in bytes (default 4 MiB). JSON text
   * may be four times as large. The writers ({@link encode},
   * {@link encodeDelimited}) take it too and refuse (`TOO_LARGE`) what a
   * reader with the same value would refuse, so pass a raised limit to both.
   */
  maxEntryBytes?: number;
}

/** Options of {@link fromJson} and {@link fromJsonString}. */
export interface JsonReadOptions extends ReadOptions {
  /**
   * Skip object keys the schema does not define instead of failing. Off by
   * default, so that a misspelt field name is an error, not lost data.
   */
  ignoreUnknownFields?: boolean;
}

/** A validation profile: `baseline` always applies; the others add rules. */
export type Profile = "baseline" | "soc2" | "hipaa" | "pci";

/**
 * Options of {@link validate}, {@link validateDelimited} and
 * {@link assertValid}. Unknown keys are rejected, so that a check asked for
 * is never silently skipped.
 */
export interface ValidateOptions extends ReadOptions {
  /**
   * The compliance profiles whose rules apply besides `baseline`: one name,
   * several joined by commas (`"soc2,pci"`), or an array of names. Profiles
   * with sensitive-data rules (`soc2`, `hipaa`, `pci`) also search the
   * record; see docs/rules.md.
   */
  profile?: Profile | Profile[] | string;
}

/** Something sensitive in a record or a text: what, where, how sure. Never the data itself. */
export interface Finding {
  /** What was found. */
  kind:
    | "card_number"
    | "us_ssn"
    | "email"
    | "phone_number"
    | "aws_access_key"
    | "private_key"
    | "jwt"
    | "bearer_token"
    | "api_key"
    | "credential";
  /** The field's JSON path, continued into the payload (`"payload.card.number"`); `""` for {@link scanText}. */
  field: string;
  /** Byte offset of the first byte within the field's value (the payload's bytes for payload paths; UTF-8 bytes of the text). */
  start: number;
  /** Byte offset after the last byte. */
  end: number;
  /** `"high"` when verified (checksum, issuer range, vendor prefix), else `"medium"`. */
  confidence: "high" | "medium";
}

/** Options of {@link redact} and {@link redactText}. */
export interface RedactOptions {
  /**
   * Replace values (other than card numbers, which keep their first six and
   * last four digits) by keyed tokens, HMAC-SHA-256 with this key, so equal
   * values stay joinable. A string is taken as its UTF-8 bytes.
   */
  key?: Uint8Array | string;
}

/** A redacted copy of a record and what was replaced. */
export interface Redaction {
  /** The copy; the record passed in is not changed. */
  entry: LogEntry;
  /** What was replaced, with spans in the original record. */
  findings: Finding[];
}

/** One rule a record breaks. */
export interface Violation {
  /** The field, as a JSON path: `"eventType"`, `"delegationChain[1].actorId"`; empty for the record as a whole. */
  field: string;
  /** The stable id of the rule, for example `"required"` or `"enum.defined_only"`. */
  ruleId: string;
  /** What is wrong, for a human. Never contains the field's value. */
  message: string;
  /** `"error"`: not fit for an audit trail; `"warning"`: worth fixing. */
  level: "error" | "warning";
  /** The compliance clauses the rule serves, for example `"PCI DSS v4.0 10.2.2"`. */
  clauses: string[];
}

/** The verdict on one record. */
export interface ValidationReport {
  /** True when no violation is an error (warnings are allowed). */
  valid: boolean;
  /** Every violation, errors and warnings, in field order. */
  violations: Violation[];
  /** The sensitive data the profiles' rules found (each also a violation); empty under `baseline` alone. */
  findings: Finding[];
  /**
   * `null`; or, for an entry of {@link validateDelimited} that could not be
   * read, the error saying why (its `code`, `index` and `offset`). Such a
   * report is not valid and has no violations.
   */
  error: ComplianceLogError | null;
}

/**
 * Encodes an entry to protobuf binary, byte for byte what every conforming
 * implementation (protobuf-es, google.protobuf, prost) writes.
 */
export declare function encode(entry: LogEntryInit, options?: ReadOptions): Uint8Array;

/** Decodes one entry. Fields this schema does not define are skipped. */
export declare function decode(bytes: Uint8Array, options?: ReadOptions): LogEntry;

/**
 * Encodes entries as one length-delimited stream: each entry preceded by its
 * length as a varint (protobuf-es `sizeDelimitedEncode`, Java
 * `writeDelimitedTo`).
 */
export declare function encodeDelimited(entries: readonly LogEntryInit[], options?: ReadOptions): Uint8Array;

/**
 * Decodes every entry of a length-delimited stream; throws for the first
 * entry that cannot be read (with its `index` and `offset`). To skip bad
 * entries and go on, use {@link DelimitedDecoder}, whose `read` throws for
 * one entry and continues with the next when called again, or
 * {@link validateDelimited}, which reports each entry. The Node package also
 * takes the stream gzip- or zstd-compressed (told by its first bytes, up to
 * 1 GiB decompressed); in a browser, decompress it first
 * (`DecompressionStream`).
 */
export declare function decodeDelimited(bytes: Uint8Array, options?: ReadOptions): LogEntry[];

/**
 * Decodes a length-delimited stream pushed in chunks of any size, as they
 * arrive from a socket or a file stream; at most one incomplete entry is
 * buffered.
 *
 * ```js
 * const decoder = new DelimitedDecoder();
 * for await (const chunk of stream) {
 *   decoder.push(chunk);
 *   for (let entry; (entry = decoder.read()) !== undefined; ) handle(entry);
 * }
 * decoder.end(); // throws TRUNCATED when the stream stopped inside an entry
 * ```
 *
 * `read` throws for an entry whose bytes do not decode (`DECODE`, with its
 * `index` and `offset`) and goes on with the next one when called again; a
 * broken length prefix or an entry over the limit ends the stream.
 */
export declare class DelimitedDecoder {
  constructor(options?: ReadOptions);
  /** Appends the next bytes of the stream. */
  push(chunk: Uint8Array): void;
  /** The next complete entry, or `undefined` until more bytes are pushed. */
  read(): LogEntry | undefined;
  /** Ends the stream: throws `TRUNCATED` when it stopped inside an entry. */
  end(): void;
}

/** The canonical proto3 JSON of an entry, as a JSON value. */
export declare function toJson(entry: EntryInput): JsonObject;

/**
 * The canonical proto3 JSON of an entry, as compact text: the same value
 * protobuf-es `toJson` and Python's `json_format` produce, keys in field
 * order.
 */
export declare function toJsonString(entry: EntryInput): string;

/** Reads an entry from a proto3 JSON value. */
export declare function fromJson(json: JsonValue, options?: JsonReadOptions): LogEntry;

/**
 * Reads an entry from proto3 JSON text: lowerCamel or original field names,
 * enums by name or number, 64-bit integers as numbers or strings.
 */
export declare function fromJsonString(text: string, options?: JsonReadOptions): LogEntry;

/** Checks a record is fit for an audit trail; violations are data, not exceptions. */
export declare function validate(entry: EntryInput, options?: ValidateOptions): ValidationReport;

/**
 * Validates each entry of a length-delimited stream, in order: one report per
 * entry. An entry that cannot be read does not stop it: its report is not
 * valid and its `error` says why (`code`, `index`, `offset`). Compressed
 * streams as for {@link decodeDelimited}.
 */
export declare function validateDelimited(bytes: Uint8Array, options?: ValidateOptions): ValidationReport[];

/** Throws a {@link ValidationError} when the record is not valid (warnings pass). */
export declare function assertValid(entry: EntryInput, options?: ValidateOptions): void;

/** The sensitive data in every searched field of an entry (all kinds, whatever the profile). */
export declare function findSensitive(entry: EntryInput): Finding[];

/** The sensitive data in one string. */
export declare function scanText(text: string): Finding[];

/**
 * A copy of an entry with card numbers truncated to their first six and last
 * four digits and everything else sensitive replaced by `[REDACTED:<kind>]`
 * (or a keyed token with `options.key`); idempotent, and a JSON payload stays
 * valid JSON.
 */
export declare function redact(entry: EntryInput, options?: RedactOptions): Redaction;

/** One string redacted as {@link redact} redacts a field. */
export declare function redactText(text: string, options?: RedactOptions): string;

/** What {@link checkProof} established. */
export interface ProofCheck {
  /** The kind of proof. */
  type: "inclusion" | "consistency";
  /** The log's origin, from the checkpoint. */
  origin: string;
  /** The tree size of the (newer) checkpoint. */
  size: number;
  /** The proven entry's index (inclusion). */
  index?: number;
  /** The older tree size (consistency). */
  size1?: number;
  /** Whether the entry's bytes were checked against the proof's leaf hash. */
  entryChecked: boolean;
}

/**
 * Checks a ledger proof offline, with nothing but the proof (its JSON text,
 * as `complog ledger prove` or `Ledger.prove` writes it), the signed
 * checkpoint(s) (one for an inclusion proof; the older and the newer for a
 * consistency proof), the ledger's public key (`<name>+<hash>+<data>`) and,
 * optionally, the entry: its exact stored bytes, or an entry object (encoded
 * as the ledger stores it). Throws a {@link ComplianceLogError} with a
 * {@link LedgerErrorCode} (`BAD_SIGNATURE`, `BAD_PROOF`, `ENTRY_MISMATCH`,
 * `SIZE_MISMATCH`, ...) when the proof does not check.
 */
export declare function checkProof(
  proof: string,
  checkpoints: string | readonly string[],
  key: string,
  entry?: EntryInput,
): ProofCheck;

/** The stable codes of {@link ComplianceLogError}. */
export type ErrorCode =
  /** The bytes are not a valid protobuf encoding of an entry. */
  | "DECODE"
  /** The input is over the size limit. */
  | "TOO_LARGE"
  /** The JSON text is malformed or does not match the schema. */
  | "JSON"
  /** A value has no canonical JSON form (a timestamp outside years 1-9999). */
  | "JSON_VALUE"
  /** A length prefix of a delimited stream is not a varint. */
  | "LENGTH_PREFIX"
  /** A delimited stream ends inside an entry. */
  | "TRUNCATED"
  /** An argument does not have the shape the schema requires. */
  | "TYPE"
  /** The record is not valid ({@link ValidationError}). */
  | "INVALID"
  /** `options.profile` names a profile that does not exist. */
  | "UNKNOWN_PROFILE"
  /** An OCSF event or a 0.2.0 record cannot be imported (the Node package's `fromOcsf`, `fromLokryn02`). */
  | "IMPORT"
  /** The schema's export mappings are inconsistent (a broken build; the Node package's exports). */
  | "EXPORT_MAPPING"
  /** Writing an export failed (the Node package's exports). */
  | "EXPORT_WRITE"
  | LedgerErrorCode
  | LoggerErrorCode;

/**
 * The codes of the Node package's `AuditLogger` (docs/logging.md), besides
 * `INVALID`, `TYPE` and the codes above passed through.
 */
export type LoggerErrorCode =
  /** A sink (named by `sink`) failed to take or deliver a record; the others were still tried. */
  | "SINK"
  /** The logger was closed. */
  | "CLOSED"
  /** The options do not make a logger (a quarantine policy without a quarantine sink, ...). */
  | "CONFIG"
  /** `flush` or `close` ran out of time with records undelivered. */
  | "TIMEOUT";

/**
 * The codes of the ledger's errors ({@link checkProof}, and the Node
 * package's `Ledger`); docs/ledger.md describes each.
 */
export type LedgerErrorCode =
  | "BAD_CHECKPOINT"
  | "BAD_CONFIG"
  | "BAD_KEY"
  | "BAD_NOTE"
  | "BAD_PROOF"
  | "BAD_SIGNATURE"
  | "CORRUPT"
  | "ENTRY_MISMATCH"
  | "EXISTS"
  | "FORKED"
  | "INCONSISTENT"
  | "INDEX_MISMATCH"
  | "IO"
  | "LOCKED"
  | "NOT_A_LEDGER"
  | "NOT_FOUND"
  | "POISONED"
  | "RANGE"
  | "SIZE_MISMATCH"
  | "TAMPERED"
  | "TILE_MISMATCH"
  | "TILE_MISSING"
  | "UNREADABLE"
  | "UNVERIFIED"
  | "USAGE";

/**
 * Every error the functions throw for bad input. The message names the
 * problem and where it is, never the content of the record.
 */
export declare class ComplianceLogError extends Error {
  /** A stable, machine-readable name for the kind of error. */
  readonly code: ErrorCode;
  /** The field at fault, as a JSON path (`TYPE`, `JSON_VALUE`). */
  readonly field?: string;
  /** The index of the entry at fault in a stream or array. */
  readonly index?: number;
  /** The byte offset of the entry at fault in a stream. */
  readonly offset?: number;
  /** The position of a JSON syntax or schema error (`JSON`). */
  readonly jsonLine?: number;
  /** The position of a JSON syntax or schema error (`JSON`). */
  readonly jsonColumn?: number;
  /** The size of the input and the limit it broke (`TOO_LARGE`). */
  readonly size?: number;
  /** The size of the input and the limit it broke (`TOO_LARGE`). */
  readonly limit?: number;
  /** How many more bytes a truncated entry needed (`TRUNCATED`). */
  readonly needed?: number;
  /** The sink that failed (`SINK`, `TIMEOUT` of the Node package's `AuditLogger`). */
  readonly sink?: string;
  /** The validation of the refused record (`INVALID` of the Node package's `AuditLogger`). */
  readonly report?: ValidationReport;
}

/** A record that fails validation, thrown by {@link assertValid}. */
export declare class ValidationError extends ComplianceLogError {
  readonly code: "INVALID";
  /** Every violation, errors and warnings. */
  readonly violations: Violation[];
}

/** A JSON value, as `JSON.parse` returns it. */
export type JsonValue = number | string | boolean | null | JsonObject | JsonValue[];

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}
