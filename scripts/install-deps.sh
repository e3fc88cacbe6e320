#!/usr/bin/env bash
# Installs the Debian packages sluice builds and tests with, where missing.
# Debian 12 or later, as root (or with sudo). Arguments name more packages
# a caller needs (scripts/fuzz.sh: clang and its runtimes).
set -euo pipefail

packages=(
  g++ pkg-config meson ninja-build python3
  liburing-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev curl clang-format libfuse3-dev fuse3
  groff-base  # tests/man_page_test.cc renders the man pages with groff
  wrk  # relay_test drives sluice-relay with it
  "$@"
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
((${#missing[@]} == 0)) && exit 0

as_root=()
((EUID == 0)) || as_root=(sudo)
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
  --no-install-recommends "${missing[@]}"
