// The tamper-evident ledger from Node: append, verify, prove, check, read,
// and the errors it throws. The browser package has no storage: these run
// for the Node package only (checkProof, which both packages have, is in
// proof.test.js).

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";

const skip = binding === "node" ? false : "the wasm package has no storage (no Ledger)";

const fs = isNode ? await import("node:fs") : null;
const os = isNode ? await import("node:os") : null;
const path = isNode ? await import("node:path") : null;

function entry(i) {
  return {
    eventType: 1, // EVENT_LOGIN
    outcome: i % 2 ? 1 : 2, // OUTCOME_SUCCESS, OUTCOME_FAILURE_DENIED
    severity: 2, // SEVERITY_INFO
    actorId: `user-${i % 3}`,
    component: "auth",
    resource: `apps/${i}`,
    eventId: `019ac9f4-5e21-7a03-9c11-${i.toString(16).padStart(12, "0")}`,
  };
}

/** A fresh ledger in a temporary directory: `[ledger, publicKey, dir]`. */
function fresh() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lokryn-ledger-"));
  const [privateKey, publicKey] = lib.Ledger.keygen("example.com/audit");
  fs.writeFileSync(path.join(dir, "audit.key"), `${privateKey}\n`);
  const ledger = lib.Ledger.init(path.join(dir, "L"), path.join(dir, "audit.key"));
  return [ledger, publicKey, dir];
}

function throwsLedger(fn, expected) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof lib.ComplianceLogError, `not a ComplianceLogError: ${err}`);
    for (const [k, v] of Object.entries(expected)) {
      if (v instanceof RegExp) {
        assert.match(String(err[k]), v);
      } else {
        assert.deepEqual(err[k], v, `${k} of ${err.message}`);
      }
    }
    return true;
  });
}

test(`${packageName}: Ledger appends, verifies, proves and checks its proofs`, { skip }, () => {
  const [ledger, publicKey] = fresh();
  try {
    assert.match(publicKey, /^example\.com\/audit\+[0-9a-f]{8}\+/);
    assert.deepEqual(ledger.append([0, 1, 2, 3, 4].map(entry)), { start: 0, end: 5 });
    assert.deepEqual(ledger.append([lib.encode(entry(5))]), { start: 5, end: 6 });
    assert.equal(ledger.size, 6);
    const report = ledger.verify(publicKey);
    assert.equal(report.size, 6);
    assert.equal(report.origin, "example.com/audit");
    assert.equal(typeof report.root, "string");
    assert.ok(report.entryBytes > 0);
    assert.equal(report.unsignedTailBytes, 0);

    const proof = ledger.prove(3);
    assert.equal(JSON.parse(proof).type, "inclusion");
    const checkpoint = ledger.checkpoint();
    assert.match(checkpoint, /^example\.com\/audit\n6\n/);
    const checked = lib.Ledger.checkProof(proof, checkpoint, publicKey, entry(3));
    assert.deepEqual(checked, {
      type: "inclusion",
      origin: "example.com/audit",
      size: 6,
      index: 3,
      entryChecked: true,
    });
    assert.deepEqual(lib.checkProof(proof, [checkpoint], publicKey, lib.encode(entry(3))), checked);
    throwsLedger(() => lib.checkProof(proof, checkpoint, publicKey, entry(4)), { code: "ENTRY_MISMATCH" });

    const old = checkpoint;
    ledger.append([entry(6)]);
    const consistency = ledger.proveConsistency(6);
    assert.equal(JSON.parse(consistency).size2, 7);
    assert.deepEqual(lib.checkProof(consistency, [old, ledger.checkpoint()], publicKey), {
      type: "consistency",
      origin: "example.com/audit",
      size: 7,
      size1: 6,
      entryChecked: false,
    });
    // A proof for an older tree size, against the checkpoint kept for it.
    assert.equal(JSON.parse(ledger.prove(2, 6)).size, 6);
  } finally {
    ledger.close();
  }
});

test(`${packageName}: Ledger.read filters and gives entry objects`, { skip }, () => {
  const [ledger] = fresh();
  try {
    ledger.append([0, 1, 2, 3, 4, 5, 6, 7, 8].map(entry));
    const got = ledger.read({ actor: "user-1", outcome: lib.Outcome.SUCCESS });
    assert.deepEqual(
      got.map((e) => e.resource),
      ["apps/1", "apps/7"],
    );
    assert.equal(got[0].$typeName, "lokryn.compliancelog.v1.LogEntry");
    assert.equal(ledger.read().length, 9);
    throwsLedger(() => ledger.read({ since: "yesterday" }), { code: "USAGE", message: /RFC 3339/ });
  } finally {
    ledger.close();
  }
});

test(`${packageName}: Ledger refuses a second writer and locates tampering`, { skip }, () => {
  const [ledger, publicKey, dir] = fresh();
  ledger.append([0, 1, 2, 3].map(entry));
  const second = new lib.Ledger(path.join(dir, "L"));
  throwsLedger(() => second.append([entry(4)]), { code: "LOCKED" });
  ledger.close();
  const data = path.join(dir, "L", "entries.ldpb");
  const raw = fs.readFileSync(data);
  raw[raw.length - 3] ^= 1;
  fs.writeFileSync(data, raw);
  throwsLedger(() => ledger.verify(publicKey), { code: "TAMPERED", index: 3 });
  let caught;
  try {
    ledger.verify(publicKey);
  } catch (err) {
    caught = err;
  }
  assert.equal(typeof caught.offset, "number");
  assert.equal(caught.name, "ComplianceLogError");
});

test(`${packageName}: Ledger refuses invalid entries and bad arguments with codes`, { skip }, () => {
  const [ledger, , dir] = fresh();
  try {
    throwsLedger(() => ledger.append([entry(0), { ...entry(1), actorId: "" }]), { code: "INVALID" });
    assert.equal(ledger.size, 0);
    throwsLedger(() => ledger.append([entry(0), { actorID: "x" }]), { code: "TYPE", index: 1 });
    throwsLedger(() => ledger.append(entry(0)), { code: "TYPE" });
    throwsLedger(() => ledger.prove(0), { code: "BAD_PROOF", message: /out of range/ });
    throwsLedger(() => new lib.Ledger(path.join(dir, "nowhere")), { code: "NOT_A_LEDGER" });
    throwsLedger(() => lib.Ledger.init(path.join(dir, "L"), path.join(dir, "audit.key")), { code: "EXISTS" });
    const lenient = new lib.Ledger(path.join(dir, "L"), { allowInvalid: true });
    ledger.close();
    assert.deepEqual(lenient.append([{ ...entry(1), actorId: "" }]), { start: 0, end: 1 });
    lenient.close();
  } finally {
    ledger.close();
  }
});
