#!/usr/bin/env bash
# The short soak CI runs: sluice-load --soak, 50,000 transfers per backend
# over TCP and unix sockets, with random cancels, deadlines and peer resets,
# every byte verified; fails on any anomaly (a wrong byte, a status the
# injected fault does not explain, fds or RSS that do not come back).
#   scripts/soak.sh [BUILD_DIR]   (default: build)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
load="$build/tools/load/sluice-load"
[[ -x "$load" ]] || { echo "$load not built (meson compile -C $build)" >&2; exit 1; }
# Bounded: 30-90 s on the 2-vCPU VM; a stall is an anomaly the soak reports
# itself, and the timeout is the last resort.
exec timeout 600 "$load" --soak --transfers=50000 --connections=64 \
  --transport=tcp,unix
