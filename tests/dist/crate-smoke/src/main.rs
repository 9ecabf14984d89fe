//! `cargo xtask dist --check`: a user's crate over the packaged
//! lokryn-compliance-log. Runs the README's Rust examples (`readme.rs`,
//! written from README.md by the check) and holds the spec example to the
//! golden vectors.
//!
//! Usage: crate-smoke VERSION VECTORS_DIR

#![allow(clippy::print_stdout)]

mod readme;

use std::error::Error;
use std::path::PathBuf;

use lokryn_compliance_log::{codec, json, validate};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(version), Some(vectors)) = (args.next(), args.next().map(PathBuf::from)) else {
        return Err("usage: crate-smoke VERSION VECTORS_DIR".into());
    };
    let mut passed = 0;

    if lokryn_compliance_log::VERSION != version {
        return Err(format!("VERSION is {}, not {version}", lokryn_compliance_log::VERSION).into());
    }
    println!("ok - lokryn_compliance_log::VERSION is {version}");
    passed += 1;

    let ran = readme::run_all()?;
    println!("ok - README.md's Rust examples: {} compiled, {ran} ran", readme::EXAMPLES);
    passed += 1;

    let golden = std::fs::read(vectors.join("spec-tool-invocation.binpb"))?;
    let text = std::fs::read_to_string(vectors.join("spec-tool-invocation.json"))?;
    let entry = json::from_json(&text)?;
    if codec::encode(&entry) != golden {
        return Err("the spec example's JSON does not encode to the golden bytes".into());
    }
    if codec::decode(&golden)? != entry {
        return Err("the golden bytes do not decode to the spec example".into());
    }
    if !validate::validate(&entry).is_valid() {
        return Err("the spec example does not validate".into());
    }
    println!("ok - the spec example: golden bytes both ways, valid");
    passed += 1;

    if lokryn_compliance_log::DESCRIPTOR_SET.is_empty() {
        return Err("DESCRIPTOR_SET is empty".into());
    }
    println!("ok - DESCRIPTOR_SET: {} bytes", lokryn_compliance_log::DESCRIPTOR_SET.len());
    passed += 1;

    println!("{passed} passed, 0 failed");
    Ok(())
}
