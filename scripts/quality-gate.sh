#!/usr/bin/env bash
# Relevance quality gate: for every eval set with floors in
# scripts/quality-floors.txt, start a fresh zhiku-server (semantic search on,
# its defaults), import the set's knowledge base (and a corpus of unlabelled
# chats when the set names one), wait for the embedding model, then run
# `zhikuctl eval` once per mode that has floors and fail if a metric is below
# its floor:
#   keyword  --semantic_ratio 0 (the keyword leg alone)
#   hybrid   the server's default retrieval (what a client gets)
# Floors start from measured values and are only ever raised.
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
# A set is DIR[:KB_FILE[+CORPUS_FILE]], e.g. banking77 or
# banking77:kb_canonical.jsonl+history_chats.jsonl.
for set in $(awk '!/^#/ && NF {print $1}' "$FLOORS" | sort -u); do
  name=${set%%:*}
  files=kb.jsonl
  [ "$set" != "$name" ] && files=${set#*:}
  kb=${files%%+*}
  corpus=""
  [ "$files" != "$kb" ] && corpus=${files#*+}
  dir="$DATASETS/$name"
  if [ ! -f "$dir/$kb" ] || [ ! -f "$dir/queries.jsonl" ] || { [ -n "$corpus" ] && [ ! -f "$dir/$corpus" ]; }; then
    echo "quality gate: $set: files missing, skipped"
    continue
  fi
  tag=$(echo "$set" | tr ':+/' '___')
  start=$(date +%s)
  "$SERVER" --data_dir="$WORK/$tag" --listen=127.0.0.1:0 --port_file="$WORK/$tag.port" 2>"$WORK/$tag.log" &
  PID=$!
  for _ in $(seq 1 300); do [ -s "$WORK/$tag.port" ] && break; sleep 0.1; done
  if [ ! -s "$WORK/$tag.port" ]; then
    echo "quality gate: $set: server did not start; log:" >&2; cat "$WORK/$tag.log" >&2; exit 1
  fi
  # A new data dir: the server wrote its admin key there.
  export ZHIKU_API_KEY; ZHIKU_API_KEY=$(cat "$WORK/$tag/admin.key")
  ctl=("$CTL" --server="127.0.0.1:$(cat "$WORK/$tag.port")")
  "${ctl[@]}" import "$dir/$kb" >/dev/null
  [ -n "$corpus" ] && "${ctl[@]}" import-corpus "$dir/$corpus" --retrain >/dev/null
  for mode in $(awk -v s="$set" '!/^#/ && $1 == s {print $2}' "$FLOORS" | sort -u); do
    fail_below=$(awk -v s="$set" -v m="$mode" '!/^#/ && $1 == s && $2 == m {printf "%s%s:%s", sep, $3, $4; sep=","}' "$FLOORS")
    flags=()
    case "$mode" in
      keyword) flags=(--semantic_ratio 0) ;;
      hybrid) ;;
      *) echo "quality gate: unknown mode $mode in $FLOORS" >&2; exit 1 ;;
    esac
    echo "== $set $mode (floors: $fail_below)"
    if "${ctl[@]}" --timeout=30s eval --queries "$dir/queries.jsonl" "${flags[@]}" --wait_model 600 --fail_below="$fail_below"; then
      :
    else
      echo "quality gate: $set $mode is below its floors" >&2
      failed=1
    fi
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "($set: $(( $(date +%s) - start )) s)"
done
# FAQ mining: mine each set's chats, score the drafts against its labels.
# Mode tfidf mines without a server; mode server starts one holding the
# set's kb.jsonl and mines with --server, so questions are also compared by
# its embedding model (--submit=false: the drafts are only scored).
MINING_FLOORS="$HERE/mining-floors.txt"
INGEST="$BUILD_DIR/ingest/zhiku-ingest"
for set in $(awk '!/^#/ && NF {print $1}' "$MINING_FLOORS" | sort -u); do
  dir="$DATASETS/$set"
  if [ ! -f "$dir/chats.jsonl" ] || [ ! -f "$dir/labels.jsonl" ]; then
    echo "quality gate: $set: chats.jsonl or labels.jsonl missing, mining skipped"
    continue
  fi
  for mode in $(awk -v s="$set" '!/^#/ && $1 == s {print $2}' "$MINING_FLOORS" | sort -u); do
    limits=$(awk -v s="$set" -v m="$mode" '!/^#/ && $1 == s && $2 == m {printf "%s%s:%s", sep, $3, $4; sep=","}' "$MINING_FLOORS")
    echo "== $set mining $mode (limits: $limits)"
    start=$(date +%s)
    flags=()
    case "$mode" in
      tfidf) ;;
      server)
        if [ ! -f "$dir/kb.jsonl" ]; then echo "quality gate: $set: kb.jsonl missing, server mining skipped"; continue; fi
        tag="$set.mining"
        "$SERVER" --data_dir="$WORK/$tag" --listen=127.0.0.1:0 --port_file="$WORK/$tag.port" 2>"$WORK/$tag.log" &
        PID=$!
        for _ in $(seq 1 300); do [ -s "$WORK/$tag.port" ] && break; sleep 0.1; done
        if [ ! -s "$WORK/$tag.port" ]; then
          echo "quality gate: $set: server did not start; log:" >&2; cat "$WORK/$tag.log" >&2; exit 1
        fi
        addr="127.0.0.1:$(cat "$WORK/$tag.port")"
        export ZHIKU_API_KEY; ZHIKU_API_KEY=$(cat "$WORK/$tag/admin.key")
        "$CTL" --server="$addr" import "$dir/kb.jsonl" >/dev/null
        "$CTL" --server="$addr" status --wait_model 600s >/dev/null
        flags=(--server="$addr" --submit=false)
        ;;
      *) echo "quality gate: unknown mining mode $mode in $MINING_FLOORS" >&2; exit 1 ;;
    esac
    "$INGEST" --progress=false "${flags[@]}" --output="$WORK/$set.$mode.drafts.jsonl" "$dir/chats.jsonl"
    if [ -n "$PID" ]; then kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; fi
    if "$INGEST" eval --drafts="$WORK/$set.$mode.drafts.jsonl" --labels="$dir/labels.jsonl" --fail_below="$limits"; then
      :
    else
      echo "quality gate: $set mining $mode misses its limits" >&2
      failed=1
    fi
    echo "($set mining $mode: $(( $(date +%s) - start )) s)"
  done
done

if [ "$failed" -ne 0 ]; then
  echo "quality gate: FAILED" >&2
  exit 1
fi
echo "quality gate: passed"
