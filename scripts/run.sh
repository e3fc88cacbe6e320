#!/usr/bin/env bash
# The main job: installs what is missing, builds sluice, and compares the
# backends on loopback with the send demo (about 30 s). Extra arguments go to
# sluice-send-demo (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [[ -d build ]]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build >/dev/null
fi
meson compile -C build sluice-send-demo

demo=build/tools/send_demo/sluice-send-demo
"$demo" --connections=16 --file_size=64MiB --seconds=4 "$@"
"$demo" --connections=256 --file_size=4MiB --seconds=4 "$@"
"$demo" --connections=1024 --file_size=16KiB --seconds=4 "$@"
