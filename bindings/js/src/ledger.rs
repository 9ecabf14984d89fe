//! The ledger's part of the npm packages that needs no storage: checking a
//! proof offline (`checkProof`), and the error every ledger failure throws.
//! Both packages export `checkProof`; the Node package's `Ledger` class
//! (bindings/node/src/ledger.rs) throws through [`ledger_failure`] too.

use lokryn_compliance_log::codec;
use lokryn_ledger::proof::{self, Checked};

use crate::api::{R, entry_arg, out, type_error};
use crate::{Detail, ErrorInfo, Factory, Failure, Host, JsType};

/// The thrown error of a ledger failure: its `code`, and `index` and
/// `offset` when it concerns a stored entry.
pub fn ledger_error(err: &lokryn_ledger::Error) -> ErrorInfo {
    let mut details = Vec::new();
    if let Some(loc) = err.location {
        if let Some(index) = loc.index {
            details.push(("index", Detail::Number(index as f64)));
        }
        if let Some(offset) = loc.offset {
            details.push(("offset", Detail::Number(offset as f64)));
        }
    }
    ErrorInfo {
        code: err.code,
        message: err.to_string(),
        details,
    }
}

/// [`ledger_error`] as a [`Failure`].
pub fn ledger_failure<E>(err: &lokryn_ledger::Error) -> Failure<E> {
    Failure::Throw(ledger_error(err), None)
}

/// A string argument.
fn text_arg<H: Host>(h: &H, v: &H::Value, what: &str) -> R<String, H> {
    let kind = h.type_of(v).map_err(Failure::Host)?;
    if kind != JsType::String {
        return Err(type_error::<H>(format!(
            "{what}: expected a string, got {}",
            kind.describe()
        )));
    }
    h.string(v).map_err(Failure::Host)
}

/// `checkpoints`: one signed checkpoint (a string) or an array of them.
fn checkpoints_arg<H: Host>(h: &H, v: &H::Value) -> R<Vec<String>, H> {
    if h.type_of(v).map_err(Failure::Host)? == JsType::Object {
        if let Some(items) = h.array(v).map_err(Failure::Host)? {
            return items
                .iter()
                .enumerate()
                .map(|(i, item)| text_arg(h, item, &format!("checkpoints[{i}]")))
                .collect();
        }
    }
    Ok(vec![text_arg(h, v, "checkpoints")?])
}

/// `entry`: unset, the exact stored bytes (a `Uint8Array`, taken as they
/// are) or an entry object (encoded by the core's deterministic encoder).
fn proven_entry<H: Host>(h: &H, v: &H::Value) -> R<Option<Vec<u8>>, H> {
    match h.type_of(v).map_err(Failure::Host)? {
        JsType::Undefined | JsType::Null => Ok(None),
        JsType::Object => match h.bytes(v).map_err(Failure::Host)? {
            Some(bytes) => Ok(Some(bytes)),
            None => Ok(Some(codec::encode(&entry_arg(h, v, "entry")?))),
        },
        other => Err(type_error::<H>(format!(
            "entry: expected a Uint8Array or a LogEntry object, got {}",
            other.describe()
        ))),
    }
}

/// `checkProof(proof, checkpoints, key, entry?)`: checks a proof (its JSON
/// text) against one signed checkpoint (inclusion) or two (consistency) and
/// the public key text, and, when given, that `entry` is the proven one.
/// Returns what was established; throws a `ComplianceLogError` with the
/// ledger's code (`BAD_PROOF`, `BAD_SIGNATURE`, `ENTRY_MISMATCH`, ...)
/// otherwise.
pub fn check_proof<H: Host>(
    h: &H,
    proof: &H::Value,
    checkpoints: &H::Value,
    key: &H::Value,
    entry: &H::Value,
) -> R<H::Value, H> {
    let proof = text_arg(h, proof, "proof")?;
    let checkpoints = checkpoints_arg(h, checkpoints)?;
    let key = text_arg(h, key, "key")?;
    let entry = proven_entry(h, entry)?;
    let refs: Vec<&str> = checkpoints.iter().map(String::as_str).collect();
    let checked =
        proof::check_json(&proof, &refs, &key, entry.as_deref()).map_err(|e| ledger_failure(&e))?;
    out::<H>(proof_check_to_js(h, &checked))
}

/// The object `checkProof` returns.
pub fn proof_check_to_js<H: Host>(h: &H, c: &Checked) -> Result<H::Value, H::Error> {
    let optional = |n: Option<u64>| match n {
        Some(n) => h.new_number(n as f64),
        None => h.undefined(),
    };
    let args = vec![
        h.new_string(c.kind)?,
        h.new_string(&c.origin)?,
        h.new_number(c.size as f64)?,
        optional(c.index)?,
        optional(c.size1)?,
        h.new_boolean(c.entry_checked)?,
    ];
    h.build(Factory::ProofCheck, args)
}
