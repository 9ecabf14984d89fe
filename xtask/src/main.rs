//! Repository automation, run as `cargo xtask <command>`.
//!
//! * `codegen [--check]`: regenerate every generated file from `proto/`
//!   (or, with `--check`, fail when any committed file differs).
//! * `test`: run every test of every language, exactly as CI does.
//! * `npm [node | wasm]`: build the npm packages in place (both, or one).
//! * `bench`: the codec benchmarks next to their peers, as a Markdown table;
//!   `bench report`: the evidence report of a million records.
//! * `schema-baseline`: record the current schema as the last release's, the
//!   baseline of the FILE breaking-change check (run when cutting a release).
//! * `dist [--check]`: every release artifact in `dist/`, with `SHA256SUMS`
//!   (`--check`: install each into a clean environment and use it).
//! * `release <version>`: set the one version everywhere, move the
//!   changelog's Unreleased section under it, re-record the breaking-change
//!   baseline, and check.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod changelog;
mod codegen;
mod dist;
mod npm;
mod release;
mod system;
mod test;
mod tidy;
mod tools;
mod util;
mod version;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check]   regenerate generated files from proto/ (--check: fail on drift)
  test [--rust-only | --portable | --exports]
                      run every test in every language (what CI runs); --rust-only: the Rust steps;
                      --portable: the Rust, Python and Node (napi) steps (CI on macOS and Windows);
                      --exports: only the export checks (OCSF schema, OpenTelemetry Collector, DuckDB)
  test --ledger-go    only the ledger's cross-check against Go's sumdb/tlog and sumdb/note (part of `test`)
  test --schema       only buf lint, buf breaking (and its mutants) and the generated-language round trips (part of `test`)
  lint                rustfmt --check and clippy -D warnings
  npm [node | wasm]   build the npm packages in place (runtime and types, napi addon, wasm module)
  bench               codec benchmarks next to prost, prost-reflect and google.protobuf
  bench report [N]    complog report of a ledger of N records (default 1,000,000) next to
                      complog ledger verify and validate; fails past the 10 s target
  schema-baseline     record the schema as the last release's (tests/breaking/), at a release
  dist [--check]      every release artifact into dist/, with SHA256SUMS (--check: install and use each)
  dist --napi <platform>
                      pack the napi addon compliance-log.<platform>.node built in bindings/node
                      into its per-platform package in dist/ (the release workflow's matrix)
  release <version> [--date YYYY-MM-DD]
                      set the version everywhere, date the changelog, re-record the schema baseline
  version [--pep440]  print the version, after checking that every manifest agrees
                      (--pep440: as Python spells it, 1.0.0rc1 for 1.0.0-rc.1)
  deny <check>...     cargo deny check <check>... with the pinned cargo-deny (deny.toml)
  system-packages     install the Debian packages the full suite needs (as root or with sudo),
                      or print the command that does; `test` runs this first
  root                print the repository root the commands act on (found at run time)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(false),
        ["codegen", "--check"] => codegen::run(true),
        ["test"] => test::run(test::Scope::All),
        ["test", "--rust-only"] => test::run(test::Scope::RustOnly),
        ["test", "--portable"] => test::run(test::Scope::Portable),
        ["test", "--ledger-go"] => test::ledger_go(),
        ["test", "--schema"] => test::schema(),
        ["test", "--exports"] => test::run(test::Scope::Exports),
        ["lint"] => test::lint(),
        ["npm"] => npm::build(true, true),
        ["npm", "node"] => npm::build(true, false),
        ["npm", "wasm"] => npm::build(false, true),
        ["bench"] => bench::run(),
        ["bench", "report"] => bench::report(None),
        ["bench", "report", n] => bench::report(Some(n)),
        ["schema-baseline"] => test::buf::record_baseline(),
        ["dist"] => dist::run(false),
        ["dist", "--check"] => dist::run(true),
        ["dist", "--napi", platform] => dist::napi_platform(platform),
        ["release", rest @ ..] if !rest.is_empty() => release::run_release(rest),
        ["version"] => version::check(&util::root()).map(|v| println!("{v}")),
        ["version", "--pep440"] => {
            version::check(&util::root()).map(|v| println!("{}", dist::pep440(&v)))
        }
        ["system-packages"] => system::ensure(),
        ["root"] => {
            println!("{}", util::root().display());
            return ExitCode::SUCCESS;
        }
        ["deny", checks @ ..] if !checks.is_empty() => tools::deny(checks, false),
        ["help" | "--help" | "-h"] | [] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
