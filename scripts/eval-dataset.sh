#!/usr/bin/env bash
# Runs one eval set end to end on a fresh server: import KB, run eval.
#   scripts/eval-dataset.sh BUILD_DIR DATASET_DIR [KB_FILE] [-- zhikuctl eval flags...]
# SERVER_FLAGS in the environment are passed to zhiku-server (e.g. SERVER_FLAGS=--bm25_b=0.75).
# e.g. scripts/eval-dataset.sh build ../shared/datasets/lcqmc
#      scripts/eval-dataset.sh build ../shared/datasets/banking77 kb_canonical.jsonl -- --json
set -euo pipefail
BUILD_DIR=$1
DIR=$2
KB=kb.jsonl
shift 2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then KB=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
WORK=$(mktemp -d)
"$BUILD_DIR/tools/zhiku-server" ${SERVER_FLAGS:-} --data_dir="$WORK/data" --listen=127.0.0.1:0 --port_file="$WORK/port" 2>"$WORK/log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 300); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { cat "$WORK/log" >&2; exit 1; }
ADDR="127.0.0.1:$(cat "$WORK/port")"
export ZHIKU_API_KEY; ZHIKU_API_KEY=$(cat "$WORK/data/admin.key" 2>/dev/null || true)  # none with --insecure_no_auth
"$BUILD_DIR/tools/zhikuctl" --server="$ADDR" import "$DIR/$KB" >/dev/null
"$BUILD_DIR/tools/zhikuctl" --server="$ADDR" --timeout=30s eval --queries "$DIR/queries.jsonl" "$@"
