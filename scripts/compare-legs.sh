#!/usr/bin/env bash
# Keyword-only vs vector-only vs hybrid on one eval set, one fresh server:
# imports the KB (and a corpus of unlabelled chats when given), waits for the
# embedding model, then runs `zhikuctl eval --json` once per semantic ratio.
#   scripts/compare-legs.sh BUILD_DIR DATASET_DIR [KB_FILE] [--corpus CHATS.jsonl] [--ratios "0 1 default"] [-- eval flags...]
# SERVER_FLAGS in the environment are passed to zhiku-server.
# e.g. scripts/compare-legs.sh build ../shared/datasets/banking77
#      scripts/compare-legs.sh build ../shared/datasets/banking77 kb_canonical.jsonl --corpus history_chats.jsonl
set -euo pipefail
BUILD_DIR=$1
DIR=$2
shift 2
KB=kb.jsonl
CORPUS=""
RATIOS="0 1 default"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then KB=$1; shift; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS=$2; shift 2 ;;
    --ratios) RATIOS=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d)
# shellcheck disable=SC2086
"$BUILD_DIR/tools/zhiku-server" ${SERVER_FLAGS:-} --data_dir="$WORK/data" --listen=127.0.0.1:0 --port_file="$WORK/port" 2>"$WORK/log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 300); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { cat "$WORK/log" >&2; exit 1; }
export ZHIKU_API_KEY; ZHIKU_API_KEY=$(cat "$WORK/data/admin.key" 2>/dev/null || true)  # none with --insecure_no_auth
CTL=("$BUILD_DIR/tools/zhikuctl" --server="127.0.0.1:$(cat "$WORK/port")")
start=$(date +%s)
"${CTL[@]}" import "$DIR/$KB" >/dev/null
[ -n "$CORPUS" ] && "${CTL[@]}" import-corpus "$DIR/$CORPUS" --retrain >/dev/null
for r in $RATIOS; do
  flags=()
  [ "$r" != default ] && flags=(--semantic_ratio "$r")
  echo "== $(basename "$DIR") $KB${CORPUS:+ + $CORPUS} semantic_ratio=$r"
  "${CTL[@]}" --timeout=30s eval --queries "$DIR/queries.jsonl" --json "${flags[@]}" "$@"
  [ "$r" = "$(echo "$RATIOS" | awk '{print $1}')" ] && echo "(model ready after $(( $(date +%s) - start )) s)"
done
"${CTL[@]}" status | grep -E "semantic ratio|calibration" >&2 || true
grep -E "self-training|embedding model .* trained" "$WORK/log" >&2 || true
