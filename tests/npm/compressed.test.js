// Compressed length-delimited streams: the Node package (napi) reads gzip
// and zstd bytes as they are, told by their magic bytes, in the calls that
// take a whole stream. (The browser package takes them decompressed, by
// `DecompressionStream`.)

import { assert, isNode, test } from "./harness.js";
import { binding, lib, packageName } from "./lib.js";

const skip = binding !== "node" && "the browser package does not decompress";
// Node's modules, only where they exist: the suite also loads in Chromium.
const { readFile } = isNode ? await import("node:fs/promises") : {};
const { gzipSync } = isNode ? await import("node:zlib") : {};
const examples = new URL("../../examples/good/", import.meta.url);

async function plainAndZstd() {
  const plain = new Uint8Array(await readFile(new URL("mcp-session.binpb", examples)));
  // Written by `complog convert --to binary examples/good/mcp-session.binpb -o …zst`.
  const zstd = new Uint8Array(await readFile(new URL("fixtures/mcp-session.binpb.zst", import.meta.url)));
  return { plain, zstd };
}

test(`${packageName}: decodeDelimited and validateDelimited read gzip and zstd`, { skip }, async () => {
  const { plain, zstd } = await plainAndZstd();
  const expected = lib.decodeDelimited(plain);
  assert.ok(expected.length > 1);
  const gzip = new Uint8Array(gzipSync(plain));
  for (const bytes of [gzip, zstd]) {
    assert.deepEqual(lib.decodeDelimited(bytes), expected);
    assert.deepEqual(
      lib.validateDelimited(bytes).map((r) => r.valid),
      lib.validateDelimited(plain).map((r) => r.valid),
    );
  }
});

test(`${packageName}: corrupted compressed bytes throw a structured error`, { skip }, async () => {
  const { plain } = await plainAndZstd();
  const gzip = new Uint8Array(gzipSync(plain));
  gzip[gzip.length - 6] ^= 0xff; // the CRC in the trailer
  assert.throws(
    () => lib.decodeDelimited(gzip),
    (err) => err instanceof lib.ComplianceLogError && err.code === "IO",
  );
});
