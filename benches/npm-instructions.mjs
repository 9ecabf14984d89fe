// Instructions per entry of the Node package's JavaScript codec next to
// protobufjs (protobuf-es for fromJsonString), and of the wasm package's
// `toJsonString` of an encoded entry (`toJsonBytesWasm`), counted by callgrind: unlike
// time, a count does not move with the load of a shared machine. Each figure
// is the difference between a run of N2 and one of N1 calls after the same
// warm-up (so the same start-up and compilation in both), divided by
// N2 - N1, with V8 on one thread (`--single-threaded`) so that no background
// work is counted.
//
//   node benches/npm-instructions.mjs        # needs valgrind; 10-30 minutes
//   LOKRYN_BENCH_ONLY=encode,decode node benches/npm-instructions.mjs
//
// The child mode (`node benches/npm-instructions.mjs run OP IMPL N`) runs
// one operation N times.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const [mode, op, impl, count] = process.argv.slice(2);
const WARM_UP = 20_000;
const root = new URL("../", import.meta.url);

if (mode === "run") {
  const napi = await import("@lokryn/compliance-log");
  const wasm = op === "toJsonBytesWasm" ? await import("@lokryn/compliance-log-wasm") : null;
  const { fromBinary, fromJsonString, toBinary } = await import("@bufbuild/protobuf");
  const { LogEntrySchema } = await import("../tests/npm/gen/lokryn/compliancelog/v1/logentry_pb.js");
  const protobufjs = (await import("protobufjs")).default;
  const jsonText = JSON.stringify(JSON.parse(readFileSync(new URL("crates/lokryn-compliance-log/benches/entry.json", root), "utf8")));
  const bytes = toBinary(LogEntrySchema, fromJsonString(LogEntrySchema, jsonText));
  const plain = napi.decode(bytes);
  const pbjsRoot = new protobufjs.Root();
  pbjsRoot.resolvePath = (_origin, target) =>
    target === "google/protobuf/descriptor.proto"
      ? new URL("node_modules/protobufjs/google/protobuf/descriptor.proto", root).pathname
      : target.startsWith("google/")
        ? target
        : new URL(`proto/${target}`, root).pathname;
  pbjsRoot.loadSync("lokryn/compliancelog/v1/logentry.proto", { keepCase: false });
  pbjsRoot.resolveAll();
  const Pbjs = pbjsRoot.lookupType("lokryn.compliancelog.v1.LogEntry");
  const pbjsMessage = Pbjs.decode(bytes);
  const toObjectOptions = { longs: String, enums: String, bytes: String };
  const fns = {
    encode: { ours: () => napi.encode(plain), peer: () => Pbjs.encode(pbjsMessage).finish() },
    decode: { ours: () => napi.decode(bytes), peer: () => Pbjs.decode(bytes) },
    toJsonString: { ours: () => napi.toJsonString(plain), peer: () => JSON.stringify(Pbjs.toObject(pbjsMessage, toObjectOptions)) },
    // An encoded entry: the addon's native writer, and the wasm package's
    // JavaScript one (codec.js, straight from the wire).
    toJsonBytes: { ours: () => napi.toJsonString(bytes), peer: () => JSON.stringify(Pbjs.toObject(Pbjs.decode(bytes), toObjectOptions)) },
    toJsonBytesWasm: { ours: () => wasm.toJsonString(bytes), peer: () => JSON.stringify(Pbjs.toObject(Pbjs.decode(bytes), toObjectOptions)) },
    fromJsonString: { ours: () => napi.fromJsonString(jsonText), peer: () => fromJsonString(LogEntrySchema, jsonText) },
  };
  const fn = fns[op][impl];
  let sink = 0;
  // Warm-up first, the same in every run: V8 compiles the hot functions
  // (on this thread) within it, so that the compilation cancels out too.
  for (let i = 0; i < WARM_UP + Number(count); i++) sink ^= fn().length ?? 1;
  if (sink === 0.5) console.log(sink);
  void fromBinary;
} else {
  const N1 = 1000;
  const N2 = 6000;
  const instructions = (op, impl, n) => {
    const { stderr } = spawnSync(
      "valgrind",
      ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, "--single-threaded", new URL(import.meta.url).pathname, "run", op, impl, String(n)],
      { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] },
    );
    const m = /Collected : (\d+)/.exec(stderr);
    if (!m) throw new Error(`no count from callgrind: ${stderr}`);
    return Number(m[1]);
  };
  console.log("| Operation | ours (instructions) | peer | peer (instructions) | ours vs peer |");
  console.log("|---|---:|---|---:|---:|");
  const ops = process.env.LOKRYN_BENCH_ONLY?.split(",") ?? ["encode", "decode", "toJsonString", "toJsonBytes", "toJsonBytesWasm", "fromJsonString"];
  for (const op of ops) {
    const per = (impl) => (instructions(op, impl, N2) - instructions(op, impl, N1)) / (N2 - N1);
    const ours = per("ours");
    const peer = per("peer");
    const name = op === "fromJsonString" ? "protobuf-es" : "protobufjs";
    console.log(`| ${op} | ${Math.round(ours)} | ${name} | ${Math.round(peer)} | ${(peer / ours).toFixed(2)}× |`);
  }
}
