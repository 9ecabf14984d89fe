#!/usr/bin/env bash
# Instructions per exported record at each given revision (default: HEAD),
# counted by callgrind: a Markdown table for docs/performance.md. Like
# benches/instructions.sh for the core, but for lokryn-export: decode a
# binary record and write it as OCSF JSON, add it to 512-record OTLP
# requests (protobuf), or write it to a flat Parquet file; the `-view` rows
# do the same from a view of the binary record (a revision without views: -).
#
#   benches/export_instructions.sh 2a433ac HEAD
#
# Each revision is built (bench profile) in a scratch worktree under the
# target directory with this checkout's examples/export_instructions.rs of
# lokryn-export copied in (named apart from the core's `instructions`
# example, whose output file it would share in a workspace build), and measured on this checkout's record
# (examples/good/tool-invocation.json, or $LOKRYN_EXPORT_RECORD). Needs valgrind.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
command -v valgrind >/dev/null || { echo "export_instructions.sh: valgrind is required" >&2; exit 1; }
revs=("$@")
[ ${#revs[@]} -gt 0 ] || revs=(HEAD)
work="${CARGO_TARGET_DIR:-$root/target}/export-instructions"
mkdir -p "$work/bin"
example="$root/crates/lokryn-export/examples/export_instructions.rs"
record="${LOKRYN_EXPORT_RECORD:-$root/examples/good/tool-invocation.json}"

for rev in "${revs[@]}"; do
  sha=$(git rev-parse --short "$rev")
  src="$work/src-$sha"
  if [ ! -x "$work/bin/$sha" ]; then
    echo "==> building $rev ($sha)" >&2
    [ -d "$src" ] || git worktree add --quiet --detach "$src" "$sha"
    mkdir -p "$src/crates/lokryn-export/examples"
    cp "$example" "$src/crates/lokryn-export/examples/export_instructions.rs"
    # Before the direct OTLP encoder: the request built, then encoded.
    grep -q "pub fn encode_request" "$src/crates/lokryn-export/src/otlp.rs" ||
      sed -i 's/otlp::encode_request(&entries, &options)?/otlp::to_protobuf(\&otlp::to_request(\&entries, \&options)?)/' \
        "$src/crates/lokryn-export/examples/export_instructions.rs"
    # Before exports from views: the view ops removed.
    grep -q "pub enum Record" "$src/crates/lokryn-export/src/record.rs" 2>/dev/null ||
      sed -i '/view ops: begin/,/view ops: end/d' "$src/crates/lokryn-export/examples/export_instructions.rs"
    # Before the Parquet settings could be chosen: those ops removed.
    grep -q "pub fn with_properties" "$src/crates/lokryn-export/src/parquet.rs" 2>/dev/null ||
      sed -i '/parquet settings: begin/,/parquet settings: end/d' "$src/crates/lokryn-export/examples/export_instructions.rs"
    (cd "$src" && CARGO_TARGET_DIR="$work/build" cargo build --quiet --profile bench \
      -p lokryn-export --features parquet --example export_instructions)
    cp "$work/build/release/examples/export_instructions" "$work/bin/$sha"
    git worktree remove --force "$src"
  fi
done

count() { # binary, op, N -> total instructions (nothing when the op fails)
  { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" "$3" "$record" 2>&1 || true; } |
    awk '/^instructions: / { bad = 1 } /Collected :/ { n = $4 } END { if (!bad) print n }'
}

# op, records in the baseline run, records measured on top of it
ops=("ocsf 1000 4000" "ocsf-view 1000 4000" "otlp 1024 4096" "otlp-view 1024 4096"
  "parquet 16384 65536" "parquet-view 16384 65536")
header="| record exported as |"; rule="|---|"
for rev in "${revs[@]}"; do header+=" $rev |"; rule+="---:|"; done
echo "$header"; echo "$rule"
for spec in "${ops[@]}"; do
  read -r op base n <<<"$spec"
  row="| $op |"
  for rev in "${revs[@]}"; do
    bin="$work/bin/$(git rev-parse --short "$rev")"
    one=$(count "$bin" "$op" "$base")
    many=$(count "$bin" "$op" $((base + n)))
    if [ -n "$one" ] && [ -n "$many" ]; then row+=" $(( (many - one) / n )) |"; else row+=" - |"; fi
  done
  echo "$row"
done
