#!/usr/bin/env bash
# The cold-read table: for every backend and data path, what one cold
# transfer (a 1 GiB file just evicted from the page cache) does to 64 hot
# ones on the same engine, with the process's disk reads throttled to
# --rate bytes/s (default 50 MB/s) to stand in for slow storage. Makes and
# removes a cgroup v1 blkio cgroup for that; where it cannot (no cgroup v1
# blkio, not root), it says so and runs unthrottled.
#
#   bench/cold_reads.sh [--rate=50000000] [--cold-file=/var/tmp/sluice-cold.bin]
#                       [--bench=build/bench/cold_read_bench]
set -uo pipefail
cd "$(dirname "$0")/.."

rate=50000000
cold_file=/var/tmp/sluice-cold.bin
bench=build/bench/cold_read_bench
for arg in "$@"; do
  case "$arg" in
    --rate=*) rate=${arg#*=} ;;
    --cold-file=*) cold_file=${arg#*=} ;;
    --bench=*) bench=${arg#*=} ;;
    *) echo "usage: $0 [--rate=BYTES_PER_S] [--cold-file=PATH] [--bench=PATH]" >&2
       exit 2 ;;
  esac
done
[[ -x "$bench" ]] || { echo "$bench not built (meson compile -C build)" >&2; exit 1; }

# Make the cold file first, unthrottled.
"$bench" --cold-file="$cold_file" --baseline=0s --during=0s --hot=1 >/dev/null ||
  exit 1

. bench/lib/throttle.sh
throttle_setup "$cold_file" "$rate"

run() {
  local label=$1
  shift
  in_cgroup "$bench" --cold-file="$cold_file" --label="$label" "$@"
}

printf '%-28s %10s %10s %7s %8s %8s %10s %9s %8s\n' configuration \
  'hot/s' 'hot/s cold' ratio 'gap ms' 'gap cold' 'cold MB' 'cold push' \
  'stall ms'
run "iouring auto" --backend=iouring
run "iouring auto, no probe" --backend=iouring --avoid_cold_reads=false
run "iouring splice" --backend=iouring --uring_path=splice
run "iouring sendfile" --backend=iouring --uring_path=sendfile
run "iouring copy" --backend=iouring --uring_path=copy
run "sendfile" --backend=sendfile
run "sendfile, no probe" --backend=sendfile --avoid_cold_reads=false
run "readsend" --backend=readsend
run "readsend, no probe" --backend=readsend --avoid_cold_reads=false
