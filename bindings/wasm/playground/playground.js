// The playground's logic: every result on the page comes from the package
// (../index.js, the Rust core in WebAssembly); this file only renders it.

import * as lib from "../index.js";
import { LEDGER_EXAMPLE } from "./ledger-example.js";

/** Examples: the spec README's, two for AI agents, and a bad one. */
const EXAMPLES = {
  "MCP tool call (spec README)": {
    eventType: "EVENT_TOOL_INVOCATION",
    outcome: "OUTCOME_SUCCESS",
    severity: "SEVERITY_INFO",
    actorId: "agent-001",
    component: "mcp-client",
    environment: "production",
    resource: "tools/database_query",
    message: "Executed database query tool",
    payload: "eyJxdWVyeSI6ICJTRUxFQ1QgKiBGUk9NIHVzZXJzIiwgInJvd3NfcmV0dXJuZWQiOiA0Mn0=",
    policyTags: ["SOC2", "data-access"],
    sensitivity: "SENSITIVITY_CONFIDENTIAL",
  },
  "Guardrail check (spec README)": {
    eventType: "EVENT_GUARDRAIL_CHECK",
    outcome: "OUTCOME_FAILURE_DENIED",
    severity: "SEVERITY_WARNING",
    actorId: "agent-001",
    component: "safety-filter",
    environment: "production",
    resource: "guardrails/pii-detection",
    message: "PII detected in agent output, blocked",
    payload: "eyJydWxlIjogInNzbi1wYXR0ZXJuIiwgImFjdGlvbiI6ICJibG9jayJ9",
    policyTags: ["PII", "HIPAA"],
    sensitivity: "SENSITIVITY_HIGHLY_RESTRICTED",
  },
  "Model inference with delegation": {
    eventType: "EVENT_MODEL_INFERENCE",
    outcome: "OUTCOME_SUCCESS",
    severity: "SEVERITY_INFO",
    actorId: "summariser-agent",
    actorType: "ACTOR_TYPE_AGENT",
    time: "2026-03-01T09:30:00.250Z",
    eventId: "0195f0a2-7c3b-7d4e-8f00-1234567890ab",
    delegationChain: [
      { actorId: "alice@example.com", actorType: "ACTOR_TYPE_USER", scopes: ["tickets:read"], reason: "SUP-1234" },
      { actorId: "support-orchestrator", actorType: "ACTOR_TYPE_AGENT" },
    ],
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    durationMs: "1840",
    genai: {
      operationName: "chat",
      providerName: "anthropic",
      requestModel: "claude-sonnet",
      inputTokens: "1200",
      outputTokens: "310",
      finishReasons: ["stop"],
      temperature: 0.2,
    },
    policyTags: ["SOC2"],
    sensitivity: "SENSITIVITY_INTERNAL",
  },
  "MCP initialize": {
    eventType: "EVENT_MCP_INITIALIZE",
    outcome: "OUTCOME_SUCCESS",
    severity: "SEVERITY_DEBUG",
    actorId: "lokryn-mcp",
    actorType: "ACTOR_TYPE_SERVICE",
    time: "2026-03-01T09:29:58Z",
    mcp: {
      methodName: "initialize",
      protocolVersion: "2025-06-18",
      transport: "streamable-http",
      clientName: "lokryn-mcp",
      clientVersion: "0.9.0",
      serverName: "db-server",
      serverVersion: "2.1.0",
    },
  },
  "Bad: who did what?": {
    eventType: "EVENT_TYPE_UNSPECIFIED",
    outcome: "OUTCOME_SUCCESS",
    severity: 42,
    resource: "db/customers",
    message: "exported 10,000 rows",
  },
};

/**
 * The verdict under each validation profile the package offers: baseline
 * alone, then each compliance profile (which adds its rules to baseline's and
 * searches the record for sensitive data). The violations listed are those
 * of the strictest: every profile at once.
 */
const PROFILES = [
  { name: "baseline", options: undefined },
  { name: "soc2", options: { profile: "soc2" } },
  { name: "hipaa", options: { profile: "hipaa" } },
  { name: "pci", options: { profile: "pci" } },
];
const ALL_PROFILES = { profile: ["soc2", "hipaa", "pci"] };

const $ = (id) => document.getElementById(id);

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function hexDump(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0"));
    lines.push(`${i.toString(16).padStart(6, "0")}  ${chunk.join(" ")}`);
  }
  return lines.join("\n");
}

function clear() {
  for (const id of ["profiles", "violations"]) $(id).tBodies[0].replaceChildren();
  for (const id of ["json", "bytes", "size"]) $(id).textContent = "";
  $("error").hidden = true;
}

function showError(err) {
  const where = err.jsonLine ? ` (line ${err.jsonLine}, column ${err.jsonColumn})` : "";
  $("error").textContent = `${err.name} ${err.code ?? ""}${where}: ${err.message}`;
  $("error").hidden = false;
  $("status").textContent = "error";
}

function check() {
  clear();
  let entry;
  try {
    entry = lib.fromJsonString($("entry").value);
  } catch (err) {
    showError(err);
    return;
  }
  const bytes = lib.encode(entry);
  const reports = PROFILES.map((p) => [p, lib.validate(bytes, p.options)]);
  for (const [profile, report] of reports) {
    const row = $("profiles").tBodies[0].insertRow();
    row.dataset.profile = profile.name;
    const errors = report.violations.filter((v) => v.level === "error").length;
    cell(row, profile.name);
    cell(row, report.valid ? "valid" : "not valid", report.valid ? "valid" : "invalid");
    cell(row, String(errors));
    cell(row, String(report.violations.length - errors));
  }
  for (const v of lib.validate(bytes, ALL_PROFILES).violations) {
    const row = $("violations").tBodies[0].insertRow();
    cell(row, v.level, `level-${v.level}`);
    cell(row, v.field || "(record)");
    cell(row, v.ruleId);
    cell(row, v.message);
    cell(row, v.clauses.join("; "));
  }
  $("json").textContent = JSON.stringify(lib.toJson(bytes), null, 2);
  $("bytes").textContent = hexDump(bytes);
  $("bytes").dataset.hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  $("size").textContent = `(${bytes.length} bytes)`;
  $("status").textContent = reports[0][1].valid ? "checked: valid" : "checked: not valid";
}

function pick(name) {
  $("entry").value = JSON.stringify(EXAMPLES[name], null, 2);
  check();
}

for (const name of Object.keys(EXAMPLES)) {
  $("example").add(new Option(name, name));
}
$("example").addEventListener("change", () => pick($("example").value));
$("check").addEventListener("click", check);
$("entry").addEventListener("input", () => {
  clearTimeout(check.timer);
  check.timer = setTimeout(check, 300);
});
/** What a successful check established, in words. */
function describeCheck(c) {
  if (c.type === "inclusion") {
    const entry = c.entryChecked ? "the entry given is" : "an entry with the proof's leaf hash is";
    return `Verified: ${entry} entry ${c.index} of the log ${c.origin} of ${c.size} entries.`;
  }
  return `Verified: the log ${c.origin} of ${c.size} entries extends its ${c.size1}-entry version (append-only).`;
}

function checkLedgerProof() {
  const result = $("proof-result");
  const checkpoints = [$("proof-older").value, $("proof-checkpoint").value].filter((t) => t.trim() !== "");
  const entryText = $("proof-entry").value.trim();
  try {
    const entry = entryText === "" ? undefined : lib.fromJsonString(entryText);
    const checked = lib.checkProof($("proof").value, checkpoints, $("proof-key").value.trim(), entry);
    result.textContent = describeCheck(checked);
    result.className = "verified";
    result.dataset.outcome = "verified";
  } catch (err) {
    const where = err.index === undefined ? "" : ` (entry ${err.index})`;
    result.textContent = `Not verified: ${err.code ?? err.name}${where}: ${err.message}`;
    result.className = "failed";
    result.dataset.outcome = err.code ?? "error";
  }
}

function loadLedgerExample() {
  const ex = LEDGER_EXAMPLE;
  $("proof").value = ex.inclusionProof;
  $("proof-checkpoint").value = ex.checkpoint;
  $("proof-older").value = "";
  $("proof-key").value = ex.publicKey;
  $("proof-entry").value = JSON.stringify(ex.entry, null, 2);
  checkLedgerProof();
}

$("proof-example").addEventListener("click", loadLedgerExample);
$("proof-check").addEventListener("click", checkLedgerProof);

$("version").textContent = lib.VERSION;
pick(Object.keys(EXAMPLES)[0]);
document.body.dataset.ready = "true";
