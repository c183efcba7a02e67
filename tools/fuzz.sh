#!/usr/bin/env bash
# Fuzz the Parquet reader (footer, page headers, page decoders, codecs) with
# libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer.
#   tools/fuzz.sh [SECONDS]     default 30; tools/test.sh runs the default,
#                               a longer run is e.g. tools/fuzz.sh 3600
# Builds build-fuzz/ with clang and -Dfuzz=true, seeds the corpus
# (build-fuzz/corpus, kept between runs) with the Parquet files of
# tests/unit/parquet/, and fails when libFuzzer finds a crash, a sanitizer
# report, a leak or a timeout; the input that did it is left as
# build-fuzz/crash-* (replay: build-fuzz/format/fmt_parquet_fuzz FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
case $seconds in
  ''|*[!0-9]*) echo "usage: tools/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
if ! command -v clang >/dev/null; then
  echo "tools/fuzz.sh: clang is not installed (tools/deps.sh installs it)" >&2
  exit 1
fi
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false -Dwerror=true >/dev/null
fi
ninja -C build-fuzz format/fmt_parquet_fuzz
mkdir -p build-fuzz/corpus
cp -n tests/unit/parquet/*.parquet build-fuzz/corpus/
cd build-fuzz
./format/fmt_parquet_fuzz -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | tail -n 15
