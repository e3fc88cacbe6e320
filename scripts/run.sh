#!/usr/bin/env bash
# The main job: installs what is missing, builds sluice, and runs sluice-load
# comparing every backend available here on loopback (10 s each, about 30 s
# in all) with a CDN-like mix of object sizes and a 200-byte response head.
# Extra arguments go to sluice-load (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [[ -d build ]]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build >/dev/null
fi
meson compile -C build sluice-load

exec build/tools/load/sluice-load --connections=256 \
  --object-size=16KiB:80,1MiB:15,16MiB:5 --header-bytes=200 --duration=10s "$@"
