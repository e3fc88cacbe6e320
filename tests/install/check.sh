#!/usr/bin/env bash
# Installs BUILD_DIR into a staging dir and builds tests/install/consumer.cc
# against only what was installed, through `pkg-config sluice`, shared and
# static; both must send a file byte-exact.
set -euo pipefail
build=${1:?usage: check.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --destdir "$stage" >/dev/null
pc=$(find "$stage" -name sluice.pc | head -n 1)
shared=$(find "$stage" -name libsluice.so | head -n 1)
static=$(find "$stage" -name libsluice.a | head -n 1)
header=$(find "$stage" -path '*/include/sluice/engine.h' | head -n 1)
for f in pc shared static header; do
  [[ -n "${!f}" ]] || { echo "install check: no $f installed" >&2; exit 1; }
done

export PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_PATH="$(dirname "$pc")"
g++ -std=c++20 -Wall -Wextra -Werror "$here/consumer.cc" -o "$stage/consumer" \
  $(pkg-config --cflags --libs sluice) -pthread
LD_LIBRARY_PATH="$(dirname "$shared")" "$stage/consumer"

g++ -std=c++20 -Wall -Wextra -Werror "$here/consumer.cc" -o "$stage/consumer-static" \
  $(pkg-config --cflags sluice) "$static" \
  $(pkg-config --static --libs sluice | sed 's/-lsluice\b//') -pthread
"$stage/consumer-static"
echo "install check: shared and static consumers passed"
