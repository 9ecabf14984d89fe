// The ES module entry of @lokryn/compliance-log: the CommonJS module's
// exports, so that `import` and `require` share one instance (and one set of
// error classes for `instanceof`).
export * from "./index.js";
