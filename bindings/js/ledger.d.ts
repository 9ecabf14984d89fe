// The Node package's `Ledger` (bindings/node/src/ledger.rs), appended by the
// npm build to that package's index.d.ts only: the browser package has no
// storage (it checks proofs, see `checkProof`).

/** `new Ledger(path, options)`. */
export interface LedgerOptions {
  /** Append entries that fail validation under the ledger's profiles (default: refuse them). */
  allowInvalid?: boolean;
  /** Redact sensitive data before appending (default: no). */
  redact?: boolean;
}

/** `Ledger.init(path, keyFile, options)`. */
export interface LedgerInitOptions {
  /** The validation profiles appended entries must pass (default: baseline). */
  profiles?: Profile[];
}

/** The indices `append` gave: `start` to `end - 1`; `end` is the tree size. */
export interface Appended {
  start: number;
  end: number;
}

/** What `verify` checked. */
export interface LedgerReport {
  /** The log's origin. */
  origin: string;
  /** Entries verified (the latest checkpoint's size). */
  size: number;
  /** The latest root hash, base64. */
  root: string;
  /** Signed checkpoints checked. */
  checkpoints: number;
  /** Bytes of entries checked. */
  entryBytes: number;
  /** Bytes past the latest checkpoint (not yet published, or never acknowledged; not part of the log yet). */
  unsignedTailBytes: number;
}

/** `read(filter)`: entries that match every given field. */
export interface LedgerFilter {
  /** At or after this RFC 3339 time. */
  since?: string;
  /** Before this RFC 3339 time. */
  until?: string;
  /** The actor's id. */
  actor?: string;
  eventType?: EventType;
  outcome?: Outcome;
  component?: string;
  resource?: string;
}

/**
 * A tamper-evident ledger directory (docs/ledger.md): an RFC 6962 Merkle tree
 * of the entries, C2SP signed checkpoints and tlog tiles. Reading needs no
 * lock; the first `append` takes the single writer's lock, held until
 * `close()`. Every failure throws a {@link ComplianceLogError} with a
 * {@link LedgerErrorCode}, and `index`/`offset` when it concerns a stored entry.
 */
export declare class Ledger {
  /** Opens the ledger at `path`. */
  constructor(path: string, options?: LedgerOptions);
  /** Creates a ledger in `path` signed by the private key in the file `keyFile`. */
  static init(path: string, keyFile: string, options?: LedgerInitOptions): Ledger;
  /** A new Ed25519 key pair in the signed-note forms: `[private key line, public key line]`. */
  static keygen(name: string): [string, string];
  /** {@link checkProof}. */
  static checkProof(
    proof: string,
    checkpoints: string | readonly string[],
    key: string,
    entry?: EntryInput,
  ): ProofCheck;
  /** Appends the entries with one commit; returns their indices once durable. */
  append(entries: readonly EntryInput[]): Appended;
  /** Entries in the latest checkpoint. */
  readonly size: number;
  /** The latest signed checkpoint (a C2SP signed note). */
  checkpoint(): string;
  /** Verifies every entry and checkpoint (with the public key text `key`, default the ledger's own). */
  verify(key?: string): LedgerReport;
  /** The inclusion proof of entry `index` in the tree of `size` entries (default: the latest), JSON text. */
  prove(index: number, size?: number): string;
  /** The consistency proof from tree size `size1` to `size2` (default: the latest), JSON text. */
  proveConsistency(size1: number, size2?: number): string;
  /** The entries that match `filter`, in index order. */
  read(filter?: LedgerFilter): LogEntry[];
  /** Releases the writer's lock (reading still works). */
  close(): void;
}
