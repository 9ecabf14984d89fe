//! Compiles `proto/` with protox (pure Rust; no protoc) and emits the
//! descriptor set the core crate embeds, plus the proto sources it serves.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use prost::Message as _;
use prost_types::{FileDescriptorProto, FileDescriptorSet};

use super::{GeneratedFile, HEADER};

/// The proto package this repository defines.
pub(crate) const PACKAGE: &str = "lokryn.compliancelog.v1";

/// Where the core crate keeps its generated files.
pub(crate) const CORE_GENERATED: &str = "crates/lokryn-compliance-log/src/generated";

pub(crate) struct Schema {
    /// Every file, imports included, with source info (comments).
    pub(crate) full: FileDescriptorSet,
    /// The `.proto` sources of this repository: (path under proto/, text).
    pub(crate) sources: Vec<(String, String)>,
}

impl Schema {
    pub(crate) fn compile(proto_dir: &Path) -> Result<Self> {
        let mut paths = Vec::new();
        collect_protos(proto_dir, proto_dir, &mut paths)?;
        paths.sort();
        if paths.is_empty() {
            bail!("no .proto files under {}", proto_dir.display());
        }
        let mut compiler = protox::Compiler::new([proto_dir])?;
        compiler.include_imports(true).include_source_info(true);
        compiler
            .open_files(&paths)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("compiling proto/")?;
        let full = compiler.file_descriptor_set();
        let sources = paths
            .iter()
            .map(|rel| {
                let text = fs::read_to_string(proto_dir.join(rel))?;
                Ok((rel.to_string_lossy().replace('\\', "/"), text))
            })
            .collect::<Result<_>>()?;
        Ok(Self { full, sources })
    }

    /// The files of this repository's package (not their imports).
    pub(crate) fn own_files(&self) -> impl Iterator<Item = &FileDescriptorProto> {
        self.full.file.iter().filter(|f| f.package() == PACKAGE)
    }

    /// The descriptor set the libraries embed: imports included so it is
    /// self-contained, source info stripped so it stays small.
    pub(crate) fn runtime_set(&self) -> FileDescriptorSet {
        let mut set = self.full.clone();
        for file in &mut set.file {
            file.source_code_info = None;
        }
        set
    }
}

fn collect_protos(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(base, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path.strip_prefix(base)?.to_path_buf());
        }
    }
    Ok(())
}

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let descriptor = schema.runtime_set().encode_to_vec();

    let mut sources = format!(
        "// {HEADER}\n\n/// The `.proto` files of the schema, as `(path under proto/, text)`.\n\
         pub const PROTO_FILES: &[(&str, &str)] = &[\n"
    );
    for (path, text) in &schema.sources {
        let hashes = "#".repeat(raw_string_hashes(text));
        sources.push_str(&format!(
            "    (\n        {path:?},\n        r{hashes}\"{text}\"{hashes},\n    ),\n"
        ));
    }
    sources.push_str("];\n");

    Ok(vec![
        GeneratedFile::new(format!("{CORE_GENERATED}/descriptor_set.binpb"), descriptor),
        GeneratedFile::new(format!("{CORE_GENERATED}/proto_files.rs"), sources),
    ])
}

/// How many `#` a raw string literal needs so that `text` cannot close it.
fn raw_string_hashes(text: &str) -> usize {
    (1..)
        .find(|n| !text.contains(&format!("\"{}", "#".repeat(*n))))
        .unwrap_or(1)
}
