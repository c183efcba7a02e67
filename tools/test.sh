#!/usr/bin/env bash
# Set up and run every metafs test: cmocka units and integration tests that
# mount a real FUSE file system, first in a normal build, then again in a
# build with AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
# DuckDB (from the npm registry) is the independent reader the integration
# tests compare the mounted tree with; without it those checks say they
# skipped and the rest of each test runs.
bash tools/deps.sh --duckdb || echo "tools/test.sh: DuckDB could not be installed: DuckDB checks skip"

passed=0
failed=0
run_suite() {
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Dwerror=true "$@"
  fi
  ninja -C "$dir"
  local rc=0
  meson test -C "$dir" --print-errorlogs --num-processes 2 | tee "$dir/test-summary.txt" || rc=$?
  local ok fail
  ok=$(awk '/^Ok:/ {print $2}' "$dir/test-summary.txt")
  fail=$(awk '/^Fail:/ {print $2}' "$dir/test-summary.txt")
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0}))
  if [ "$rc" -ne 0 ]; then
    echo "tests: $passed passed, $failed failed"
    exit "$rc"
  fi
}

echo "== build and test (werror)"
run_suite build
# The sanitizer build runs every test but integration_tpch, the heaviest
# (22 TPC-H queries over ~5,000 partitions): it runs once, in the plain build
# (tests/meson.build registers it only when b_sanitize is none), and
# integration_listing_exact lists 250,000 partitions in the plain build
# and 100,000 under the sanitizers (MF_LISTING_PARTITIONS=1000000 for a
# million).
echo "== build and test under address and undefined sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
# The Parquet reader faces files from anywhere: a short libFuzzer run of its
# footer and page decoders (30 s; tools/fuzz.sh 3600 for a longer one).
echo "== fuzz the Parquet reader"
bash tools/fuzz.sh 30 || { failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; }
echo "tests: $passed passed, $failed failed"
