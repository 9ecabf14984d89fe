#!/usr/bin/env bash
# Instructions per operation of the Rust core at each given revision
# (default: HEAD), counted by callgrind: a Markdown table for
# docs/performance.md. Unlike wall-clock time, instruction counts do not move
# with the load of a shared machine, so they compare versions fairly (they do
# not see cache misses or SIMD width; confirm large changes with criterion).
#
#   benches/instructions.sh 5f64477 HEAD
#
# Each revision is built in a scratch worktree under the target directory,
# with this checkout's examples/instructions.rs copied in (it uses only API
# that 0.3.0 already had), and measured on this checkout's benchmark entry.
# Needs valgrind.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is required" >&2; exit 1; }
revs=("$@")
[ ${#revs[@]} -gt 0 ] || revs=(HEAD)
work="${CARGO_TARGET_DIR:-$root/target}/instructions"
mkdir -p "$work/bin"
example="$root/crates/lokryn-compliance-log/examples/instructions.rs"
n=2000
ops=(encode decode to_json from_json validate_baseline validate_pci validate_encoded_pci
     find_sensitive redact scan_text_4k)

for rev in "${revs[@]}"; do
  sha=$(git rev-parse --short "$rev")
  src="$work/src-$sha"
  if [ ! -x "$work/bin/$sha" ]; then
    echo "==> building $rev ($sha)" >&2
    [ -d "$src" ] || git worktree add --quiet --detach "$src" "$sha"
    mkdir -p "$src/crates/lokryn-compliance-log/examples"
    cp "$example" "$src/crates/lokryn-compliance-log/examples/instructions.rs"
    (cd "$src" && CARGO_TARGET_DIR="$work/build" cargo build --quiet --release \
      -p lokryn-compliance-log --example instructions)
    cp "$work/build/release/examples/instructions" "$work/bin/$sha"
    git worktree remove --force "$src"
  fi
done

count() { # binary, op, N -> total instructions
  (export LOKRYN_BENCH_ENTRY="$root/crates/lokryn-compliance-log/benches/entry.json" &&
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" "$3" 2>&1 |
    awk '/Collected :/ { print $4 }')
}

header="| operation |"; rule="|---|"
for rev in "${revs[@]}"; do header+=" $rev |"; rule+="---:|"; done
echo "$header"; echo "$rule"
for op in "${ops[@]}"; do
  row="| $op |"
  for rev in "${revs[@]}"; do
    bin="$work/bin/$(git rev-parse --short "$rev")"
    one=$(count "$bin" "$op" 1)
    many=$(count "$bin" "$op" $((n + 1)))
    row+=" $(( (many - one) / n )) |"
  done
  echo "$row"
done
