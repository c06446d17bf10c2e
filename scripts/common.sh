# Sourced by demo.sh and serve.sh: the paths they share, checked once.
# Expects $build_dir and a short $script_name (for messages); sets root,
# server_bin, ctl_bin and sample, or exits with what to do.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
server_bin="$build_dir/tools/zhiku-server"
ctl_bin="$build_dir/tools/zhikuctl"
sample="$root/data/sample_kb.jsonl"
sample_chats="$root/data/sample_chats.jsonl"
for f in "$server_bin" "$ctl_bin"; do
  if [ ! -x "$f" ]; then
    echo "$script_name: $f not found; build first (make build, or cmake --build $build_dir)" >&2
    exit 1
  fi
done
if [ ! -f "$sample" ]; then
  echo "$script_name: $sample not found" >&2
  exit 1
fi
