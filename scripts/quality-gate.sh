#!/usr/bin/env bash
# Relevance quality gate: for every dataset with floors in
# scripts/quality-floors.txt, start a fresh zhiku-server, import the
# dataset's kb.jsonl, run `zhikuctl eval` over its queries.jsonl and fail if a
# metric is below its floor. Floors start from measured values and are only
# ever raised.
#
#   scripts/quality-gate.sh BUILD_DIR [DATASETS_DIR]
set -euo pipefail
BUILD_DIR=${1:-build}
DATASETS=${2:-../shared/datasets}
HERE=$(cd "$(dirname "$0")" && pwd)
FLOORS="$HERE/quality-floors.txt"
SERVER="$BUILD_DIR/tools/zhiku-server"
CTL="$BUILD_DIR/tools/zhikuctl"

if [ ! -d "$DATASETS" ]; then
  echo "quality gate: $DATASETS not found; nothing to check"
  exit 0
fi
for bin in "$SERVER" "$CTL"; do
  [ -x "$bin" ] || { echo "quality gate: $bin missing; run 'make build' first" >&2; exit 1; }
done

WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

failed=0
for set in $(awk '!/^#/ && NF {print $1}' "$FLOORS" | sort -u); do
  dir="$DATASETS/$set"
  if [ ! -f "$dir/kb.jsonl" ] || [ ! -f "$dir/queries.jsonl" ]; then
    echo "quality gate: $set: kb.jsonl/queries.jsonl missing, skipped"
    continue
  fi
  fail_below=$(awk -v s="$set" '!/^#/ && $1 == s {printf "%s%s:%s", sep, $2, $3; sep=","}' "$FLOORS")
  # The floors below were measured keyword-only (quality-floors.txt); hybrid
  # floors come with their measurements.
  "$SERVER" --semantic=false --data_dir="$WORK/$set" --listen=127.0.0.1:0 --port_file="$WORK/$set.port" 2>"$WORK/$set.log" &
  PID=$!
  for _ in $(seq 1 300); do [ -s "$WORK/$set.port" ] && break; sleep 0.1; done
  if [ ! -s "$WORK/$set.port" ]; then
    echo "quality gate: $set: server did not start; log:" >&2; cat "$WORK/$set.log" >&2; exit 1
  fi
  addr="127.0.0.1:$(cat "$WORK/$set.port")"
  "$CTL" --server="$addr" import "$dir/kb.jsonl" >/dev/null
  echo "== $set (floors: $fail_below)"
  if "$CTL" --server="$addr" --timeout=30s eval --queries "$dir/queries.jsonl" --semantic_ratio 0 --wait_model 0 --fail_below="$fail_below"; then
    :
  else
    echo "quality gate: $set is below its floors" >&2
    failed=1
  fi
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
if [ "$failed" -ne 0 ]; then
  echo "quality gate: FAILED" >&2
  exit 1
fi
echo "quality gate: passed"
