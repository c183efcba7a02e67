#!/usr/bin/env bash
# make_answers.sh - regenerate answers/ (qN.csv, qN.types, params) with DuckDB.
#
#   tests/data/tpch/make_answers.sh [SF [SEED]]      (default 0.01 9, the checked-in answers)
#
# Needs build/tools/metafs-tpch (ninja -C build) and node with
# @duckdb/node-api in tests/data/tpch/.node (installed there with npm when
# missing: this step needs the network; the test itself never does).
set -eu
set -o pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
SF=${1:-0.01}
SEED=${2:-9}
GEN=${METAFS_TPCH:-$SRC/build/tools/metafs-tpch}
if [ ! -d "$HERE/.node/node_modules/@duckdb/node-api" ]; then
	npm install --prefix "$HERE/.node" --no-audit --no-fund @duckdb/node-api >&2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/tpch-answers.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$GEN" --sf "$SF" --seed "$SEED" --out "$T/data"
rm -f "$HERE"/answers/q*.csv "$HERE"/answers/q*.types
mkdir -p "$HERE/answers"
node "$HERE/duckdb_run.js" --out-dir "$HERE/answers" "$T/data" "$HERE"/q*.sql
SHA=$(cd "$T/data" && find . -type f -print | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
VER=$(cd "$HERE" && node -e "
const {DuckDBInstance}=require('./.node/node_modules/@duckdb/node-api');
(async()=>{const c=await (await DuckDBInstance.create(':memory:')).connect();
console.log((await c.runAndReadAll('select version()')).getRows()[0][0]);})()")
printf 'sf %s\nseed %s\nsha256 %s\nduckdb %s\n' "$SF" "$SEED" "$SHA" "$VER" >"$HERE/answers/params"
cat "$HERE/answers/params"
