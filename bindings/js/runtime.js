// The JavaScript half of both npm packages: the error classes and the
// factories through which the native code builds the objects it returns.
// `cargo xtask codegen` places this file, after the enums and message
// factories it generates from the schema, in each package (runtime.cjs for
// Node, runtime.js for the wasm package) with the module syntax each needs.
// Top-level `class`, `function` and `const` names are exported.

class ComplianceLogError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}
Object.defineProperty(ComplianceLogError.prototype, "name", {
  value: "ComplianceLogError",
  writable: true,
  configurable: true,
});

class ValidationError extends ComplianceLogError {
  constructor(message, violations) {
    super(message, "INVALID");
    this.violations = violations;
  }
}
Object.defineProperty(ValidationError.prototype, "name", {
  value: "ValidationError",
  writable: true,
  configurable: true,
});

/** Builds a thrown error: `details` alternates property names and values. */
function newError(code, message, details) {
  let error;
  if (code === "INVALID") {
    error = new ValidationError(message, []);
  } else {
    error = new ComplianceLogError(message, code);
  }
  for (let i = 0; i + 1 < details.length; i += 2) {
    error[details[i]] = details[i + 1];
  }
  return error;
}

function newRedaction(entry, findings) {
  return { entry, findings };
}

function newProofCheck(type, origin, size, index, size1, entryChecked) {
  const check = { type, origin, size };
  if (index !== undefined) check.index = index;
  if (size1 !== undefined) check.size1 = size1;
  check.entryChecked = entryChecked;
  return check;
}

/** What the native code is handed once, at load time. */
const factories = {
  messages: messageFactories,
  readers: messageReaders,
  error: newError,
  violation: Violation$object,
  report: ValidationReport$object,
  finding: Finding$object,
  redaction: newRedaction,
  proofCheck: newProofCheck,
};

/** JSON text of a JSON value for the native reader (used by `fromJson`). */
function jsonText(value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw newError("TYPE", `json: not a JSON value: ${err.message}`, ["field", ""]);
  }
  if (typeof text !== "string") {
    throw newError("TYPE", `json: expected a JSON value, got ${typeof value}`, ["field", ""]);
  }
  return text;
}
