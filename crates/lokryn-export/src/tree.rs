//! Building JSON objects by dotted paths (`"actor.user.uid"`,
//! `"resources[].name"`), as the mapping options name attributes.

use serde_json::{Map, Value};

use crate::Error;

/// Sets `value` at `path` in `root`, creating the objects on the way. A
/// segment ending in `[]` is an array holding one object. A path that is
/// already set, or that runs through a value that is not an object, is a
/// mapping error (two fields with one home).
pub(crate) fn set(root: &mut Map<String, Value>, path: &str, value: Value) -> Result<(), Error> {
    let mut node = root;
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let (key, array) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (segment, false),
        };
        if segments.peek().is_none() {
            if array {
                return Err(Error::Mapping(format!("{path}: a path cannot end in []")));
            }
            if node.contains_key(key) {
                return Err(Error::Mapping(format!("{path} is set twice")));
            }
            node.insert(key.to_owned(), value);
            return Ok(());
        }
        let slot = node.entry(key.to_owned()).or_insert_with(|| {
            if array {
                Value::Array(vec![Value::Object(Map::new())])
            } else {
                Value::Object(Map::new())
            }
        });
        let next = if array {
            match slot {
                Value::Array(items) => items.first_mut(),
                _ => None,
            }
        } else {
            Some(slot)
        };
        node = match next {
            Some(Value::Object(map)) => map,
            _ => return Err(Error::Mapping(format!("{path} runs through a value"))),
        };
    }
    Err(Error::Mapping("empty path".into()))
}

/// Whether `path` names a set value in `root`.
pub(crate) fn has(root: &Map<String, Value>, path: &str) -> bool {
    let mut node = root;
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let key = segment.strip_suffix("[]").unwrap_or(segment);
        let Some(slot) = node.get(key) else {
            return false;
        };
        if segments.peek().is_none() {
            return true;
        }
        let slot = match slot {
            Value::Array(items) => items.first(),
            other => Some(other),
        };
        node = match slot {
            Some(Value::Object(map)) => map,
            _ => return false,
        };
    }
    false
}
