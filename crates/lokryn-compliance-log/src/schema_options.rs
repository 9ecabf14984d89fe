//! Reading the project's custom options (`(rules)`, `(export)`, …) off the
//! descriptors of the embedded schema: shared by the rule compiler and the
//! export mapping, so both find and decode an option the same way.

use prost_reflect::{DynamicMessage, ExtensionDescriptor, Value};

/// The package of the schema, which declares the options.
pub(crate) const PACKAGE: &str = "lokryn.compliancelog.v1";

/// The extension `lokryn.compliancelog.v1.<name>` of the embedded schema.
pub(crate) fn extension(name: &str) -> Result<ExtensionDescriptor, String> {
    crate::DESCRIPTOR_POOL
        .get_extension_by_name(&format!("{PACKAGE}.{name}"))
        .ok_or_else(|| format!("the descriptor defines no extension {PACKAGE}.{name}"))
}

/// The value of the message-typed option `ext` on `options` (a field's,
/// message's or enum value's options), decoded as `T`; `None` when unset.
pub(crate) fn option<T: prost::Message + Default>(
    options: &DynamicMessage,
    ext: &ExtensionDescriptor,
) -> Result<Option<T>, String> {
    if !options.has_extension(ext) {
        return Ok(None);
    }
    match options.get_extension(ext).as_ref() {
        Value::Message(m) => m
            .transcode_to::<T>()
            .map(Some)
            .map_err(|e| format!("{}: {e}", ext.full_name())),
        _ => Err(format!("{} is not a message", ext.full_name())),
    }
}
