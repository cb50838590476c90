#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, -DHARK_FUZZ=ON) in
# FUZZ_BUILD and runs each in turn, then prints one line per target. Fails
# when clang is missing, when the build fails, or when any target finds a
# crash, a leak, a timeout or a broken check; the input that did it is kept
# in FUZZ_BUILD/artifacts/ until the next run of that target. `make fuzz` runs
# it for long, scripts/test briefly.
#
# Each target starts from its own corpus, FUZZ_BUILD/corpus/TARGET: the seeds
# of tests/fuzz/corpus copied in, plus whatever earlier runs found there, so
# longer runs build on each other. With FUZZ_FRESH=1 (scripts/test) it starts
# from the seeds alone, in FUZZ_BUILD/corpus-fresh/TARGET, emptied first, so a
# short run takes the same time however long the earlier ones were. Nothing is
# written into the source tree.
#
# Environment: FUZZ_TIME (seconds per target, 300), or FUZZ_TOTAL (seconds
# for all targets together, split evenly, at least 3 each; wins over
# FUZZ_TIME), FUZZ_FRESH (0), FUZZ_BUILD (build-fuzz), JOBS (2).
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${JOBS:-2}

if ! command -v clang >/dev/null; then
  echo "tests/fuzz/run.sh: clang not found; the fuzz targets need clang and libFuzzer (scripts/bootstrap installs them)" >&2
  exit 1
fi
CC=clang cmake -S . -B "$FUZZ_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARK_FUZZ=ON >/dev/null || exit 1
cmake --build "$FUZZ_BUILD" -j"$JOBS" --target fuzz >"$FUZZ_BUILD/fuzz-build.log" 2>&1 || {
  tail -n 40 "$FUZZ_BUILD/fuzz-build.log" >&2
  echo "tests/fuzz/run.sh: building the fuzz targets failed (log: $FUZZ_BUILD/fuzz-build.log)" >&2
  exit 1
}

targets=()
for src in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
if [ -n "${FUZZ_TOTAL:-}" ]; then
  secs=$((FUZZ_TOTAL / ${#targets[@]}))
  [ "$secs" -ge 3 ] || secs=3
else
  secs=${FUZZ_TIME:-300}
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$FUZZ_BUILD/artifacts"
failed=0
for t in "${targets[@]}"; do
  corpus="$FUZZ_BUILD/corpus/$t"
  if [ "${FUZZ_FRESH:-0}" = 1 ]; then
    corpus="$FUZZ_BUILD/corpus-fresh/$t"
    rm -rf "$corpus"
  fi
  log="$FUZZ_BUILD/$t.log"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/* "$corpus/"
  rm -f "$FUZZ_BUILD/artifacts/$t-"*
  if "$FUZZ_BUILD/fuzz/$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$FUZZ_BUILD/artifacts/$t-" "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    echo "$t: ok, ${runs:-?} inputs in $secs s, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files"
  else
    failed=1
    tail -n 40 "$log" >&2
    echo "$t: FAILED (log: $log; the input is in $FUZZ_BUILD/artifacts/; replay: $FUZZ_BUILD/fuzz/$t FILE)" >&2
  fi
done
exit "$failed"
