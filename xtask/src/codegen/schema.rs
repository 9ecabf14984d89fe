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
    /// Every file, imports included, with source info (comments). prost-types
    /// drops custom options (the validation rules of rules.proto); read those
    /// from [`Schema::pool`], and write descriptors from
    /// [`Schema::runtime_set_bytes`].
    pub(crate) full: FileDescriptorSet,
    /// The same files as a reflection pool, custom options included.
    pub(crate) pool: prost_reflect::DescriptorPool,
    /// The encoded runtime descriptor set: imports included, source info
    /// stripped, custom options kept.
    runtime: Vec<u8>,
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
        let pool = compiler.descriptor_pool();
        // A second compilation without source info: protox encodes it through
        // reflection, which keeps the custom options prost-types would drop.
        let mut lean = protox::Compiler::new([proto_dir])?;
        lean.include_imports(true).include_source_info(false);
        lean.open_files(&paths)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("compiling proto/")?;
        let runtime = lean.encode_file_descriptor_set();
        let sources = paths
            .iter()
            .map(|rel| {
                let text = fs::read_to_string(proto_dir.join(rel))?;
                Ok((rel.to_string_lossy().replace('\\', "/"), text))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            full,
            pool,
            runtime,
            sources,
        })
    }

    /// The files of this repository's package (not their imports).
    pub(crate) fn own_files(&self) -> impl Iterator<Item = &FileDescriptorProto> {
        self.full.file.iter().filter(|f| f.package() == PACKAGE)
    }

    /// The encoded descriptor set the libraries embed: imports included so
    /// it is self-contained, source info stripped so it stays small, custom
    /// options (the validation rules) kept.
    pub(crate) fn runtime_set_bytes(&self) -> &[u8] {
        &self.runtime
    }

    /// The runtime set as prost-types, for its structure. prost-types drops
    /// custom options: write descriptors out from [`Schema::runtime_file_bytes`].
    pub(crate) fn runtime_set(&self) -> Result<FileDescriptorSet> {
        Ok(FileDescriptorSet::decode(self.runtime.as_slice())?)
    }

    /// The encoded `FileDescriptorProto` of one file of the runtime set,
    /// custom options included.
    pub(crate) fn runtime_file_bytes(&self, name: &str) -> Result<Vec<u8>> {
        // A FileDescriptorSet is `repeated FileDescriptorProto file = 1`:
        // walk its length-delimited records.
        let mut rest = self.runtime.as_slice();
        while !rest.is_empty() {
            let tag = prost::encoding::decode_varint(&mut rest)?;
            let len = usize::try_from(prost::encoding::decode_varint(&mut rest)?)?;
            if tag != (1 << 3 | 2) || len > rest.len() {
                bail!("unexpected record in the runtime descriptor set");
            }
            let (file, tail) = rest.split_at(len);
            rest = tail;
            if FileDescriptorProto::decode(file)?.name() == name {
                return Ok(file.to_vec());
            }
        }
        bail!("{name} is not in the runtime descriptor set")
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
    let descriptor = schema.runtime_set_bytes().to_vec();

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
