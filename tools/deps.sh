#!/usr/bin/env bash
# Install what metafs needs to build and test on Debian (bookworm or later).
# Safe to run again; does nothing when everything is present.
#   --duckdb      also DuckDB for the tests' and benchmarks' comparisons: node
#                 and npm, and @duckdb/node-api installed into
#                 tests/data/tpch/.node (which git ignores); only this option
#                 uses the npm registry.  --bench-tpch is the same.
set -euo pipefail
bench_tpch=0
for a in "$@"; do
  case $a in
    --duckdb|--bench-tpch) bench_tpch=1 ;;
    *) echo "usage: tools/deps.sh [--duckdb]" >&2; exit 2 ;;
  esac
done
packages=(
  build-essential meson ninja-build pkg-config
  libfuse3-dev fuse3 liblmdb-dev lmdb-utils libxxhash-dev xxhash
  libcmocka-dev libinih-dev libjansson-dev libcurl4-openssl-dev libxgboost-dev
  libssl-dev passwd libsnappy-dev libzstd-dev zlib1g-dev
  util-linux procps psmisc coreutils findutils python3 sqlite3 strace
  clang thrift-compiler python3-thrift
)
if [ "$bench_tpch" = 1 ]; then
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "metafs: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$bench_tpch" = 1 ]; then
  node_dir=$(cd "$(dirname "$0")/.." && pwd)/tests/data/tpch/.node
  if [ ! -d "$node_dir/node_modules/@duckdb/node-api" ]; then
    echo "metafs: installing @duckdb/node-api into $node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund @duckdb/node-api >/dev/null
  fi
fi
