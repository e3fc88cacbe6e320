#!/usr/bin/env bash
# The cold-read table: for every backend and data path, what one cold
# transfer (a 1 GiB file just evicted from the page cache) does to 64 hot
# ones on the same engine, with the process's disk reads throttled to
# --rate bytes/s (default 50 MB/s) to stand in for slow storage. Makes and
# removes a cgroup v1 blkio cgroup for that; where it cannot (no cgroup v1
# blkio, not root), it says so and runs unthrottled.
#
#   bench/cold_reads.sh [--rate=50000000] [--cold-file=/var/tmp/sluice-cold.bin]
#                       [--bench=build/bench/cold_read_bench] [--rounds=1]
#
# --rounds=N runs every row N times, the rows taking turns, and ends with
# each row's median ratio and gaps: on a small shared VM one run per row
# moves by ±20 %.
set -uo pipefail
cd "$(dirname "$0")/.."

rate=50000000
cold_file=/var/tmp/sluice-cold.bin
bench=build/bench/cold_read_bench
rounds=1
for arg in "$@"; do
  case "$arg" in
    --rate=*) rate=${arg#*=} ;;
    --cold-file=*) cold_file=${arg#*=} ;;
    --bench=*) bench=${arg#*=} ;;
    --rounds=*) rounds=${arg#*=} ;;
    *) echo "usage: $0 [--rate=BYTES_PER_S] [--cold-file=PATH] [--bench=PATH] [--rounds=N]" >&2
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
rows_file=$(mktemp)
for ((round = 1; round <= rounds; ++round)); do
  {
    run "iouring auto" --backend=iouring
    run "iouring auto, no probe" --backend=iouring --avoid_cold_reads=false
    run "iouring splice" --backend=iouring --uring_path=splice
    run "iouring sendfile" --backend=iouring --uring_path=sendfile
    run "iouring copy" --backend=iouring --uring_path=copy
    run "sendfile" --backend=sendfile
    run "sendfile, no probe" --backend=sendfile --avoid_cold_reads=false
    run "readsend" --backend=readsend
    run "readsend, no probe" --backend=readsend --avoid_cold_reads=false
  } | tee -a "$rows_file"
done

if ((rounds > 1)); then
  echo
  echo "medians of $rounds rounds: ratio, gap ms before -> during"
  # A row is its label, then eight numbers; the label may hold spaces.
  awk '
    function median(list, n,   a, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; ++i)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; --j) {
          t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NF >= 9 && $(NF - 5) ~ /x$/ {
      label = $1
      for (i = 2; i <= NF - 8; ++i) label = label " " $i
      if (!(label in ratio)) order[++rows] = label
      ratio[label] = ratio[label] " " substr($(NF - 5), 1, length($(NF - 5)) - 1)
      gap[label] = gap[label] " " $(NF - 4)
      gap_cold[label] = gap_cold[label] " " $(NF - 3)
    }
    END {
      for (r = 1; r <= rows; ++r) {
        l = order[r]
        printf "%-28s %6.2fx %8.1f -> %6.1f   (ratios:%s)\n", l, median(ratio[l]),
          median(gap[l]), median(gap_cold[l]), ratio[l]
      }
    }' "$rows_file"
fi
rm -f "$rows_file"
