// The page of smoke.html: the spec README's first example, encoded in the
// browser, must be the Rust core's bytes, and valid.
const results = [];
function check(name, fn) {
  return Promise.resolve()
    .then(fn)
    .then(
      () => results.push({ name, status: "pass" }),
      (err) => results.push({ name, status: "fail", error: String(err?.stack ?? err) }),
    );
}

const lib = await import("@lokryn/compliance-log-wasm");
const { hex } = await (await fetch("./expected.json")).json();
const entry = {
  eventType: lib.EventType.EVENT_TOOL_INVOCATION,
  outcome: lib.Outcome.SUCCESS,
  severity: lib.Severity.INFO,
  actorId: "agent-001",
  component: "mcp-client",
  environment: "production",
  resource: "tools/database_query",
  message: "Executed database query tool",
  payload: new TextEncoder().encode('{"query": "SELECT * FROM users", "rows_returned": 42}'),
  policyTags: ["SOC2", "data-access"],
  sensitivity: lib.Sensitivity.CONFIDENTIAL,
};

await check("the spec README's first example encodes to the Rust core's bytes in the browser", () => {
  const got = Array.from(lib.encode(entry), (b) => b.toString(16).padStart(2, "0")).join("");
  if (got !== hex) throw new Error(`${got} !== ${hex}`);
});
await check("and it is valid", () => {
  if (!lib.validate(entry).valid) throw new Error("not valid");
});
await check("bad input throws a ComplianceLogError", () => {
  try {
    lib.decode(new Uint8Array([0xff]));
  } catch (err) {
    if (err instanceof lib.ComplianceLogError && err.code === "DECODE") return;
    throw err;
  }
  throw new Error("no error");
});

document.getElementById("out").textContent = JSON.stringify(results, null, 2);
window.__results = results;
window.__done = true;
