#!/usr/bin/env bash
# Serves a knowledge base in the foreground until Ctrl-C (SIGINT) or SIGTERM,
# which are passed on to zhiku-server for a graceful stop. If DATA_DIR is new
# (absent or empty), the sample knowledge base is imported first.
#
#   scripts/serve.sh BUILD_DIR LISTEN DATA_DIR
#   e.g. scripts/serve.sh build 127.0.0.1:50051 ~/.local/share/zhiku
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BUILD_DIR HOST:PORT DATA_DIR   (e.g. $0 build 127.0.0.1:50051 ~/.local/share/zhiku)" >&2
  exit 1
fi
build_dir=$1
listen=$2
data_dir=$3
script_name=serve
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

is_new=false
if [ ! -d "$data_dir" ] || [ -z "$(ls -A "$data_dir")" ]; then
  is_new=true
fi
mkdir -p "$data_dir"
port_file=$(mktemp "${TMPDIR:-/tmp}/zhiku-serve-port.XXXXXX")
rm -f "$port_file"

ctl_abs="$(cd "$(dirname "$ctl_bin")" && pwd)/zhikuctl"
ctl() { "$ctl_bin" --server="$listen" "$@"; }

# Background so that this script can import and then keep forwarding signals;
# the server's log still goes to this terminal.
"$server_bin" --data_dir="$data_dir" --listen="$listen" --port_file="$port_file" &
server_pid=$!

# shellcheck disable=SC2317  # invoked by the traps below
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "serve: stopping zhiku-server (pid $server_pid)" >&2
    kill -TERM "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server INT TERM
# If this script fails before the final wait, do not leave a server behind.
trap 'status=$?; stop_server; wait "$server_pid" 2>/dev/null || true; rm -f "$port_file"; exit $status' EXIT

deadline=$((SECONDS + 30))
until [ -f "$port_file" ] && ctl --timeout=1s health >/dev/null 2>&1; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    status=0
    wait "$server_pid" || status=$?
    echo "serve: zhiku-server exited with status $status before it became healthy (its log is above)" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "serve: zhiku-server is not healthy after 30 s (its log is above)" >&2
    exit 1
  fi
  sleep 0.2
done

# The server wrote its admin key here on its first start.
if [ -r "$data_dir/admin.key" ]; then
  export ZHIKU_API_KEY; ZHIKU_API_KEY=$(cat "$data_dir/admin.key")
fi

if $is_new; then
  echo "serve: $data_dir is new; importing $sample" >&2
  status=0
  ctl import "$sample" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    echo "serve: importing the sample failed (exit $status)" >&2
    exit 1
  fi
fi

cat <<EOF

Zhiku is serving $data_dir on $listen. In another terminal:

  export ZHIKU_SERVER=$listen
  export ZHIKU_API_KEY=\$(cat $data_dir/admin.key)   # the admin key; make others with: zhikuctl keys create
  $ctl_abs search 怎么退货
  $ctl_abs search how do I get a refund
  $ctl_abs suggest 退
  $ctl_abs list --filter category=returns
  $ctl_abs import my_kb.jsonl
  $ctl_abs --help

Stop with Ctrl-C.

EOF

# `wait` returns early (status > 128) when a trapped signal arrives while the
# server is still draining; keep waiting until it has really exited.
status=0
while :; do
  if wait "$server_pid"; then status=0; else status=$?; fi
  kill -0 "$server_pid" 2>/dev/null || break
done
if [ "$status" -gt 128 ]; then
  # The server exited right after the interrupted wait: fetch its own status.
  if wait "$server_pid" 2>/dev/null; then status=0; else s=$?; [ "$s" -ne 127 ] && status=$s; fi
fi
trap - EXIT
rm -f "$port_file"
echo "serve: zhiku-server exited with status $status" >&2
exit "$status"
