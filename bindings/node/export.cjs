// The export functions of @lokryn/compliance-log: records in the formats
// security teams search (OCSF 1.7.0, ECS 9.x, OpenTelemetry logs) and back,
// by the mapping `complog export` and Python's `lokryn_compliance_log.export`
// follow (docs/exports.md). The native addon (bindings/node/src/export.rs)
// does the work; the JSON targets cross as text, which the `…String`
// functions return as is (exact) and the others parse (JavaScript numbers:
// integers beyond 2^53, such as an int64 duration at its extremes, become the
// nearest double there).
// index.js re-exports these (written `exports.name =` so that Node's
// CommonJS lexer names them for `import` too).
"use strict";

const runtime = require("./runtime.cjs");
const native = require("./native.cjs");

exports.toOcsfString = function toOcsfString(entry, options) {
  return native.exportOcsf(entry, options);
};
exports.toOcsf = function toOcsf(entry, options) {
  return JSON.parse(native.exportOcsf(entry, options));
};
exports.toEcsString = function toEcsString(entry) {
  return native.exportEcs(entry);
};
exports.toEcs = function toEcs(entry) {
  return JSON.parse(native.exportEcs(entry));
};
exports.toOtlpJsonString = function toOtlpJsonString(entries, options) {
  return native.exportOtlp(entries, true, options);
};
exports.toOtlpJson = function toOtlpJson(entries, options) {
  return JSON.parse(native.exportOtlp(entries, true, options));
};
exports.toOtlp = function toOtlp(entries, options) {
  return native.exportOtlp(entries, false, options);
};
exports.fromOcsf = function fromOcsf(event) {
  return native.importOcsf(typeof event === "string" ? event : runtime.jsonText(event));
};
exports.fromLokryn02 = function fromLokryn02(data, options) {
  return native.importLokryn02(data, options);
};

// The evidence report (docs/report.md): the data of `complog report --format
// json` (every figure a count below 2^53, so parsing loses nothing), or the
// HTML page with `format: "html"`.
exports.report = function report(source, options) {
  const text = native.report(source, options);
  return options != null && options.format === "html" ? text : JSON.parse(text);
};
exports.renderReportHtml = function renderReportHtml(data) {
  return native.renderReportHtml(typeof data === "string" ? data : JSON.stringify(data));
};
