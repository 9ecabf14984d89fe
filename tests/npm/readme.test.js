// The JavaScript examples of the READMEs run, in order, as a reader would run
// them, and print what their comments promise.
//
// * The ```js blocks of README.md's "## JavaScript (Node)" section and of the
//   README of the package under test (bindings/node/README.md for the napi
//   build, bindings/wasm/README.md for the wasm build): each block is one
//   module, with its imports of either package rewritten to the build under
//   test and its relative imports (`./gen/…`, the protobuf-es code) resolved
//   from this folder. In a browser, the blocks that import `node:` modules
//   are left to the Node run; the blocks of the audit logger (`AuditLogger`,
//   the Node package's alone) run against the Node package only.
// * Every `console.log(…)` of a block must end with a comment that starts
//   with the values it prints, as JavaScript literals (`// "INVALID" 4`,
//   `// true; …`), must print them, and must run at least once. A block that
//   throws fails the test.
// * The ```html blocks of README.md's "## JavaScript (browsers)" section and
//   of bindings/wasm/README.md run in a browser (tests/npm/browser.js suite),
//   each in its own frame, and their rendered text is checked.

import { assert, isNode, test } from "./harness.js";
import { binding, packageName } from "./lib.js";

const PACKAGES = ["@lokryn/compliance-log", "@lokryn/compliance-log-wasm"];

async function readText(relative) {
  const url = new URL(relative, import.meta.url);
  if (isNode) {
    const { readFile } = await import("node:fs/promises");
    return readFile(url, "utf8");
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

/** The fenced blocks of `lang` in `markdown` (in `section` only, when given), with their line numbers. */
function blocks(markdown, lang, section) {
  markdown = markdown.replace(/\r\n/g, "\n");
  let offset = 0;
  if (section) {
    offset = markdown.indexOf(`\n${section}\n`);
    assert.ok(offset !== -1, `no "${section}" section`);
    const end = markdown.indexOf("\n## ", offset + section.length + 2);
    markdown = markdown.slice(0, end === -1 ? undefined : end);
  }
  const found = [];
  const fence = new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm");
  for (const m of markdown.matchAll(fence)) {
    if (m.index < offset) continue;
    found.push({ code: m[1], line: markdown.slice(0, m.index).split("\n").length + 1 });
  }
  return found;
}

/** The values a `// comment` promises: the JavaScript literals it starts with. */
function promised(comment) {
  const literal = /^\s*("(?:[^"\\]|\\.)*"|-?\d+n|-?\d+(?:\.\d+)?|true|false|null|undefined)(?=$|[\s:;,.)])/;
  const values = [];
  let rest = comment;
  for (let m; (m = literal.exec(rest)) !== null; rest = rest.slice(m[0].length)) {
    const token = m[1];
    if (token === "undefined") values.push(undefined);
    else if (token.endsWith("n")) values.push(BigInt(token.slice(0, -1)));
    else values.push(JSON.parse(token));
  }
  return values;
}

const show = (values) =>
  values.map((v) => (typeof v === "bigint" ? `${v}n` : typeof v === "string" ? JSON.stringify(v) : String(v))).join(" ");

/**
 * A block made runnable: console.log calls numbered, package and relative
 * imports resolved. Returns the code and what each call must print.
 */
function instrument(block, where, resolve) {
  const expected = [];
  const lines = block.code.split("\n").map((line, i) => {
    if (!line.includes("console.log(")) return line;
    const m = /console\.log\(.*?\);?\s+\/\/ ?(.*)$/.exec(line);
    const values = m ? promised(m[1]) : [];
    assert.ok(
      values.length > 0,
      `${where}, line ${block.line + i}: console.log without a comment promising what it prints`,
    );
    expected.push({ line: block.line + i, values });
    return line.replace("console.log(", `__readmeLog(${expected.length - 1}, `);
  });
  const code = lines
    .join("\n")
    .replace(
      // (and a pino transport's `target:`, which pino resolves from its caller)
      /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\btarget:\s*)(["'])([^"'\n]+)\2/g,
      // JSON quoting: a Windows path's backslashes stay backslashes.
      (_all, head, _quote, specifier) => `${head}${JSON.stringify(resolve(specifier))}`,
    );
  return { code, expected };
}

/** How a block's module specifiers resolve: to the build under test, and from this folder. */
async function resolver() {
  if (isNode) {
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    return (specifier, commonjs) => {
      if (specifier.startsWith("node:")) return specifier;
      if (PACKAGES.includes(specifier)) specifier = packageName;
      if (specifier.startsWith(".")) return commonjs ? require.resolve(specifier) : new URL(specifier, import.meta.url).href;
      return commonjs ? require.resolve(specifier) : import.meta.resolve(specifier);
    };
  }
  // A browser: bare names through browser.html's import map.
  return (specifier) => {
    if (PACKAGES.includes(specifier)) return packageName;
    if (specifier.startsWith(".")) return new URL(specifier, import.meta.url).href;
    return specifier;
  };
}

/** Runs one module's code: from a file in Node (CommonJS when it uses require), from a blob in a browser. */
async function runModule(code, commonjs, dir, n) {
  if (isNode) {
    const { writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { pathToFileURL } = await import("node:url");
    const file = join(dir, `block-${n}.${commonjs ? "cjs" : "mjs"}`);
    await writeFile(file, code);
    await import(pathToFileURL(file).href);
    return;
  }
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  try {
    await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Runs every js block of `readme` (of its `section`), in order, and checks what they print. */
async function runReadme(readme, section) {
  const all = blocks(await readText(`../../${readme}`), "js", section);
  assert.ok(all.length > 0, `no js examples in ${readme}${section ? ` ${section}` : ""}`);
  // The audit logger is the Node package's alone: its blocks run against it only.
  const nodePackageOnly = (b) => /\bAuditLogger\b/.test(b.code);
  const runnable = all.filter(
    (b) => (isNode || !/["']node:/.test(b.code)) && (binding === "node" || !nodePackageOnly(b)),
  );
  const resolve = await resolver();
  let dir;
  let cwd;
  if (isNode) {
    // The examples write files (audit.binpb): in a folder of their own.
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    dir = await mkdtemp(join(tmpdir(), "lokryn-readme-"));
    cwd = process.cwd();
    process.chdir(dir);
  }
  try {
    for (const [n, block] of runnable.entries()) {
      const where = `${readme}, the example at line ${block.line}`;
      const commonjs = /\brequire\s*\(/.test(block.code) && !/^import\s/m.test(block.code);
      const { code, expected } = instrument(block, where, (s) => resolve(s, commonjs));
      const printed = expected.map(() => []);
      globalThis.__readmeLog = (site, ...values) => printed[site].push(values);
      try {
        await runModule(code, commonjs, dir, n);
      } catch (err) {
        err.message = `${where} threw: ${err.message}`;
        throw err;
      } finally {
        delete globalThis.__readmeLog;
      }
      for (const [site, { line, values }] of expected.entries()) {
        assert.ok(printed[site].length > 0, `${readme}, line ${line}: console.log never ran`);
        for (const got of printed[site]) {
          assert.equal(show(got), show(values), `${readme}, line ${line}: printed ${show(got)}, the comment says ${show(values)}`);
          assert.deepEqual(got, values, `${readme}, line ${line}`);
        }
      }
    }
  } finally {
    if (isNode) {
      const { rm } = await import("node:fs/promises");
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
  }
  return runnable.length;
}

test(`${packageName}: README.md's "JavaScript (Node)" example runs and prints what it says`, async () => {
  await runReadme("README.md", "## JavaScript (Node)");
});

test(`${packageName}: docs/logging.md's Node examples run and print what they say`, {
  skip: binding === "node" ? false : "the wasm package has no logger",
}, async () => {
  const count = await runReadme("docs/logging.md", "## Node");
  assert.ok(count >= 4, `only ${count} examples ran`);
});

test(`${packageName}: README.md shows the tested five-line Node logger of docs/logging.md`, {
  skip: isNode ? false : "reads the files from disk",
}, async () => {
  const marked = async (file) => {
    const text = (await readText(`../../${file}`)).replace(/\r\n/g, "\n");
    const at = text.indexOf("<!-- five-line-node -->\n```js\n");
    assert.ok(at !== -1, `${file}: no five-line-node block`);
    const start = text.indexOf("\n", text.indexOf("```js", at)) + 1;
    return text.slice(start, text.indexOf("\n```", start));
  };
  const docs = await marked("docs/logging.md");
  assert.match(docs, /new AuditLogger\(/);
  assert.equal(await marked("README.md"), docs);
});

test(`${packageName}: the package README's examples run and print what they say`, async () => {
  const count = await runReadme(`bindings/${binding}/README.md`);
  assert.ok(count >= 3, `only ${count} examples ran`);
});

/**
 * What the html examples render, in order of the READMEs: one pattern per
 * block. (The JSON is canonical: keys in field order, 64-bit integers as
 * strings.)
 */
const RENDERED = {
  "README.md": [
    /^\d+ bytes, valid: true, \{"eventType":"EVENT_MODEL_INFERENCE","outcome":"OUTCOME_SUCCESS","severity":"SEVERITY_INFO","actorId":"summariser-agent","time":"[-0-9T:.]+Z","genai":\{"providerName":"anthropic","inputTokens":"1200","outputTokens":"310"\}\}$/,
  ],
  "bindings/wasm/README.md": [
    /^valid under pci: false; sensitive.card_number on message; redacted: card 4111 11\*\* \*\*\*\* 1111 on file$/,
  ],
};

/**
 * Loads an html example in a frame of this page and waits until the text it
 * renders (its body's, scripts left out) matches `pattern`.
 */
async function render(html, where, pattern) {
  const frame = document.createElement("iframe");
  // The top-level README leaves the import map to the reader: the one its comment describes.
  const map = html.includes('type="importmap"')
    ? ""
    : '<script type="importmap">{"imports":{"@lokryn/compliance-log-wasm":"/node_modules/@lokryn/compliance-log-wasm/index.js"}}</script>';
  const errors =
    "<script>window.__errors=[];addEventListener('error',(e)=>__errors.push(String(e.message)));" +
    "addEventListener('unhandledrejection',(e)=>__errors.push(String(e.reason)));</script>";
  frame.srcdoc = /<head>/i.test(html)
    ? html.replace(/<head>/i, (head) => `${head}${errors}${map}`)
    : `<!doctype html><html><head>${errors}${map}</head><body>${html}</body></html>`;
  document.body.append(frame);
  let text = "";
  try {
    const deadline = performance.now() + 30_000;
    for (;;) {
      await new Promise((ok) => setTimeout(ok, 50));
      const win = frame.contentWindow;
      if (win?.__errors?.length) throw new Error(`${where}: ${win.__errors.join("; ")}`);
      const body = frame.contentDocument?.body?.cloneNode(true);
      if (body) {
        for (const script of body.querySelectorAll("script")) script.remove();
        text = body.textContent.trim();
        if (pattern.test(text)) return text;
      }
      if (performance.now() > deadline) throw new Error(`${where} rendered ${JSON.stringify(text)}, not ${pattern}`);
    }
  } finally {
    frame.remove();
  }
}

test(
  `${packageName}: the html examples of the READMEs render what they should (headless Chromium)`,
  { skip: isNode ? "runs in a browser: node tests/npm/browser.js suite" : false },
  async () => {
    for (const [readme, patterns] of Object.entries(RENDERED)) {
      const section = readme === "README.md" ? "## JavaScript (browsers)" : undefined;
      const html = blocks(await readText(`../../${readme}`), "html", section);
      assert.equal(html.length, patterns.length, `${readme}: ${html.length} html examples`);
      for (const [i, block] of html.entries()) {
        const where = `${readme}, the html example at line ${block.line}`;
        assert.match(await render(block.code, where, patterns[i]), patterns[i]);
      }
    }
  },
);
