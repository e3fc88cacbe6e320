#!/usr/bin/env bash
# Installs what is missing, builds sluice, and runs every test:
#   1. the Linux build (io_uring, sendfile and read+send backends);
#   2. the portable build (-Dlinux_backends=false: read+send over poll(2));
#   3. the install check: `meson install` into a staging dir, then a separate
#      program built against only what was installed (pkg-config sluice);
#   4. the release build (compiled, not run: its code is the Linux build's);
#   5. the format check (scripts/check-format.sh);
#   6. with --sanitize, the Linux build again under ASan and UBSan;
#   7. with --tsan, the multi-threaded tests (sluice-load's threads and
#      sink, sluice-serve's workers, host threads around an engine) under
#      ThreadSanitizer;
#   8. with --soak, a short soak of sluice-load (random cancels, deadlines
#      and peer resets, every byte verified) on every backend;
#   9. with --fuzz=SECONDS, every libFuzzer target for SECONDS each
#      (scripts/fuzz.sh; needs clang).
# CI (.ci/run) passes all of them.
# Every build here is strict (-Dwerror=true); a user's or packager's build
# is not, so a new compiler's warning cannot stop it.
# Ends with one line "N passed, N failed" (GoogleTest cases of every run,
# plus the install check, the soak and each fuzz target) and exits non-zero
# if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1

sanitize=0
tsan=0
soak=0
fuzz_seconds=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --tsan) tsan=1 ;;
    --soak) soak=1 ;;
    --fuzz=*) fuzz_seconds=${arg#*=} ;;
    *) echo "usage: $0 [--sanitize] [--tsan] [--soak] [--fuzz=SECONDS]" >&2
       exit 2 ;;
  esac
done

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

# extra_passed/extra_failed: whole programs counted as one case each (the
# install check, the soak, each fuzz target).
extra_passed=0
extra_failed=0
count_step() {
  if "$@"; then
    extra_passed=$((extra_passed + 1))
  else
    extra_failed=$((extra_failed + 1))
  fi
}

build_and_test build
build_and_test build-portable -Dlinux_backends=false -Dbenchmarks=disabled

echo "=== install check"
count_step tests/install/check.sh build

set_up build-release --buildtype=release -Dtests=disabled \
    -Dbenchmarks=disabled &&
  meson compile -C build-release || failed_steps=$((failed_steps + 1))

echo "=== format check"
scripts/check-format.sh || failed_steps=$((failed_steps + 1))

if ((sanitize)); then
  build_and_test build-sanitize -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbenchmarks=disabled
fi

if ((tsan)); then
  # Only what runs threads of its own; the rest is single-threaded by
  # design (one engine, one thread) and runs above. setarch -R: TSan's
  # shadow memory needs the address layout of fewer random mmap bits.
  dir=build-tsan
  tsan_tests=(load_test serve_test relay_test engine_test cold_read_test)
  if set_up "$dir" -Db_sanitize=thread -Db_lundef=false \
      -Dbenchmarks=disabled; then
    rm -f "$dir"/*_test.xml
    build_dirs+=("$dir")
    if meson compile -C "$dir" "${tsan_tests[@]}" sluice-load sluice-serve \
        sluice-relay; then
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        meson test -C "$dir" --print-errorlogs --num-processes 1 \
        --wrapper="setarch $(uname -m) -R" "${tsan_tests[@]}" ||
        failed_steps=$((failed_steps + 1))
    else
      failed_steps=$((failed_steps + 1))
    fi
  else
    failed_steps=$((failed_steps + 1))
  fi
fi

if ((soak)); then
  echo "=== short soak"
  count_step scripts/soak.sh build
fi

if ((fuzz_seconds > 0)); then
  echo "=== fuzzing, ${fuzz_seconds} s per target"
  fuzz_log=$(mktemp)
  scripts/fuzz.sh --seconds="$fuzz_seconds" | tee "$fuzz_log"
  fuzz_status=${PIPESTATUS[0]}
  # scripts/fuzz.sh prints one line per target: "fuzz: NAME ok|FAILED...".
  extra_passed=$((extra_passed + $(grep -c '^fuzz: [^ ]* ok$' "$fuzz_log")))
  extra_failed=$((extra_failed + $(grep -c '^fuzz: [^ ]* FAILED' "$fuzz_log")))
  ((fuzz_status == 0)) || failed_steps=$((failed_steps + 1))
  rm -f "$fuzz_log"
fi

python3 scripts/gtest_totals.py --extra-passed "$extra_passed" \
  --extra-failed "$extra_failed" --failed-steps "$failed_steps" \
  "${build_dirs[@]}"
