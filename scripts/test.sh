#!/usr/bin/env bash
# Installs what is missing, builds sluice, and runs every test:
#   1. the Linux build (io_uring, sendfile and read+send backends);
#   2. the portable build (-Dlinux_backends=false: read+send over poll(2));
#   3. the install check: `meson install` into a staging dir, then a separate
#      program built against only what was installed (pkg-config sluice);
#   4. the release build (compiled, not run: its code is the Linux build's);
#   5. the format check (scripts/check-format.sh);
#   6. with --sanitize, the Linux build again under ASan and UBSan.
# Every build here is strict (-Dwerror=true); a user's or packager's build
# is not, so a new compiler's warning cannot stop it.
# Ends with one line "N passed, N failed" (GoogleTest cases of every run,
# plus the install check) and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1

sanitize=0
[[ "${1:-}" == "--sanitize" ]] && sanitize=1

failed_steps=0
build_dirs=()

# build_and_test DIR [meson options...]
# set_up DIR [meson options...]: configures DIR strictly.
set_up() {
  local dir=$1
  shift
  echo "=== $dir: meson setup -Dwerror=true $*"
  if [[ -d "$dir" ]]; then
    meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
  else
    meson setup "$dir" -Dwerror=true "$@" >/dev/null
  fi
}

build_and_test() {
  local dir=$1
  shift
  set_up "$dir" "$@" || { failed_steps=$((failed_steps + 1)); return; }
  # Stale results must not be counted again.
  rm -f "$dir"/*_test.xml
  build_dirs+=("$dir")
  if ! meson compile -C "$dir"; then
    failed_steps=$((failed_steps + 1))
    return
  fi
  meson test -C "$dir" --print-errorlogs --num-processes 1 ||
    failed_steps=$((failed_steps + 1))
}

build_and_test build
build_and_test build-portable -Dlinux_backends=false -Dbenchmarks=disabled

install_passed=0
install_failed=0
echo "=== install check"
if tests/install/check.sh build; then
  install_passed=1
else
  install_failed=1
fi

set_up build-release --buildtype=release -Dtests=disabled \
    -Dbenchmarks=disabled &&
  meson compile -C build-release || failed_steps=$((failed_steps + 1))

echo "=== format check"
scripts/check-format.sh || failed_steps=$((failed_steps + 1))

if ((sanitize)); then
  build_and_test build-sanitize -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbenchmarks=disabled
fi

python3 scripts/gtest_totals.py --extra-passed "$install_passed" \
  --extra-failed "$install_failed" --failed-steps "$failed_steps" \
  "${build_dirs[@]}"
