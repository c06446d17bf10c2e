#!/usr/bin/env bash
# Writes the synthetic 100,000-entry KB and its eval queries with
# zhiku-synth-kb (builds nothing: run `make build` first).
#   scripts/gen-synthetic-kb.sh [OUT_DIR] [-- extra zhiku-synth-kb flags...]
# Defaults: OUT_DIR=build/synthetic, 100,000 entries, 5 variants each, seed 1,
# 2,000 eval queries (5% out of scope). Writes OUT_DIR/kb.jsonl (~85 MB) and
# OUT_DIR/queries.jsonl. BUILD_DIR (default build) says where the tool is.
# ENTRIES, VARIANTS, SEED and QUERIES in the environment override the defaults,
# e.g. ENTRIES=500000 scripts/gen-synthetic-kb.sh /tmp/synth500k
# Then: zhikuctl import OUT_DIR/kb.jsonl; zhiku-bench --queries=OUT_DIR/queries.jsonl
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
out_dir=${1:-$build_dir/synthetic}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
tool="$build_dir/tools/zhiku-synth-kb"
if [ ! -x "$tool" ]; then
  echo "gen-synthetic-kb: $tool not found; build first (make build, or cmake --build $build_dir --target zhiku-synth-kb)" >&2
  exit 1
fi
mkdir -p "$out_dir"
"$tool" --entries="${ENTRIES:-100000}" --variants="${VARIANTS:-5}" --seed="${SEED:-1}" \
  --out="$out_dir/kb.jsonl" --queries_out="$out_dir/queries.jsonl" --queries="${QUERIES:-2000}" "$@"
