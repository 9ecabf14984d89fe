// Writes bindings/wasm/playground/ledger-example.js: a small ledger made with
// the Node package's `Ledger` (a fresh key each run), and the proofs,
// checkpoints and key that the playground and proof.test.js check offline.
//
//   cargo xtask npm node && node tests/npm/make-ledger-example.js

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as lib from "@lokryn/compliance-log";

const dir = mkdtempSync(join(tmpdir(), "lokryn-ledger-example-"));
const entries = [
  "alice@example.com",
  "bob@example.com",
  "support-agent",
  "alice@example.com",
  "billing-service",
  "bob@example.com",
].map((actorId, i) => ({
  eventType: i === 2 ? "EVENT_TOOL_INVOCATION" : "EVENT_LOGIN",
  outcome: i === 4 ? "OUTCOME_FAILURE_DENIED" : "OUTCOME_SUCCESS",
  severity: "SEVERITY_INFO",
  actorId,
  component: "auth",
  resource: `apps/crm/${i}`,
  time: `2026-03-01T09:3${i}:00Z`,
  eventId: `0195f0a2-7c3b-7d4e-8f00-${(0x1234567890a0 + i).toString(16)}`,
}));

try {
  const [privateKey, publicKey] = lib.Ledger.keygen("example.com/audit");
  writeFileSync(join(dir, "audit.key"), `${privateKey}\n`);
  const ledger = lib.Ledger.init(join(dir, "L"), join(dir, "audit.key"));
  ledger.append(entries.slice(0, 4).map((e) => lib.fromJson(e)));
  const olderCheckpoint = ledger.checkpoint();
  ledger.append(entries.slice(4).map((e) => lib.fromJson(e)));
  const example = {
    publicKey,
    checkpoint: ledger.checkpoint(),
    olderCheckpoint,
    entry: entries[3],
    entryIndex: 3,
    inclusionProof: ledger.prove(3),
    consistencyProof: ledger.proveConsistency(4),
  };
  ledger.close();
  const text = `// A ledger proof to check offline: a six-entry ledger made by
// tests/npm/make-ledger-example.js (with the Node package's Ledger), its
// signed checkpoints (after four and six entries) and public key, entry 3 as
// proto3 JSON, its inclusion proof and the consistency proof from four to six
// entries. Used by the playground and by tests/npm/proof.test.js.

export const LEDGER_EXAMPLE = ${JSON.stringify(example, null, 2)};
`;
  writeFileSync(new URL("../../bindings/wasm/playground/ledger-example.js", import.meta.url), text);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
