// Drives headless Chromium (Debian's `chromium`, or $CHROMIUM) with
// playwright-core over a static server of the repository on 127.0.0.1.
//
//   node tests/npm/browser.js suite               tests/npm/*.test.js against the wasm package
//   node tests/npm/browser.js playground OUT.png  the playground, exercised; screenshot to OUT.png
//   node tests/npm/browser.js smoke DIR           DIR/smoke.html (an installed tarball), see xtask dist
//   node tests/npm/browser.js report FILE OUT.png  an evidence report (`complog report`): no
//                                                  errors, no requests, prints to PDF; screenshot
//   node tests/npm/browser.js bench               benches/npm-browser.html: the wasm package's codec
//                                                  next to protobuf-es and protobufjs in the page
//                                                  (LOKRYN_BENCH_ONLY=decode: the rows starting so;
//                                                  LOKRYN_BENCH_CLOCK=cpu: the page's CPU time)
//
// Prints one line per test and closes with "N passed, N failed"; exits 1 on
// any failure.

import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".ts": "text/plain; charset=utf-8",
  ".png": "image/png",
};

/** Serves `root` on a free port of 127.0.0.1; resolves to [server, origin]. */
function serve(root) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path.endsWith("/")) path += "index.html";
    const file = join(root, path);
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok([server, `http://127.0.0.1:${server.address().port}`])));
}

function browserPath() {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error("no Chromium: install Debian's `chromium` or set CHROMIUM");
  return found;
}

async function withPage(root, fn) {
  const [server, origin] = await serve(root);
  const browser = await chromium.launch({
    executablePath: browserPath(),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    return await fn(page, origin, errors);
  } finally {
    await browser.close();
    server.close();
  }
}

function report(results) {
  for (const r of results) {
    console.log(`${r.status === "pass" ? "ok" : r.status === "skip" ? "skip" : "not ok"} - ${r.file ? `${r.file}: ` : ""}${r.name}`);
    if (r.error) console.log(r.error.replace(/^/gm, "    "));
  }
  const failed = results.filter((r) => r.status === "fail").length;
  const passed = results.filter((r) => r.status === "pass").length;
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0;
}

async function suite() {
  const files = readdirSync(here).filter((f) => f.endsWith(".test.js")).sort();
  return withPage(repo, async (page, origin, errors) => {
    const version = page.context().browser().version();
    console.log(`# Chromium ${version}: ${files.length} files`);
    await page.goto(`${origin}/tests/npm/browser.html?files=${files.join(",")}`);
    await page.waitForFunction(() => window.__done === true, null, { timeout: 120_000 });
    const results = await page.evaluate(() => window.__results);
    if (errors.length) results.push({ name: "no page errors", status: "fail", error: errors.join("\n") });
    return report(results);
  });
}

async function playground(screenshot) {
  const { exercisePlayground } = await import("./playground.browser.js");
  return withPage(repo, async (page, origin, errors) => {
    const results = await exercisePlayground(page, `${origin}/bindings/wasm/playground/`, screenshot);
    if (errors.length) results.push({ name: "no page errors", status: "fail", error: errors.join("\n") });
    console.log(`# screenshot: ${screenshot}`);
    return report(results);
  });
}

async function smoke(dir) {
  return withPage(resolve(dir), async (page, origin, errors) => {
    await page.goto(`${origin}/smoke.html`);
    await page.waitForFunction(() => window.__done === true, null, { timeout: 60_000 });
    const results = await page.evaluate(() => window.__results);
    if (errors.length) results.push({ name: "no page errors", status: "fail", error: errors.join("\n") });
    return report(results);
  });
}

/** A `complog report` page opened from its file: nothing but the page is
 * fetched, no console errors, headings and chart text present, first page
 * screenshot to `screenshot`, and it prints to PDF. */
async function evidence(file, screenshot) {
  return withPage(dirname(resolve(file)), async (page, origin, errors) => {
    const results = [];
    const url = `${origin}/${encodeURIComponent(file.split(sep).pop())}`;
    const requests = [];
    page.on("request", (req) => {
      if (req.url() !== url) requests.push(req.url());
    });
    const check = async (name, fn) => {
      try {
        await fn();
        results.push({ name, status: "pass" });
      } catch (e) {
        results.push({ name, status: "fail", error: String(e?.stack ?? e) });
      }
    };
    await page.goto(url);
    await check("headings and sections", async () => {
      const h = await page.$$eval("h1, h2", (hs) => hs.map((x) => x.textContent));
      for (const want of ["Integrity", "Coverage of required events", "Validation", "Activity", "AI agents", "Reproducibility"]) {
        if (!h.some((t) => t.startsWith(want))) throw new Error(`no heading ${want}: ${h.join(" | ")}`);
      }
    });
    await check("every chart has a text alternative and every table headers", async () => {
      const bad = await page.$$eval("svg", (ss) => ss.filter((s) => !s.querySelector("title") || !s.querySelector("desc")).length);
      if (bad) throw new Error(`${bad} charts without title and desc`);
      const headless = await page.$$eval("table", (ts) => ts.filter((t) => !t.querySelector("th")).length);
      if (headless) throw new Error(`${headless} tables without headers`);
    });
    await page.screenshot({ path: screenshot });
    await check("prints to PDF", async () => {
      const pdf = await page.pdf({ format: "A4" });
      if (pdf.subarray(0, 5).toString() !== "%PDF-" || pdf.length < 5000) throw new Error(`not a PDF (${pdf.length} bytes)`);
    });
    await check("no network requests", async () => {
      if (requests.length) throw new Error(requests.join("\n"));
    });
    if (errors.length) results.push({ name: "no page errors", status: "fail", error: errors.join("\n") });
    console.log(`# screenshot: ${screenshot}`);
    return report(results);
  });
}

/** The codec rows of benches/npm.mjs measured in the page, printed as a Markdown table. */
async function bench() {
  const { readFileSync } = await import("node:fs");
  const protobufjs = (await import("protobufjs")).default;
  const { fmt, ratio } = await import("../../benches/npm-measure.mjs");
  const jsonText = JSON.stringify(JSON.parse(readFileSync(join(repo, "crates/lokryn-compliance-log/benches/entry.json"), "utf8")));
  // protobufjs reads the schema here (the page has no file system) and hands it over as JSON.
  const root = new protobufjs.Root();
  root.resolvePath = (_origin, target) =>
    target === "google/protobuf/descriptor.proto"
      ? join(repo, "node_modules/protobufjs/google/protobuf/descriptor.proto")
      : target.startsWith("google/")
        ? target
        : join(repo, "proto", target);
  root.loadSync("lokryn/compliancelog/v1/logentry.proto", { keepCase: false });
  root.resolveAll();
  const sampleMs = Number(process.env.LOKRYN_BENCH_MS ?? 200);
  return withPage(repo, async (page, origin, errors) => {
    const version = page.context().browser().version();
    await page.goto(`${origin}/benches/npm-browser.html`);
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 60_000 });
    const config = { jsonText, pbjsRoot: root.toJSON(), sampleMs, only: process.env.LOKRYN_BENCH_ONLY };
    const cpu = process.env.LOKRYN_BENCH_CLOCK === "cpu";
    const out = cpu ? await cpuBench(page, config) : await page.evaluate((c) => window.runBench(c), config);
    if (errors.length) {
      console.error(errors.join("\n"));
      return false;
    }
    const clock = cpu ? "CPU time of the page's main thread (DevTools protocol)" : "wall-clock time";
    console.log(`Entry: ${out.bytes} bytes. Chromium ${version} (headless), ${new Date().toISOString().slice(0, 10)}. Median of 21 samples of ${sampleMs / 4} ms of ${clock}, per entry, the implementations' samples taking turns.\n`);
    console.log("| Operation | wasm | protobuf-es | protobufjs | wasm vs protobuf-es | wasm vs fastest peer |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of out.results) {
      const fastest = r.pbjs ?? r.es;
      console.log(`| ${r.op} | ${fmt(r.wasm)} | ${fmt(r.es)} | ${fmt(r.pbjs)} | ${ratio(r.es, r.wasm)} | ${ratio(fastest, r.wasm, 2)} |`);
    }
    console.log(`\n"fastest peer": protobufjs where it has the operation, else protobuf-es; below 1× is slower.`);
    return true;
  });
}

/**
 * The bench's rows timed by the CPU time of the renderer's main thread
 * (`ThreadTime` of the DevTools protocol's Performance domain), read around
 * each sample: other processes' load then moves the figures far less than it
 * moves the page's wall clock. The samples of a row's implementations take
 * turns, as in the page's own timing; the cost of a sample with no calls
 * (the protocol's round trip) is taken off each.
 */
async function cpuBench(page, config) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const threadTime = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "ThreadTime").value;
  const { bytes, rows } = await page.evaluate((c) => window.prepareCpuBench(c), config);
  const sample = async (row, impl, n) => {
    const before = await threadTime();
    await page.evaluate(([r, i, k]) => window.sampleCpu(r, i, k), [row, impl, n]);
    return (await threadTime()) - before;
  };
  const median = (list) => list.sort((a, b) => a - b)[list.length >> 1];
  const empty = [];
  for (let s = 0; s < 21; s++) empty.push(await sample(0, 0, 0));
  const overhead = median(empty);
  const results = [];
  for (const [row, { op, impls }] of rows.entries()) {
    const n = [];
    for (let i = 0; i < impls; i++) n.push(await page.evaluate(([r, k]) => window.cpuCalls(r, k), [row, i]));
    const samples = n.map(() => []);
    for (let s = 0; s < 21; s++) {
      for (let i = 0; i < impls; i++) samples[i].push(((await sample(row, i, n[i])) - overhead) * 1e9 / n[i]);
    }
    const [wasm, es, pbjs] = samples.map(median);
    results.push({ op, wasm, es, pbjs: pbjs ?? null });
  }
  return { bytes, results };
}

const [mode, arg, arg2] = process.argv.slice(2);
let ok;
if (mode === "suite") ok = await suite();
else if (mode === "playground") ok = await playground(resolve(arg ?? "playground.png"));
else if (mode === "smoke") ok = await smoke(arg);
else if (mode === "report") ok = await evidence(arg, resolve(arg2 ?? "report.png"));
else if (mode === "bench") ok = await bench();
else {
  console.error("usage: node tests/npm/browser.js suite | playground OUT.png | smoke DIR | report FILE OUT.png | bench");
  process.exit(2);
}
process.exit(ok ? 0 : 1);
