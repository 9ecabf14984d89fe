// checkProof: a ledger proof checked offline with only the proof, the signed
// checkpoint(s), the public key and (optionally) the entry, in both packages
// and in a browser. The example ledger is the playground's
// (bindings/wasm/playground/ledger-example.js).

import { assert, test } from "./harness.js";
import { lib, packageName } from "./lib.js";
import { LEDGER_EXAMPLE as ex } from "../../bindings/wasm/playground/ledger-example.js";

function throwsCode(fn, code, message) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof lib.ComplianceLogError, `not a ComplianceLogError: ${err}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** The proof's JSON with `edit` applied. */
function edited(proofText, edit) {
  const proof = JSON.parse(proofText);
  edit(proof);
  return JSON.stringify(proof);
}

test(`${packageName}: checkProof verifies an inclusion proof with the entry, as object or bytes`, () => {
  const entry = lib.fromJson(ex.entry);
  const expected = {
    type: "inclusion",
    origin: "example.com/audit",
    size: 6,
    index: ex.entryIndex,
    entryChecked: true,
  };
  assert.deepEqual(lib.checkProof(ex.inclusionProof, ex.checkpoint, ex.publicKey, entry), expected);
  assert.deepEqual(lib.checkProof(ex.inclusionProof, [ex.checkpoint], ex.publicKey, lib.encode(entry)), expected);
  // The proof carries the entry's bytes: without an entry argument those are checked.
  assert.deepEqual(lib.checkProof(ex.inclusionProof, ex.checkpoint, ex.publicKey), expected);
  const bare = edited(ex.inclusionProof, (p) => {
    delete p.entry;
  });
  assert.deepEqual(lib.checkProof(bare, ex.checkpoint, ex.publicKey), { ...expected, entryChecked: false });
  assert.deepEqual(lib.checkProof(bare, ex.checkpoint, ex.publicKey, entry), expected);
});

test(`${packageName}: checkProof verifies a consistency proof between two checkpoints`, () => {
  const expected = { type: "consistency", origin: "example.com/audit", size: 6, size1: 4, entryChecked: false };
  assert.deepEqual(lib.checkProof(ex.consistencyProof, [ex.olderCheckpoint, ex.checkpoint], ex.publicKey), expected);
  // In either order.
  assert.deepEqual(lib.checkProof(ex.consistencyProof, [ex.checkpoint, ex.olderCheckpoint], ex.publicKey), expected);
});

test(`${packageName}: checkProof names why a proof does not check`, () => {
  const entry = lib.fromJson(ex.entry);
  // Another entry, or the same one edited.
  throwsCode(
    () => lib.checkProof(ex.inclusionProof, ex.checkpoint, ex.publicKey, { ...entry, actorId: "mallory" }),
    "ENTRY_MISMATCH",
  );
  // The entry the proof carries, replaced.
  const carried = edited(ex.inclusionProof, (p) => {
    p.entry = btoa(String.fromCharCode(...lib.encode({ ...entry, actorId: "mallory" })));
  });
  throwsCode(() => lib.checkProof(carried, ex.checkpoint, ex.publicKey), "ENTRY_MISMATCH");
  // A proof hash changed.
  const tampered = edited(ex.inclusionProof, (p) => {
    p.proof[0] = p.proof[1];
  });
  throwsCode(() => lib.checkProof(tampered, ex.checkpoint, ex.publicKey, entry), "BAD_PROOF");
  // The proof moved to another index.
  const moved = edited(ex.inclusionProof, (p) => {
    p.index = 2;
  });
  throwsCode(() => lib.checkProof(moved, ex.checkpoint, ex.publicKey), "BAD_PROOF");
  // The checkpoint's root edited: its signature no longer opens.
  const forged = ex.checkpoint.replace(/\n6\n./, (m) => m.slice(0, -1) + (m.endsWith("A") ? "B" : "A"));
  assert.notEqual(forged, ex.checkpoint);
  throwsCode(() => lib.checkProof(ex.inclusionProof, forged, ex.publicKey, entry), "BAD_SIGNATURE");
  // Another key.
  const otherKey = "example.com/audit+00000000+AV1EakY0Uh2l3mYie0hhK5T+Iv+WwhaVkvKtOG7gmq4s";
  assert.throws(() => lib.checkProof(ex.inclusionProof, ex.checkpoint, otherKey, entry), lib.ComplianceLogError);
  // A checkpoint of another size.
  throwsCode(() => lib.checkProof(ex.inclusionProof, ex.olderCheckpoint, ex.publicKey, entry), "SIZE_MISMATCH");
  // A consistency proof needs two checkpoints; an inclusion proof one.
  throwsCode(() => lib.checkProof(ex.consistencyProof, ex.checkpoint, ex.publicKey), "USAGE");
  throwsCode(() => lib.checkProof(ex.inclusionProof, [ex.olderCheckpoint, ex.checkpoint], ex.publicKey), "USAGE");
  throwsCode(() => lib.checkProof("{}", ex.checkpoint, ex.publicKey), "BAD_PROOF", /not a proof/);
  throwsCode(() => lib.checkProof(ex.inclusionProof, ex.checkpoint, "not a key"), "BAD_KEY");
});

test(`${packageName}: checkProof refuses arguments of the wrong type`, () => {
  throwsCode(() => lib.checkProof(JSON.parse(ex.inclusionProof), ex.checkpoint, ex.publicKey), "TYPE", /^proof:/);
  throwsCode(() => lib.checkProof(ex.inclusionProof, [ex.checkpoint, 4], ex.publicKey), "TYPE", /checkpoints\[1\]/);
  throwsCode(() => lib.checkProof(ex.inclusionProof, ex.checkpoint, ex.publicKey, 3), "TYPE");
  throwsCode(() => lib.checkProof(ex.inclusionProof, ex.checkpoint, ex.publicKey, { actorID: "a" }), "TYPE");
});
