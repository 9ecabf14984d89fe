// Loads the native addon of @lokryn/compliance-log for this platform.
//
// Two places are tried, in order: the file next to this one (a development
// build, or a package that bundles the host's addon), then the per-platform
// package npm installs as an optional dependency
// (@lokryn/compliance-log-<platform>). Written by hand, not by `napi build`,
// so that a fresh checkout needs no generated loader.
"use strict";

const { existsSync } = require("node:fs");
const { join } = require("node:path");

const BINARY = "compliance-log";
const PACKAGE = "@lokryn/compliance-log";

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    // glibc builds of Node report the glibc version they run against.
    return !process.report.getReport().header.glibcVersionRuntime;
  } catch {
    return existsSync("/etc/alpine-release");
  }
}

function platformId() {
  const { platform, arch } = process;
  switch (platform) {
    case "linux":
      if (arch === "x64" || arch === "arm64") return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
      break;
    case "darwin":
      if (arch === "x64" || arch === "arm64") return `darwin-${arch}`;
      break;
    case "win32":
      if (arch === "x64" || arch === "arm64") return `win32-${arch}-msvc`;
      break;
  }
  return null;
}

function load() {
  const id = platformId();
  if (id === null) {
    throw new Error(
      `${PACKAGE} has no native build for ${process.platform}-${process.arch}; ` +
        "use @lokryn/compliance-log-wasm, which runs everywhere",
    );
  }
  const local = join(__dirname, `${BINARY}.${id}.node`);
  if (existsSync(local)) return require(local);
  try {
    return require(`${PACKAGE}-${id}`);
  } catch (err) {
    throw new Error(
      `${PACKAGE}: the native addon for ${id} is missing. npm installs ${PACKAGE}-${id} ` +
        "as an optional dependency; reinstall without --no-optional (or --omit=optional), " +
        "or use @lokryn/compliance-log-wasm",
      { cause: err },
    );
  }
}

module.exports = load();
