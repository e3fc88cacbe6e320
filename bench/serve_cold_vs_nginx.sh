#!/usr/bin/env bash
# Hot requests while another client fetches cold files: wrk on a cached
# 16 KiB file against nginx (one worker, sendfile on), nginx with
# `aio threads`, and sluice-serve, each first alone and then while a curl
# loop fetches 64 MiB files evicted from the page cache right before each
# fetch. The servers' disk reads are throttled to --rate bytes/s (default
# 50 MB/s) in a blkio cgroup (bench/lib/throttle.sh), made and removed here.
#
#   bench/serve_cold_vs_nginx.sh [--seconds=5] [--rate=50000000]
#                                [--backend=auto] [--connections=64]
#
# Installs wrk and nginx-light if missing; servers pinned to CPU 0, wrk and
# curl to CPU 1 where there are two.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5
rate=50000000
backend=auto
connections=64
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#*=} ;;
    --rate=*) rate=${arg#*=} ;;
    --backend=*) backend=${arg#*=} ;;
    --connections=*) connections=${arg#*=} ;;
    *) echo "usage: $0 [--seconds=N] [--rate=B] [--backend=B] [--connections=N]" >&2
       exit 2 ;;
  esac
done

. bench/lib/nginx.sh
install_wrk_and_nginx
[[ -d build ]] || meson setup build >/dev/null
meson compile -C build tools/serve/sluice-serve >/dev/null

work=$(mktemp -d /var/tmp/sluice-serve-cold-XXXXXX)
server_pid=
cold_pid=
bench_cleanup() {
  [[ -n "$cold_pid" ]] && kill "$cold_pid" 2>/dev/null
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
. bench/lib/throttle.sh
trap bench_cleanup EXIT

mkdir -p "$work/www/cold"
head -c 16384 /dev/urandom >"$work/www/16k.bin"
for i in 0 1 2 3 4 5 6 7; do
  head -c $((64 << 20)) /dev/urandom >"$work/www/cold/$i.bin"
done
sync
chmod -R a+rX "$work"
ulimit -n 65536 2>/dev/null || true
throttle_setup "$work/www/cold/0.bin" "$rate"

server_cpu=()
client_cpu=()
if (($(nproc) >= 2)); then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
fi

port=
start() {  # $1: nginx | nginx-aio | sluice; $2: port
  port=$2
  case $1 in
    nginx) write_nginx_conf "$work" "$port" ;;
    nginx-aio) write_nginx_conf "$work" "$port" "aio threads;" ;;
  esac
  if [[ $1 == sluice ]]; then
    in_cgroup_bg "${server_cpu[@]}" build/tools/serve/sluice-serve \
      --root="$work/www" --listen=127.0.0.1:$port --backend="$backend" \
      >"$work/serve.out"
  else
    in_cgroup_bg "${server_cpu[@]}" /usr/sbin/nginx -c "$work/nginx.conf" \
      -p "$work"
  fi
  server_pid=$bg_pid
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/16k.bin" && return 0
    sleep 0.05
  done
  echo "$1 did not start" >&2
  exit 1
}

stop() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/16k.bin"; then
    echo "a server still answers on port $port" >&2
    exit 1
  fi
}

# Fetches the cold files in turn, each evicted first, until killed.
cold_client() {
  while true; do
    for i in 0 1 2 3 4 5 6 7; do
      dd if="$work/www/cold/$i.bin" iflag=nocache count=0 status=none
      "${client_cpu[@]}" curl -s -o /dev/null --max-time 60 \
        "http://127.0.0.1:$port/cold/$i.bin" || true
    done
  done
}

# -> "requests/s p99_ms"
hot_wrk() {
  local out
  out=$("${client_cpu[@]}" wrk -t1 -c"$connections" -d"${seconds}s" --latency \
    "http://127.0.0.1:$port/16k.bin")
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; n = v + 0
      if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
      printf "%.2f", n }' <<<"$out")
  echo "$rps $p99"
}

echo "wrk -t1 -c$connections ${seconds}s on 16k.bin; cold client: curl of 64 MiB files, evicted first; $(nproc) CPUs, $(uname -r); nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///')"
printf '| server | hot req/s alone | hot req/s with cold | ratio | p99 ms alone | p99 ms with cold |\n|---|---:|---:|---:|---:|---:|\n'
next_port=18090
for server in nginx nginx-aio sluice; do
  # A port of its own: a server that failed to stop cannot share it
  # (both listen with SO_REUSEPORT).
  start $server $next_port
  next_port=$((next_port + 1))
  read -r alone_rps alone_p99 < <(hot_wrk)
  cold_client &
  cold_pid=$!
  sleep 1  # the first cold fetch is under way
  read -r cold_rps cold_p99 < <(hot_wrk)
  kill "$cold_pid" 2>/dev/null; wait "$cold_pid" 2>/dev/null || true
  cold_pid=
  stop
  name=$server
  [[ $server == sluice ]] && name="sluice-serve --backend=$backend"
  [[ $server == nginx-aio ]] && name="nginx, aio threads"
  awk -v n="$name" -v a="$alone_rps" -v c="$cold_rps" -v pa="$alone_p99" -v pc="$cold_p99" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2fx | %s | %s |\n", n, a, c, c / a, pa, pc }'
done
