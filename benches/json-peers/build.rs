//! Generates the pbjson peer: prost structs for the schema, with pbjson's
//! serde implementations, from the descriptor set the core crate embeds (so
//! no protoc), as a pbjson user would set it up.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let descriptors = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/lokryn-compliance-log/src/generated/descriptor_set.binpb");
    println!("cargo:rerun-if-changed={}", descriptors.display());
    let mut config = prost_build::Config::new();
    config
        .file_descriptor_set_path(&descriptors)
        .compile_well_known_types()
        .extern_path(".google.protobuf", "::pbjson_types")
        .skip_protoc_run();
    let none: &[&str] = &[];
    config.compile_protos(none, none)?;
    pbjson_build::Builder::new()
        .register_descriptors(&std::fs::read(&descriptors)?)?
        .build(&[".lokryn"])?;
    Ok(())
}
