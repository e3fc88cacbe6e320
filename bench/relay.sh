#!/usr/bin/env bash
# wrk -> proxy -> origin on loopback: sluice-relay (one thread) against
# HAProxy (mode tcp, nbthread 1, with and without option splice-auto), the
# same origin behind every proxy; prints requests/s, errors and the proxy
# process's CPU time per request side by side (issue 12, item 5).
#
#   bench/relay.sh [--duration=10s] [--rounds=1] [--backends=auto]
#                  [--origin=sluice-serve|nginx] [--build=build]
#                  [--wrk-threads=1] [--no-pin]
#
# --backends takes a comma list of sluice-relay backends (auto, iouring,
# sendfile, readsend), one sluice-relay process and one column each.
# Rows: a 16 KiB and a 1 MiB body at 64 and 256 keep-alive connections; every
# proxy gets `duration` per row and round, proxies taking turns (the order
# rotates from row to row and round to round); with --rounds above 1 the
# table shows medians. CPU is the proxy process's user + system time (all
# its threads, io_uring's io-wq workers included, from /proc/PID/stat)
# divided by the requests wrk completed; "CPU %" is that time over the run's
# wall time, so a proxy near 100 % is the limit of its row.
#
# Installs and builds nothing: it says what is missing (wrk, haproxy, nginx
# for --origin=nginx: `scripts/install-deps.sh haproxy` installs wrk and
# HAProxy; `scripts/install-deps.sh haproxy nginx-light` adds nginx) and how
# to build the two binaries into --build. With two or more CPUs the proxy
# runs on CPU 0, the origin on CPU 1 and wrk on the CPUs after that
# (with exactly two, on CPU 1 beside the origin). Every process it starts is
# stopped by pid on exit, and its temporary directory removed; each wrk run
# is bounded by `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s
rounds=1
backends=auto
origin=sluice-serve
build=build
wrk_threads=1
pin=1
usage() {
  echo "usage: $0 [--duration=10s] [--rounds=N] [--backends=auto[,iouring,sendfile,readsend]]" \
    "[--origin=sluice-serve|nginx] [--build=DIR] [--wrk-threads=N] [--no-pin]" >&2
  exit 2
}
for arg in "$@"; do
  case "$arg" in
    --duration=*) duration=${arg#*=} ;;
    --rounds=*) rounds=${arg#*=} ;;
    --backends=*) backends=${arg#*=} ;;
    --origin=*) origin=${arg#*=} ;;
    --build=*) build=${arg#*=} ;;
    --wrk-threads=*) wrk_threads=${arg#*=} ;;
    --no-pin) pin=0 ;;
    *) usage ;;
  esac
done

# "10s", "2m" or "10" -> seconds.
case "$duration" in
  *[0-9]s) seconds=${duration%s} ;;
  *[0-9]m) seconds=$((${duration%m} * 60)) ;;
  *[0-9]) seconds=$duration ;;
  *) usage ;;
esac
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ &&
   "$wrk_threads" =~ ^[1-9][0-9]*$ ]] || usage
[[ $origin == sluice-serve || $origin == nginx ]] || usage
IFS=, read -r -a relay_backends <<<"$backends"
for backend in "${relay_backends[@]}"; do
  case "$backend" in auto | iouring | sendfile | readsend) ;; *) usage ;; esac
done

relay_bin=$build/tools/relay/sluice-relay
serve_bin=$build/tools/serve/sluice-serve
missing=()
command -v wrk >/dev/null || missing+=("wrk (Debian package wrk)")
command -v haproxy >/dev/null || missing+=("haproxy (Debian package haproxy)")
[[ $origin != nginx || -x /usr/sbin/nginx ]] ||
  missing+=("nginx (Debian package nginx-light)")
for tool in python3 curl taskset timeout; do
  command -v $tool >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  printf 'missing: %s\n' "${missing[@]}" >&2
  echo "scripts/install-deps.sh haproxy [nginx-light] installs them (Debian)." >&2
  exit 1
fi
if [[ ! -x $relay_bin || ( $origin == sluice-serve && ! -x $serve_bin ) ]]; then
  echo "no $relay_bin or $serve_bin; build them:" >&2
  echo "  meson setup $build --buildtype=release &&" \
    "ninja -C $build tools/relay/sluice-relay tools/serve/sluice-serve" >&2
  exit 1
fi
buildtype=$(python3 -c 'import json, sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == "buildtype": print(o["value"])' \
  "$build/meson-info/intro-buildoptions.json" 2>/dev/null || echo unknown)

work=$(mktemp -d /tmp/sluice-relay-bench-XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/www"
head -c 16384 /dev/urandom >"$work/www/16k.bin"
head -c 1048576 /dev/urandom >"$work/www/1m.bin"
chmod -R a+rX "$work"
ulimit -n 20000 2>/dev/null || true

proxy_cpu=() origin_cpu=() wrk_cpu=()
cpus=$(nproc)
if ((pin)) && ((cpus >= 2)); then
  proxy_cpu=(taskset -c 0)
  origin_cpu=(taskset -c 1)
  if ((cpus >= 3)); then wrk_cpu=(taskset -c "2-$((cpus - 1))"); else wrk_cpu=(taskset -c 1); fi
fi

# A free TCP port on 127.0.0.1 (for the servers that cannot report port 0).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL: up to 5 s for a 200 from URL.
wait_for() {
  local _
  for _ in $(seq 50); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "nothing answers $1; the servers said:" >&2
  tail -n 5 "$work"/*.out >&2
  exit 1
}

# first_line_address FILE: "NAME listening on ADDRESS ..." -> ADDRESS, up to 5 s.
first_line_address() {
  local _
  for _ in $(seq 50); do
    [[ -s $1 ]] && { head -1 "$1" | awk '{print $4}'; return 0; }
    sleep 0.1
  done
  echo "no address in $1" >&2
  exit 1
}

# --- origin -------------------------------------------------------------
if [[ $origin == sluice-serve ]]; then
  "${origin_cpu[@]}" "$serve_bin" --root="$work/www" --listen=127.0.0.1:0 \
    --threads=1 >"$work/origin.out" 2>&1 &
  pids+=($!) origin_pid=$!
  origin_address=$(first_line_address "$work/origin.out")
  origin_desc="sluice-serve --threads=1 ($(head -1 "$work/origin.out" | sed 's/.*, //; s/)//'))"
else
  . bench/lib/nginx.sh
  origin_port=$(free_port)
  write_nginx_conf "$work" "$origin_port"
  "${origin_cpu[@]}" /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
  pids+=($!)
  nginx_pid=$!
  origin_address=127.0.0.1:$origin_port
  origin_desc="nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///') (1 worker, sendfile on)"
fi
wait_for "http://$origin_address/16k.bin"
# nginx's master only supervises; its one worker serves.
[[ $origin == nginx ]] && origin_pid=$(pgrep -P "$nginx_pid" | head -1)

# --- proxies: names, pids, addresses in the same order -------------------
names=() proxy_pids=() addresses=()
for backend in "${relay_backends[@]}"; do
  out=$work/relay-$backend.out
  "${proxy_cpu[@]}" "$relay_bin" --listen=127.0.0.1:0 --upstream="$origin_address" \
    --threads=1 --backend="$backend" --stats >"$out" 2>&1 &
  pids+=($!)
  names+=("relay-$backend") proxy_pids+=($!)
  addresses+=("$(first_line_address "$out")")
done

for variant in splice nosplice; do
  port=$(free_port)
  splice_line="option splice-auto"
  [[ $variant == nosplice ]] && splice_line="# no splice (nosplice in global)"
  nosplice_global=
  [[ $variant == nosplice ]] && nosplice_global=nosplice
  cat >"$work/haproxy-$variant.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
  $nosplice_global
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  $splice_line
frontend relay
  bind 127.0.0.1:$port
  default_backend origin
backend origin
  server origin $origin_address
CONF
  haproxy -c -q -f "$work/haproxy-$variant.cfg"
  "${proxy_cpu[@]}" haproxy -db -f "$work/haproxy-$variant.cfg" \
    >"$work/haproxy-$variant.out" 2>&1 &
  pids+=($!)
  names+=("haproxy-$variant") proxy_pids+=($!)
  addresses+=("127.0.0.1:$port")
done
for address in "${addresses[@]}"; do wait_for "http://$address/16k.bin"; done

ticks_per_second=$(getconf CLK_TCK)
# CPU ticks (user + system) process PID has used, all its threads; the
# fields after "(comm)" start with the state, so utime and stime are 12, 13.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# relay_stats PID FILE: SIGUSR1 to sluice-relay PID and, once its JSON is
# in FILE, "splices fallbacks syscalls" summed over its threads.
relay_stats() {
  local before _
  before=$(grep -c '^}' "$2" || true)
  kill -USR1 "$1"
  for _ in $(seq 50); do
    (($(grep -c '^}' "$2" || true) > before)) && break
    sleep 0.05
  done
  python3 - "$2" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
decoder, i, last = json.JSONDecoder(), text.find("{"), None
while i >= 0:
    last, end = decoder.raw_decode(text, i)
    i = text.find("{", end)
engines = [t["engine"] for t in last["threads"]]
print(*(sum(e[k] for e in engines) for k in ("splices", "fallbacks", "syscalls")))
PY
}

# "busy total" jiffies of the CPUs the proxy does not run on (all CPUs when
# not pinned), from /proc/stat: how close origin and wrk are to their limit.
rest_cpus=all
((${#proxy_cpu[@]})) && rest_cpus=rest
rest_ticks() {
  awk -v which="$rest_cpus" '
    which == "all" && $1 == "cpu" || which == "rest" && $1 ~ /^cpu[0-9]/ && $1 != "cpu0" {
      for (i = 2; i <= NF; i++) t += $i
      b += $2 + $3 + $4 + $7 + $8 + $9 }
    END { print b, t }' /proc/stat
}

# run_wrk INDEX URL CONNECTIONS -> "requests/s requests errors cpu_us/request
# cpu% origin_cpu_us/request rest_busy%"
run_wrk() {
  local pid=${proxy_pids[$1]} out before after o_before o_after status=0
  local r_before r_after
  before=$(cpu_ticks "$pid")
  o_before=$(cpu_ticks "$origin_pid")
  r_before=$(rest_ticks)
  out=$(timeout -k 5 $((seconds + 30)) "${wrk_cpu[@]}" wrk -t"$wrk_threads" \
    -c"$3" -d"${seconds}s" --timeout 5s "$2") || status=$?
  after=$(cpu_ticks "$pid")
  o_after=$(cpu_ticks "$origin_pid")
  r_after=$(rest_ticks)
  if ((status)); then
    echo "wrk against ${names[$1]} exited $status:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk -v t=$((after - before)) -v o=$((o_after - o_before)) -v hz="$ticks_per_second" \
    -v s="$seconds" -v rb="$r_before" -v ra="$r_after" '
    / requests in / { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { e += $NF }
    END { split(rb, b, " "); split(ra, a, " ")
          printf "%.0f %d %d %.1f %.0f %.1f %.0f\n", rps, n, e,
                 n ? t / hz * 1e6 / n : 0, t / hz / s * 100, n ? o / hz * 1e6 / n : 0,
                 (a[2] > b[2] ? (a[1] - b[1]) * 100 / (a[2] - b[2]) : 0) }' <<<"$out"
}

proxy_count=${#names[@]}
cells=$((4 * proxy_count * rounds))
echo "# sluice-relay vs HAProxy: wrk -> proxy -> origin on 127.0.0.1, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# machine: $cpus CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "# sluice $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes'), $build ($buildtype build); $(haproxy -v | head -1 | awk '{print "HAProxy", $3}'); $(wrk -v 2>&1 | head -1 | awk '{print "wrk", $2}')"
if ((${#proxy_cpu[@]})); then
  echo "# pinned (taskset): proxy on CPU 0, origin on CPU 1, wrk on CPU ${wrk_cpu[2]}; other processes on the machine are not kept off CPU 0"
else
  echo "# not pinned"
fi
relay_desc=
for backend in "${relay_backends[@]}"; do
  relay_desc+="${relay_desc:+, }relay-$backend: $(head -1 "$work/relay-$backend.out" | sed 's/.*, //; s/)//')"
done
echo "# origin: $origin_desc; proxies: sluice-relay --threads=1 --backend=B ($relay_desc);" \
  "HAProxy mode tcp, nbthread 1, Debian defaults otherwise, with option splice-auto and with nosplice"
echo "# wrk -t$wrk_threads --timeout 5s, keep-alive, $duration per cell, $rounds round(s): $cells cells, about $((cells * (seconds + 1))) s"
echo "# raw: proxy body conns round req/s requests errors cpu_us/req cpu% origin_cpu_us/req $([[ $rest_cpus == all ]] && echo all || echo other)_cpus_busy% [relay: splices/req fallbacks syscalls/req]"

results=$work/results.txt
: >"$results"
turn=0
for ((round = 0; round < rounds; round++)); do
  for body in 16k.bin 1m.bin; do
    for connections in 64 256; do
      for ((k = 0; k < proxy_count; k++)); do
        i=$(((k + turn) % proxy_count))
        url="http://${addresses[$i]}/$body"
        extra=
        if [[ ${names[$i]} == relay-* ]]; then
          read -r s0 f0 y0 < <(relay_stats "${proxy_pids[$i]}" "$work/${names[$i]}.out")
        fi
        line="${names[$i]} $body $connections $round $(run_wrk "$i" "$url" "$connections")"
        if [[ ${names[$i]} == relay-* ]]; then
          read -r s1 f1 y1 < <(relay_stats "${proxy_pids[$i]}" "$work/${names[$i]}.out")
          n=$(awk '{print $6}' <<<"$line")
          extra=$(awk -v s=$((s1 - s0)) -v f=$((f1 - f0)) -v y=$((y1 - y0)) -v n="$n" \
            'BEGIN { printf " %.1f %d %.1f", n ? s / n : 0, f, n ? y / n : 0 }')
        fi
        echo "$line$extra" | tee -a "$results"
        sleep 1
      done
      turn=$((turn + 1))
    done
  done
done

echo
echo "Medians over $rounds round(s); ratio: ${names[0]} req/s over the better HAProxy's; errors: wrk's socket errors + non-2xx, per proxy in column order."
echo
awk -v names="${names[*]}" '
  function median(list,   v, m, i, j, t) {
    m = split(list, v, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
      if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  { key = $2 " " $3; c = key SUBSEP $1
    rps[c] = rps[c] " " $5; err[c] += $7; cpu[c] = cpu[c] " " $8; pct[c] = pct[c] " " $9
    if (!(key in seen)) { seen[key] = 1; order[rows++] = key } }
  END {
    n = split(names, name, " ")
    head = "| body | conns |"; rule = "|---|---:|"
    for (p = 1; p <= n; p++) { head = head " " name[p] " req/s |"; rule = rule "---:|" }
    head = head " ratio |"; rule = rule "---:|"
    for (p = 1; p <= n; p++) { head = head " " name[p] " CPU us/req (%) |"; rule = rule "---:|" }
    print head " errors |"; print rule "---:|"
    for (r = 0; r < rows; r++) {
      k = order[r]; split(k, part, " "); line = "| " part[1] " | " part[2] " |"; best = 0; errs = ""
      for (p = 1; p <= n; p++) {
        v = median(rps[k, name[p]]); line = line " " sprintf("%.0f", v) " |"
        if (p == 1) first = v
        if (name[p] ~ /^haproxy/ && v > best) best = v
        errs = errs (p > 1 ? "/" : "") err[k, name[p]] + 0
      }
      line = line " " (best ? sprintf("%.2fx", first / best) : "-") " |"
      for (p = 1; p <= n; p++)
        line = line sprintf(" %.1f (%.0f) |", median(cpu[k, name[p]]), median(pct[k, name[p]]))
      print line " " errs " |"
    }
  }' "$results"
echo
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
