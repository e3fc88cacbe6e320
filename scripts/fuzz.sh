#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, -Dfuzz=true) with clang, strict,
# and runs each for a fixed time on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/) in a temporary directory: nothing is written
# into the tree. Ends with a table of executions per target and exits
# non-zero if any target crashed, broke an invariant, leaked, timed out or
# ran out of memory; its input and log stay in the temporary directory,
# whose path is printed.
#
#   scripts/fuzz.sh [--seconds=N] [--jobs=N] [--build-dir=DIR] [TARGET...]
#
#   --seconds=N      time per target (default 60)
#   --jobs=N         build jobs (default: ninja's)
#   --build-dir=DIR  default build-fuzz
#   TARGET           e.g. http_request (default: every target)
#
# To replay a crash: build-fuzz/tests/fuzz/<target>_fuzzer <input file>.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

seconds=60
jobs=()
build_dir=build-fuzz
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#*=} ;;
    --jobs=*) jobs=(-j "${arg#*=}") ;;
    --build-dir=*) build_dir=${arg#*=} ;;
    -h | --help)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "fuzz.sh: unknown flag $arg" >&2
      exit 2
      ;;
    *) targets+=("$arg") ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: --seconds wants a positive number of seconds" >&2
  exit 2
fi

# Longest input per target: a little over what the parser is ever given.
declare -A max_len=(
  [http_request]=9000   # sluice-serve bounds a head to 8 KiB
  [request_target]=2048
  [byte_range]=256
  [frame]=256           # a frame is 64 bytes
  [byte_size]=256
  [transfer_spec]=512   # 22 bytes of choices, then header and trailer
  [scheduler]=1004      # 4 bytes of options, then 200 operations of 5
)
if ((${#targets[@]} == 0)); then
  targets=(http_request request_target byte_range frame byte_size
    transfer_spec scheduler)
fi
for target in "${targets[@]}"; do
  if [[ -z "${max_len[$target]:-}" ]]; then
    echo "fuzz.sh: no fuzz target $target (known: ${!max_len[*]})" >&2
    exit 2
  fi
done

started=$SECONDS
# Everything sluice needs, plus clang and its sanitizer and libFuzzer
# runtimes (Debian ships those apart from clang, per LLVM version).
scripts/install-deps.sh clang || exit 1
clang_major=$(clang -dumpversion | cut -d. -f1)
scripts/install-deps.sh "libclang-rt-${clang_major}-dev" || exit 1

echo "=== $build_dir: configure (clang, -Dfuzz=true, strict)"
options=(-Dfuzz=true -Dtests=disabled -Dbenchmarks=disabled -Dwerror=true)
if [[ -f "$build_dir/meson-private/coredata.dat" ]]; then
  meson setup --reconfigure "$build_dir" "${options[@]}" >/dev/null || exit 1
else
  CC=clang CXX=clang++ meson setup "$build_dir" "${options[@]}" >/dev/null ||
    exit 1
fi
echo "=== $build_dir: build"
# Only the fuzz targets and what they link: the rest of the project is
# built and tested by scripts/test.sh.
meson compile -C "$build_dir" "${jobs[@]}" "${targets[@]/%/_fuzzer}" ||
  exit 1
build_seconds=$((SECONDS - started))

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-fuzz.XXXXXX")
# No core files from a crashing target; the input is what matters.
ulimit -c 0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# final_stat NAME: the figure libFuzzer's -print_final_stats=1 gives in $log.
final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }

failed=0
rows=()
for target in "${targets[@]}"; do
  corpus="$work/$target/corpus"
  mkdir -p "$corpus" "$work/$target/artifacts"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  log="$work/$target/log"
  echo "=== $target: ${seconds}s, -max_len=${max_len[$target]}"
  # -timeout: one input running 10 s is a hang, not a slow input.
  "$build_dir/tests/fuzz/${target}_fuzzer" "$corpus" \
    -max_total_time="$seconds" -max_len="${max_len[$target]}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$target/artifacts/" >"$log" 2>&1
  rc=$?
  execs=$(final_stat number_of_executed_units)
  rate=$(final_stat average_exec_per_sec)
  added=$(final_stat new_units_added)
  rss=$(final_stat peak_rss_mb)
  result=ok
  if ((rc != 0)); then
    failed=$((failed + 1))
    result="FAILED (exit $rc)"
    why=$(grep -m1 -oE \
      'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+' "$log" |
      sed 's/^ERROR: //')
    [[ -n "$why" ]] && result="FAILED: $why"
    grep -q 'invariant violated' "$log" && result="FAILED: invariant"
    grep -q 'runtime error:' "$log" && result="FAILED: undefined behaviour"
    echo "--- $target: last lines of $log"
    tail -n 30 "$log"
    ls "$work/$target/artifacts/"
  fi
  # One line per target for scripts/test.sh to count.
  echo "fuzz: $target $result"
  rows+=("$(printf '%-15s %-30s %14s %10s %9s %8s' "$target" "$result" \
    "${execs:--}" "${rate:--}" "${added:--}" "${rss:--}")")
done

echo
echo "=== fuzzing summary: ${seconds}s per target; build ${build_seconds}s, total $((SECONDS - started))s"
printf '%-15s %-30s %14s %10s %9s %8s\n' target result executions "exec/s" \
  "new units" "RSS MB"
printf '%s\n' "${rows[@]}"
if ((failed > 0)); then
  echo "$failed target(s) failed; inputs and logs in $work"
  echo "replay: $build_dir/tests/fuzz/<target>_fuzzer $work/<target>/artifacts/<file>"
  exit 1
fi
rm -rf "$work"
echo "all ${#targets[@]} target(s) passed"
