// The playground (bindings/wasm/playground) in headless Chromium, driven as a
// person would: pick examples, paste text, read what the page shows. Used by
// `node tests/npm/browser.js playground OUT.png`, which saves a screenshot.

import { readFile } from "node:fs/promises";

const vectors = new URL("../vectors/wire/", import.meta.url);
const hex = (bytes) => Buffer.from(bytes).toString("hex");

export async function exercisePlayground(page, url, screenshot) {
  const results = [];
  async function check(name, fn) {
    try {
      await fn();
      results.push({ name, status: "pass" });
    } catch (err) {
      results.push({ name, status: "fail", error: String(err?.stack ?? err) });
    }
  }
  const text = (id) => page.locator(`#${id}`).innerText();
  const verdict = (profile) => page.locator(`#profiles tr[data-profile=${profile}]`).innerText();
  const expect = (cond, message) => {
    if (!cond) throw new Error(message);
  };

  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });

  await check("playground: the spec README's first example gives the Rust core's bytes and JSON", async () => {
    const binary = await readFile(new URL("spec-tool-invocation.binpb", vectors));
    const json = JSON.parse(await readFile(new URL("spec-tool-invocation.json", vectors), "utf8"));
    expect((await page.locator("#bytes").getAttribute("data-hex")) === hex(binary), "bytes differ");
    expect(JSON.stringify(JSON.parse(await text("json"))) === JSON.stringify(json), "JSON differs");
    expect((await text("size")) === `(${binary.length} bytes)`, "size");
    expect((await verdict("baseline")).includes("valid"), "no verdict");
    expect(!(await verdict("baseline")).includes("not valid"), "verdict is not valid");
    // The spec's example sets no time and no origin: PCI DSS 10.2.2 wants both.
    expect((await verdict("pci")).includes("not valid"), "pci verdict");
  });

  await check("playground: picking the guardrail example shows its bytes", async () => {
    await page.selectOption("#example", "Guardrail check (spec README)");
    const binary = await readFile(new URL("spec-guardrail-check.binpb", vectors));
    expect((await page.locator("#bytes").getAttribute("data-hex")) === hex(binary), "bytes differ");
  });

  await check("playground: invalid JSON pasted in shows a JSON error with its position", async () => {
    await page.fill("#entry", '{\n  "actorId": 3\n}');
    await page.click("#check");
    const error = await text("error");
    expect(error.includes("JSON") && error.includes("line 2"), `error shown: ${error}`);
    expect((await text("bytes")) === "", "stale bytes still shown");
  });

  await check("playground: a bad record shows its violations", async () => {
    await page.selectOption("#example", "Bad: who did what?");
    expect((await verdict("baseline")).includes("not valid"), "verdict");
    const violations = await text("violations");
    for (const field of ["eventType", "severity", "actorId", "time"]) {
      expect(violations.includes(field), `no violation on ${field}: ${violations}`);
    }
    expect(violations.includes("PCI DSS v4.0 10.2.2"), "no clauses");
  });

  await check("playground: the example ledger proof is verified, with its entry", async () => {
    await page.click("#proof-example");
    const result = page.locator("#proof-result");
    expect((await result.getAttribute("data-outcome")) === "verified", `not verified: ${await result.innerText()}`);
    expect((await result.innerText()).includes("entry 3 of the log example.com/audit of 6 entries"), "wording");
  });

  await check("playground: an edited entry or proof shows why it fails", async () => {
    const entry = JSON.parse(await page.inputValue("#proof-entry"));
    await page.fill("#proof-entry", JSON.stringify({ ...entry, actorId: "mallory@example.com" }));
    await page.click("#proof-check");
    const result = page.locator("#proof-result");
    expect((await result.getAttribute("data-outcome")) === "ENTRY_MISMATCH", await result.innerText());
    await page.fill("#proof-entry", "");
    const proof = JSON.parse(await page.inputValue("#proof"));
    delete proof.entry;
    proof.index = 2;
    await page.fill("#proof", JSON.stringify(proof));
    await page.click("#proof-check");
    expect((await result.getAttribute("data-outcome")) === "BAD_PROOF", await result.innerText());
    expect((await result.innerText()).startsWith("Not verified: BAD_PROOF"), "wording");
    // Shown verified in the screenshot.
    await page.click("#proof-example");
  });

  await check("playground: screenshot saved", async () => {
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.screenshot({ path: screenshot, fullPage: true });
  });
  return results;
}
