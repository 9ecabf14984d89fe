//! Rust types for the schema, written by prost-build from the protox
//! descriptors (no protoc), with `prost_reflect::ReflectMessage` derived so
//! every typed message can be reflected through the embedded pool.

use anyhow::{Context, Result};
use prost_build::Module;

use super::schema::{CORE_GENERATED, PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let mut config = prost_build::Config::new();
    for file in schema.own_files() {
        for message in &file.message_type {
            let full_name = format!("{PACKAGE}.{}", message.name());
            config.message_attribute(
                format!(".{full_name}"),
                format!(
                    "#[derive(::prost_reflect::ReflectMessage)]\n\
                     #[prost_reflect(descriptor_pool = \"crate::DESCRIPTOR_POOL\", message_name = \"{full_name}\")]"
                ),
            );
        }
    }
    // The imports go in too (prost-build needs every message to decide what
    // it can derive); only this package's module is kept.
    let requests: Vec<_> = schema
        .full
        .file
        .iter()
        .map(|f| (Module::from_protobuf_package_name(f.package()), f.clone()))
        .collect();
    let modules = config.generate(requests).context("prost-build")?;
    let module = Module::from_protobuf_package_name(PACKAGE);
    let code = modules
        .get(&module)
        .context("prost-build produced no module for the package")?;
    let text = format!("// {HEADER}\n{code}");
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/{PACKAGE}.rs"),
        text,
    )])
}
