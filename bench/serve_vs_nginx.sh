#!/usr/bin/env bash
# wrk against sluice-serve and against nginx (sendfile on, one worker), same
# files, loopback; prints requests/s and transfer/s side by side.
#
#   bench/serve_vs_nginx.sh [--seconds=5] [--rounds=3] [--backend=iouring]
#                           [--uring-path=auto] [--threads=1]
#                           [--wrk-threads=1] [--no-pin]
#                           [--open-file-cache[=1000]]
#                           [--open-file-cache-valid=1s]
#                           [--connections=1,64,256]
#
# Builds build/ if needed and installs wrk and nginx (Debian packages) if
# missing. A 16 KiB and a 1 MiB file are each fetched at 1, 64 and 256
# connections (--connections). With --open-file-cache both servers keep up
# to N files open (sluice-serve --open-file-cache=N, nginx open_file_cache
# max=N), both revalidating after --open-file-cache-valid, and the default
# connections are 64 and 256 (issue 13's matrix). Both servers run side by side; every cell is measured
# `rounds` times, the two servers taking turns (order alternating), and the
# table shows the medians, with each server's CPU time per request (user +
# system, from /proc) — wrk's receiving often limits the 1 MiB cells, so CPU
# per request says more there than requests/s; the CPU ratio column is
# sluice's CPU per request over nginx's. With two or more CPUs, both servers are pinned to
# CPU 0 and wrk to CPU 1, so neither side steals the other's core.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5
rounds=3
backend=iouring
uring_path=auto
threads=1
wrk_threads=1
pin=1
open_file_cache=0
open_file_cache_valid=1s
connections_list=
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#*=} ;;
    --rounds=*) rounds=${arg#*=} ;;
    --backend=*) backend=${arg#*=} ;;
    --uring-path=*) uring_path=${arg#*=} ;;
    --threads=*) threads=${arg#*=} ;;
    --wrk-threads=*) wrk_threads=${arg#*=} ;;
    --no-pin) pin=0 ;;
    --open-file-cache) open_file_cache=1000 ;;
    --open-file-cache=*) open_file_cache=${arg#*=} ;;
    --open-file-cache-valid=*) open_file_cache_valid=${arg#*=} ;;
    --connections=*) connections_list=${arg#*=} ;;
    *) echo "usage: $0 [--seconds=N] [--rounds=N] [--backend=B] [--uring-path=P] [--threads=N] [--wrk-threads=N] [--no-pin] [--open-file-cache[=N]] [--open-file-cache-valid=D] [--connections=A,B,...]" >&2
       exit 2 ;;
  esac
done
if [[ ! $open_file_cache =~ ^[0-9]+$ ]]; then
  echo "--open-file-cache: expected a number of files" >&2
  exit 2
fi
if [[ -z $connections_list ]]; then
  if ((open_file_cache > 0)); then
    connections_list=64,256
  else
    connections_list=1,64,256
  fi
fi
IFS=, read -ra connection_counts <<<"$connections_list"

scripts/install-deps.sh
. bench/lib/nginx.sh
install_wrk_and_nginx
[[ -d build ]] || meson setup build >/dev/null
meson compile -C build tools/serve/sluice-serve >/dev/null

work=$(mktemp -d /tmp/sluice-vs-nginx-XXXXXX)
nginx_pid=
serve_pid=
cleanup() {
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}

trap cleanup EXIT
mkdir -p "$work/www"
head -c 16384 /dev/urandom >"$work/www/16k.bin"
head -c 1048576 /dev/urandom >"$work/www/1m.bin"
chmod -R a+rX "$work"
ulimit -n 65536 2>/dev/null || true

server_cpu=()
wrk_cpu=()
if ((pin)) && (($(nproc) >= 2)); then
  server_cpu=(taskset -c 0)
  wrk_cpu=(taskset -c 1)
fi

nginx_port=18080
nginx_extra=
serve_cache_flags=()
cache_note=
if ((open_file_cache > 0)); then
  # Both servers trust a cached file for the same interval (nginx's default
  # open_file_cache_valid is 60s).
  nginx_extra="open_file_cache max=$open_file_cache; open_file_cache_valid $open_file_cache_valid;"
  serve_cache_flags=(--open-file-cache="$open_file_cache"
    --open-file-cache-valid="$open_file_cache_valid")
  cache_note=", open-file cache $open_file_cache files valid $open_file_cache_valid in both"
fi
write_nginx_conf "$work" "$nginx_port" "$nginx_extra"

ticks_per_second=$(getconf CLK_TCK)
# CPU ticks (user + system) process PID has used, all its threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_wrk URL CONNECTIONS SERVER_PID -> "requests/s bytes/s cpu_us/request"
run_wrk() {
  local out before after
  before=$(cpu_ticks "$3")
  out=$("${wrk_cpu[@]}" wrk -t"$wrk_threads" -c"$2" -d"${seconds}s" "$1")
  after=$(cpu_ticks "$3")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "wrk saw errors against $1:" >&2
    echo "$out" >&2
    exit 1
  fi
  local rps bps
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  bps=$(awk '/^Transfer\/sec:/ {
      v = $2; u = substr(v, length(v) - 1); n = v + 0
      if (u == "GB") n *= 1073741824; else if (u == "MB") n *= 1048576;
      else if (u == "KB") n *= 1024
      printf "%.0f", n }' <<<"$out")
  local cpu
  cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v r="$rps" \
    -v s="$seconds" 'BEGIN { printf "%.1f", t / hz * 1e6 / (r * s) }')
  echo "$rps $bps $cpu"
}

"${server_cpu[@]}" /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
"${server_cpu[@]}" build/tools/serve/sluice-serve --root="$work/www" \
  --listen=127.0.0.1:0 --threads="$threads" --backend="$backend" \
  --uring-path="$uring_path" "${serve_cache_flags[@]}" \
  >"$work/serve.out" &
serve_pid=$!
for _ in $(seq 50); do
  [[ -s "$work/serve.out" ]] &&
    curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/16k.bin" && break
  sleep 0.1
done
serve_address=$(head -1 "$work/serve.out" | awk '{print $4}')
# nginx's master only supervises; its one worker serves.
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
[[ -n "$serve_address" ]] || { echo "sluice-serve did not start" >&2; exit 1; }

# Lines "NAME FILE CONNECTIONS ROUND requests/s bytes/s cpu_us/request".
results=$work/results.txt
: >"$results"
for file in 16k.bin 1m.bin; do
  for connections in "${connection_counts[@]}"; do
    for ((round = 0; round < rounds; round++)); do
      order=(nginx sluice)
      ((round % 2)) && order=(sluice nginx)
      for name in "${order[@]}"; do
        if [[ $name == nginx ]]; then
          base="http://127.0.0.1:$nginx_port" pid=$nginx_worker
        else
          base="http://$serve_address" pid=$serve_pid
        fi
        echo "$name $file $connections $round $(run_wrk "$base/$file" "$connections" "$pid")" |
          tee -a "$results" >&2
      done
    done
  done
done

echo "wrk -t$wrk_threads, ${seconds}s per run, median of $rounds; nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///') (1 worker, sendfile on) vs sluice-serve (--backend=$backend --uring-path=$uring_path --threads=$threads)$cache_note; $(nproc) CPUs, $(uname -r)"
echo
awk '
  function median(list,   v, m, i, j, t) {
    m = split(list, v, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
      if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  { key = $2 " " $3
    if ($1 == "nginx") { nrl[key] = nrl[key] " " $5; nbl[key] = nbl[key] " " $6; ncl[key] = ncl[key] " " $7 }
    else { srl[key] = srl[key] " " $5; sbl[key] = sbl[key] " " $6; scl[key] = scl[key] " " $7 }
    if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
  END {
    for (k in seen) { nr[k] = median(nrl[k]); nb[k] = median(nbl[k]); nc[k] = median(ncl[k]);
                      sr[k] = median(srl[k]); sb[k] = median(sbl[k]); sc[k] = median(scl[k]) }
    printf "| file | conns | nginx req/s | sluice req/s | ratio | nginx MiB/s | sluice MiB/s | nginx CPU us/req | sluice CPU us/req | CPU ratio |\n"
    printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    for (i = 0; i < n; i++) {
      k = order[i]; split(k, p, " ")
      printf "| %s | %d | %.0f | %.0f | %.2fx | %.1f | %.1f | %.1f | %.1f | %.2fx |\n", p[1], p[2],
        nr[k], sr[k], sr[k] / nr[k], nb[k] / 1048576, sb[k] / 1048576, nc[k], sc[k],
        (nc[k] > 0 ? sc[k] / nc[k] : 0)
    }
  }' "$results"
