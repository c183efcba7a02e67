#!/usr/bin/env bash
# bench_tpch.sh - TPC-H benchmark: the 22 queries as metafs jobs over the
# TPC-H tables loaded through the mount, against DuckDB's read_csv over the
# same CSV files with the same number of threads.
#
#   bench_tpch.sh [--sf SF] [--seed S] [--threads N] [--runs R]
#                 [--money-type decimal|double] [--queries "1 2 ..."]
#                 [--dir DIR] [--no-duckdb] [--no-small-memory] [--keep]
#
#   --sf SF          scale factor (default 1: about 1 GB of CSV, 6M lineitems)
#   --seed S         generator seed (default metafs-tpch's)
#   --threads N      threads of one metafs job ([jobs] threads) and of DuckDB
#                    (default: the number of online CPUs)
#   --runs R         each query's time is the best of R runs (default 1)
#   --money-type T   decimal (DECIMAL(15,2), default) or double money columns
#   --queries LIST   the queries to run (default 1 to 22)
#   --dir DIR        where the temporary home goes (default $TMPDIR or /tmp)
#   --no-duckdb      leave DuckDB out
#   --no-small-memory  leave out the second metafs run (memory_per_job = 256M)
#   --keep           keep the temporary directory
#
# Steps: metafs init a home; metafs-tpch writes the CSV files;
# tools/tpch_load.sh loads them through the mount (CREATE TABLE job, cp -r;
# its time is reported) and the generated copy is removed.  Then:
#   1. metafs, [jobs] threads = N and the default memory_per_job (1G): each
#      query is submitted as a job and timed from the copy into jobs/ to the
#      end of the read of jobs/NAME/wait;
#   2. metafs again, remounted with memory_per_job = 256M;
#   3. DuckDB (tests/data/tpch/duckdb_run.js, Node.js): one read_csv view per
#      table over the files in the data store (the same bytes metafs reads),
#      SET threads = N, each query timed inside node.
# Each metafs run's peak daemon RSS (VmHWM of /proc/PID/status, read before
# the unmount) is reported.  Every metafs result is compared with DuckDB's
# under tests/data/compare.py (as test_tpch.sh does): a query whose result
# differs is marked "differs", a failed job "failed" (with its error), and
# totals count only the queries that succeeded in both engines.  Ratios are
# metafs / DuckDB.
#
# Needs node and @duckdb/node-api in tests/data/tpch/.node: when missing,
# tools/deps.sh --bench-tpch installs them (npm registry).  Environment:
# METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs of the
# repository holding this script) and METAFS_TPCH (build/tools/metafs-tpch).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

SF=1
SEED=
THREADS=$(nproc)
RUNS=1
MONEY=decimal
QUERIES=$(seq 1 22)
BASE=${TMPDIR:-/tmp}
KEEP=0
DO_DUCKDB=1
DO_SMALL=1
GEN=${METAFS_TPCH:-$SRCDIR/build/tools/metafs-tpch}
TPCH_DIR=$SRCDIR/tests/data/tpch

usage() {
	sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--sf) SF=${2:?--sf needs a number}; shift 2 ;;
	--seed) SEED=${2:?--seed needs a number}; shift 2 ;;
	--threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--money-type) MONEY=${2:?--money-type needs decimal or double}; shift 2 ;;
	--queries) QUERIES=${2:?--queries needs a list}; shift 2 ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--no-duckdb) DO_DUCKDB=0; shift ;;
	--no-small-memory) DO_SMALL=0; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_tpch.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
for v in THREADS RUNS; do
	case ${!v} in '' | *[!0-9]*) echo "bench_tpch.sh: --${v,,} needs a positive number" >&2; exit 2 ;; esac
	[ "${!v}" -ge 1 ] || { echo "bench_tpch.sh: --${v,,} needs a positive number" >&2; exit 2; }
done
for n in $QUERIES; do
	[ -f "$TPCH_DIR/q$n.sql" ] || { echo "bench_tpch.sh: no query q$n.sql in $TPCH_DIR" >&2; exit 2; }
done
bench_preflight python3
[ -x "$GEN" ] || die "$GEN not found; build first (ninja -C build)"
if [ "$DO_DUCKDB" = 1 ] && [ ! -d "$TPCH_DIR/.node/node_modules/@duckdb/node-api" ]; then
	echo "== tools/deps.sh --bench-tpch (node, @duckdb/node-api)" >&2
	bash "$SRCDIR/tools/deps.sh" --bench-tpch >&2 || die "tools/deps.sh --bench-tpch failed"
fi

bench_workdir metafs-bench-tpch
H=$T/home
DS=$H/data/warehouse/tpch        # the database's directory in the data store
mkdir -p "$T/metafs" "$T/metafs256" "$T/duckdb" || exit 1

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b == "" || a < b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }

mount_metafs() {
	"$METAFSD" --home "$H" "$MNT" >"$T/metafsd.out" 2>&1 </dev/null || die "metafsd failed: $(cat "$T/metafsd.out")"
	local i
	for ((i = 0; i < 100; i++)); do
		mountpoint -q "$MNT" && return 0
		sleep 0.1
	done
	die "the mount did not appear"
}

# peak_rss: the largest VmHWM (kB) of the daemons serving $MNT
peak_rss() {
	local p m best=0
	for p in $(bench_daemon_pids); do
		m=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$m" ] && [ "$m" -gt "$best" ] && best=$m
	done
	echo "$best"
}

# set_jobs KEY VALUE: set KEY in the [jobs] section of metafs.ini (rewritten
# in place: the daemon wants its mode kept)
set_jobs() {
	local ini=$H/metafs.ini
	if awk -v k="$1" '/^\[/ { s = ($0 == "[jobs]") } s && $1 == k { f = 1 } END { exit !f }' "$ini"; then
		awk -v k="$1" -v v="$2" '/^\[/ { s = ($0 == "[jobs]") } s && $1 == k { print k " = " v; next } { print }' \
			"$ini" >"$T/ini.new" && cat "$T/ini.new" >"$ini"
	else
		awk -v k="$1" -v v="$2" '{ print } $0 == "[jobs]" { print k " = " v }' "$ini" >"$T/ini.new" && cat "$T/ini.new" >"$ini"
	fi
}

# ---------------------------------------------------------------- data
echo "== metafs home" >&2
"$METAFS" init "$H" >/dev/null || die "metafs init $H"
set_jobs threads "$THREADS"
echo "== metafs-tpch --sf $SF" >&2
t0=$(now)
"$GEN" --sf "$SF" ${SEED:+--seed "$SEED"} --money-type "$MONEY" --out "$T/data" || die "metafs-tpch failed"
t1=$(now)
GEN_T=$(elapsed "$t0" "$t1")
BYTES=$(du -sb "$T/data" | cut -f1)
cp "$T/data/schema.sql" "$T/schema.sql"
echo "   $(awk -v b="$BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }') in $GEN_T s" >&2

mount_metafs
echo "== tpch_load.sh (through the mount)" >&2
t0=$(now)
bash "$SRCDIR/tools/tpch_load.sh" --data "$T/data" "$MNT" >"$T/load.out" 2>&1 || die "tpch_load.sh failed: $(tail -n 20 "$T/load.out")"
t1=$(now)
LOAD_T=$(elapsed "$t0" "$t1")
LOAD_RSS=$(peak_rss)
echo "   $LOAD_T s" >&2
rm -rf "$T/data"
bench_umount

# ---------------------------------------------------------------- metafs
declare -A TIME STATE

# run_metafs LABEL OUTDIR: every query, best of RUNS; times in TIME[LABEL,n],
# states in STATE[LABEL,n] (ok | failed: ...), results in OUTDIR/qN.csv
run_metafs() {
	local label=$1 out=$2 n i t t0 t1 status best
	mount_metafs
	for n in $QUERIES; do
		best=''
		STATE[$label,$n]=ok
		for ((i = 1; i <= RUNS; i++)); do
			t0=$(now)
			cp "$TPCH_DIR/q$n.sql" "$MNT/jobs/${label}_q$n.sql" || die "job submission failed"
			status=$(cat "$MNT/jobs/${label}_q$n/wait")
			t1=$(now)
			if [ "$(printf '%s\n' "$status" | head -n 1)" != succeeded ]; then
				STATE[$label,$n]="failed: $(printf '%s\n' "$status" | sed -n 's/^error: //p' | head -n 1 | cut -c1-70)"
				break
			fi
			t=$(elapsed "$t0" "$t1")
			smaller "$t" "$best" && best=$t
		done
		TIME[$label,$n]=$best
		if [ "${STATE[$label,$n]}" = ok ]; then
			cat "$MNT/jobs/${label}_q$n/result" >"$out/q$n.csv" || die "cannot read the result of q$n"
		fi
		echo "   $label q$n: ${best:--} s ${STATE[$label,$n]}" >&2
	done
	RSS[$label]=$(peak_rss)
	bench_umount
}
declare -A RSS
echo "== metafs (threads = $THREADS, memory_per_job = 1G)" >&2
run_metafs metafs "$T/metafs"
LABELS=(metafs)
if [ "$DO_SMALL" = 1 ]; then
	echo "== metafs (threads = $THREADS, memory_per_job = 256M)" >&2
	set_jobs memory_per_job 256M
	run_metafs metafs256 "$T/metafs256"
	LABELS+=(metafs256)
fi

# ---------------------------------------------------------------- DuckDB
if [ "$DO_DUCKDB" = 1 ]; then
	echo "== DuckDB (threads = $THREADS)" >&2
	qfiles=()
	for n in $QUERIES; do qfiles+=("$TPCH_DIR/q$n.sql"); done
	for ((i = 1; i <= RUNS; i++)); do
		node "$TPCH_DIR/duckdb_run.js" --threads "$THREADS" --out-dir "$T/duckdb" \
			--schema "$T/schema.sql" "$DS" "${qfiles[@]}" 2>"$T/duckdb.err" ||
			die "duckdb failed: $(tail -n 20 "$T/duckdb.err")"
		while read -r _ q t; do
			n=${q#q}
			smaller "$t" "${TIME[duckdb,$n]:-}" && TIME[duckdb,$n]=$t
		done < <(grep '^time ' "$T/duckdb.err")
	done
	for n in $QUERIES; do
		STATE[duckdb,$n]=ok
		for l in "${LABELS[@]}"; do
			[ "${STATE[$l,$n]}" = ok ] || continue
			opts=(--doubles "$(awk '$2 == "DOUBLE" || $2 == "FLOAT" { printf "%s%s", s, $1; s = "," }' "$T/duckdb/q$n.types")")
			[ "$MONEY" = double ] && opts=()
			grep -qi 'order by' "$TPCH_DIR/q$n.sql" && opts+=(--ordered)
			python3 "$SRCDIR/tests/data/compare.py" "${opts[@]}" "$T/$l/q$n.csv" "$T/duckdb/q$n.csv" \
				>"$T/$l/q$n.cmp" 2>&1 || STATE[$l,$n]=differs
		done
	done
fi

# ---------------------------------------------------------------- report
echo
printf 'TPC-H SF %s, %s threads, money columns %s; %s\n' "$SF" "$THREADS" "$MONEY" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf 'data: %s bytes of CSV generated in %s s, loaded through the mount in %s s\n' "$BYTES" "$GEN_T" "$LOAD_T"
printf 'metafs %s; %s CPUs; best of %s run(s)\n' "$("$METAFS" --version 2>/dev/null | head -n 1)" "$(nproc)" "$RUNS"
[ "$DO_DUCKDB" = 1 ] && printf 'DuckDB %s (@duckdb/node-api %s), Node.js %s\n' \
	"$(awk '$1 == "duckdb" { print $2 }' "$TPCH_DIR/answers/params")" \
	"$(node -p "require('$TPCH_DIR/.node/node_modules/@duckdb/node-api/package.json').version" 2>/dev/null)" "$(node --version)"
echo
printf '%-5s %10s %10s %10s %8s %8s  %s\n' query metafs "mf 256M" duckdb "mf/dk" "256M/dk" state
declare -A TOT
NBOTH=0
for n in $QUERIES; do
	mf=${TIME[metafs,$n]:-}
	sm=${TIME[metafs256,$n]:-}
	dk=${TIME[duckdb,$n]:-}
	st="${STATE[metafs,$n]}"
	[ "$DO_SMALL" = 1 ] && [ "${STATE[metafs256,$n]}" != "$st" ] && st="$st; 256M: ${STATE[metafs256,$n]}"
	[[ ${STATE[metafs,$n]} == failed* ]] && mf=''
	[[ ${STATE[metafs256,$n]:-} == failed* ]] && sm=''
	printf '%-5s %10s %10s %10s %8s %8s  %s\n' "Q$n" "${mf:--}" "${sm:--}" "${dk:--}" \
		"$(ratio "$mf" "$dk")" "$(ratio "$sm" "$dk")" "$st"
	if [ "$DO_DUCKDB" = 0 ] && [ "${STATE[metafs,$n]}" = ok ]; then
		# Without DuckDB the totals are over the queries that succeeded.
		NBOTH=$((NBOTH + 1))
		TOT[mf]=$(awk -v a="${TOT[mf]:-0}" -v b="$mf" 'BEGIN { printf "%.3f", a + b }')
		[ "${STATE[metafs256,$n]:-}" = ok ] &&
			TOT[sm]=$(awk -v a="${TOT[sm]:-0}" -v b="$sm" 'BEGIN { printf "%.3f", a + b }')
	elif [ "${STATE[metafs,$n]}" = ok ] && [ -n "$dk" ]; then
		NBOTH=$((NBOTH + 1))
		TOT[mf]=$(awk -v a="${TOT[mf]:-0}" -v b="$mf" 'BEGIN { printf "%.3f", a + b }')
		TOT[dk]=$(awk -v a="${TOT[dk]:-0}" -v b="$dk" 'BEGIN { printf "%.3f", a + b }')
		if [ "${STATE[metafs256,$n]:-}" = ok ]; then
			TOT[sm]=$(awk -v a="${TOT[sm]:-0}" -v b="$sm" 'BEGIN { printf "%.3f", a + b }')
			TOT[dk256]=$(awk -v a="${TOT[dk256]:-0}" -v b="$dk" 'BEGIN { printf "%.3f", a + b }')
		fi
	fi
done
printf '%-5s %10s %10s %10s %8s %8s  %s\n' total "${TOT[mf]:--}" "${TOT[sm]:--}" "${TOT[dk]:--}" \
	"$(ratio "${TOT[mf]:-}" "${TOT[dk]:-}")" "$(ratio "${TOT[sm]:-}" "${TOT[dk256]:-}")" \
	"$(if [ "$DO_DUCKDB" = 1 ]; then
		echo "over the $NBOTH queries metafs (1G) ran right; the 256M ratio over those it ran right too"
	else
		echo "over the $NBOTH queries whose job succeeded (not compared: no DuckDB)"
	fi)"
echo
printf 'peak daemon RSS: load %s MB' "$(awk -v k="$LOAD_RSS" 'BEGIN { printf "%.0f", k / 1024 }')"
for l in "${LABELS[@]}"; do
	printf ', %s %s MB' "$l" "$(awk -v k="${RSS[$l]}" 'BEGIN { printf "%.0f", k / 1024 }')"
done
echo
exit 0
