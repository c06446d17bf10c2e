#!/usr/bin/env bash
# Zhiku end to end in a minute: starts zhiku-server on a fresh temporary data
# directory, imports the sample knowledge base, runs a few searches and
# suggestions in Simplified Chinese, Traditional Chinese and English, waits
# for the embedding model and asks Answer what a chatbot would, then stops
# the server with SIGTERM. Everything it created is removed on exit,
# whatever happens.
#
#   scripts/demo.sh BUILD_DIR LISTEN      e.g. scripts/demo.sh build 127.0.0.1:50151
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR HOST:PORT   (e.g. $0 build 127.0.0.1:50151)" >&2
  exit 1
fi
build_dir=$1
listen=$2
script_name=demo
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/zhiku-demo.XXXXXX")
log="$work/server.log"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ctl() { "$ctl_bin" --server="$listen" "$@"; }
heading() { printf '\n=== %s ===\n' "$*"; }

fail_with_log() {
  echo "demo: $*" >&2
  echo "--- zhiku-server log ($log) ---" >&2
  cat "$log" >&2 || true
  echo "--- end of log ---" >&2
  exit 1
}

heading "Starting zhiku-server on $listen (data in $work/data)"
# --port_file appears only once *this* server serves, so an unrelated server
# already answering on $listen cannot pass for ours.
"$server_bin" --data_dir="$work/data" --listen="$listen" --port_file="$work/port" \
  >"$log" 2>&1 &
server_pid=$!

deadline=$((SECONDS + 30))
until [ -f "$work/port" ] && ctl --timeout=1s health >/dev/null 2>&1; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    status=0
    wait "$server_pid" || status=$?
    server_pid=""
    fail_with_log "zhiku-server exited with status $status before it became healthy"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail_with_log "zhiku-server is not healthy after 30 s"
  fi
  sleep 0.2
done
ctl health

# Every call needs an API key. On its first start the server made an admin
# key and wrote it to DATA_DIR/admin.key (mode 0600); the demo uses it, and
# makes the chatbot a key that may only ask.
heading "API keys: the admin key the server wrote, and a bot key for the chatbot"
export ZHIKU_API_KEY
ZHIKU_API_KEY=$(cat "$work/data/admin.key")
echo "\$ ZHIKU_API_KEY=\$(cat data/admin.key) zhikuctl whoami"
ctl whoami
echo "\$ zhikuctl keys create --role=bot 'demo chatbot'"
bot_key=$(ctl keys create --role=bot "demo chatbot")
echo "\$ zhikuctl keys list"
ctl keys list

heading "Importing $(basename "$sample")"
status=0
ctl import "$sample" || status=$?
if [ "$status" -eq 3 ]; then
  echo "(some lines of the sample were rejected; see above)"
elif [ "$status" -ne 0 ]; then
  fail_with_log "import failed with exit code $status"
fi

# Writes are durable when acknowledged and searchable a moment later (the
# indexer batches them); wait for that rather than guess a sleep.
deadline=$((SECONDS + 10))
until ctl --json search 怎么退货 --page_size 1 2>/dev/null | grep -q '"rank"'; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail_with_log "the imported entries are not searchable after 10 s"
  fi
  sleep 0.1
done

search() {
  heading "$1"
  shift
  echo "\$ zhikuctl search $*"
  ctl search "$@"
}

search "Simplified Chinese: 怎么退货" 怎么退货 --page_size 3
search "Simplified Chinese: 发票怎么开" 发票怎么开 --page_size 3
search "Traditional Chinese: 如何退貨 (highlights come back in Traditional)" 如何退貨 --page_size 3
search "Traditional Chinese: 會員積分怎麼用" 會員積分怎麼用 --page_size 3
search "English: how do I get a refund" "how do I get a refund" --page_size 3
search "English: track my package" "track my package" --page_size 3
search "Filter: 退款 in category refunds, English or Traditional entries only" \
  退款 --filter category=refunds --filter locale=en,zh-TW --page_size 3

heading "Suggestions as you type: 退"
echo "\$ zhikuctl suggest 退 --limit 5"
ctl suggest 退 --limit 5
heading "Suggestions as you type: refu"
echo "\$ zhikuctl suggest refu --limit 5"
ctl suggest refu --limit 5

# The chatbot side: Answer decides ANSWER / SUGGEST / HANDOFF with a
# calibrated confidence once the embedding model is trained (a few seconds
# on the sample; until then Answer works keyword-only and says so).
heading "Waiting for the embedding model (hybrid retrieval, calibrated confidence)"
echo "\$ zhikuctl status --wait_model 120s"
ctl status --wait_model 120s || echo "(no model yet; Answer below runs keyword-only)"

answer() {
  heading "Answer: $1"
  echo "\$ ZHIKU_API_KEY=<bot key> zhikuctl answer $1"
  ZHIKU_API_KEY=$bot_key ctl answer "$1"
}
answer 怎么退货
answer 退款几天能到我卡上
answer "點樣退貨"
answer "my parcel has not arrived yet"
answer 你好
answer "我想投诉你们的外星人客服"

heading "The bot key may ask, not write"
echo "\$ ZHIKU_API_KEY=<bot key> zhikuctl delete order-cancel"
if ZHIKU_API_KEY=$bot_key ctl delete order-cancel; then
  fail_with_log "a bot key deleted an entry"
fi

heading "Every change is a version: update, history, rollback"
echo "\$ zhikuctl update order-cancel --add_variant 订单怎么撤销 --reason 'seen in chats'"
ctl update order-cancel --add_variant 订单怎么撤销 --reason "seen in chats"
echo "\$ zhikuctl history order-cancel"
ctl history order-cancel
echo "\$ zhikuctl rollback order-cancel 1 --reason 'demo: undo'"
ctl rollback order-cancel 1 --reason "demo: undo"
echo "\$ zhikuctl audit --limit 5"
ctl audit --limit 5

heading "Why an entry ranked where it did: search --explain"
echo "\$ zhikuctl search 钱什么时候退回来 --page_size 2 --explain"
ctl search 钱什么时候退回来 --page_size 2 --explain

heading "Mining FAQ drafts from $(basename "$sample_chats"): zhiku-ingest --server"
echo "\$ zhiku-ingest --server=$listen --output=drafts.jsonl $(basename "$sample_chats")"
"$build_dir/ingest/zhiku-ingest" --progress=false --server="$listen" --output="$work/drafts.jsonl" "$sample_chats" \
  || fail_with_log "zhiku-ingest failed"
echo
echo "\$ zhikuctl drafts list --limit 5"
ctl drafts list --limit 5

heading "Stopping zhiku-server (SIGTERM)"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
if [ "$status" -ne 0 ]; then
  fail_with_log "zhiku-server exited with status $status on SIGTERM"
fi
echo "zhiku-server stopped cleanly; the temporary data directory is removed."
