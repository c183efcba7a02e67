#!/usr/bin/env bash
# bench_tpch.sh - TPC-H benchmark: the 22 queries as metafs jobs over the
# TPC-H tables loaded through the mount, against DuckDB's read_csv over the
# same CSV files with the same number of threads; with --format parquet, the
# same queries over Parquet copies of the tables against DuckDB's
# read_parquet over the same Parquet files, and the commit of a large Parquet
# file against a CSV file of the same rows.
#
#   bench_tpch.sh [--sf SF] [--seed S] [--threads N] [--runs R]
#                 [--money-type decimal|double] [--queries "1 2 ..."]
#                 [--format csv|parquet] [--commit-mb M] [--commit-runs R]
#                 [--dir DIR] [--no-duckdb] [--no-small-memory] [--no-commit]
#                 [--keep]
#
#   --sf SF          scale factor (default 1: about 1 GB of CSV, 6M lineitems)
#   --seed S         generator seed (default metafs-tpch's)
#   --threads N      threads of one metafs job ([jobs] threads) and of DuckDB
#                    (default: the number of online CPUs)
#   --runs R         each query's time is the best of R runs (default 1)
#   --money-type T   decimal (DECIMAL(15,2), default) or double money columns
#   --queries LIST   the queries to run (default 1 to 22)
#   --format F       csv (default) or parquet (see below)
#   --commit-mb M    parquet: size of the Parquet file of the commit
#                    benchmark (default 128)
#   --commit-runs R  parquet: each copy of the commit benchmark is timed R
#                    times (default 3; best and median reported)
#   --dir DIR        where the temporary home goes (default $TMPDIR or /tmp)
#   --no-duckdb      leave DuckDB out
#   --no-small-memory  leave out the second metafs run (memory_per_job = 256M;
#                    csv only: the parquet mode never makes it)
#   --no-commit      parquet: leave out the commit benchmark
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
# --format parquet: after the load, one job per table converts it through
# metafs, CREATE TABLE tpch_pq.T [PARTITIONED BY (key)] STORED AS PARQUET AS
# SELECT * FROM tpch.T (the partitioning of the CSV table; snappy, the
# default), timed; the bytes of each table in the data store are reported
# for both formats (du).  Then metafs runs the queries on the CSV tables and
# on the Parquet ones (the query text with tpch. replaced by tpch_pq.), and
# DuckDB runs them with one read_parquet view per table over the Parquet
# files in the data store; both metafs results are compared with DuckDB's.
# Ratios: metafs Parquet / DuckDB Parquet and metafs Parquet / metafs CSV.
# Then the commit benchmark: metafs gen writes, on /dev/shm, one Parquet file
# of about M MB and a CSV file of the same rows (the same arguments); each is
# copied (cp) R times into a new partition of a table of its format through
# the mount, and into a new directory on /dev/shm and next to the home (the
# references, in the same run); the commit hashes every byte of either
# (XXH3-128 checksum), splits a CSV file's records to count its rows and
# takes a Parquet file's row count and column statistics from its footer.
# Also timed: the commit alone, a rename through the mount of
# a hidden file already written into the partition to its data name (mv).
# After each copy the table's row count is checked.
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
FORMAT=csv
COMMIT_MB=128
COMMIT_RUNS=3
DO_COMMIT=1
GEN=${METAFS_TPCH:-$SRCDIR/build/tools/metafs-tpch}
TPCH_DIR=$SRCDIR/tests/data/tpch

usage() {
	sed -n '2,74p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--sf) SF=${2:?--sf needs a number}; shift 2 ;;
	--seed) SEED=${2:?--seed needs a number}; shift 2 ;;
	--threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--money-type) MONEY=${2:?--money-type needs decimal or double}; shift 2 ;;
	--queries) QUERIES=${2:?--queries needs a list}; shift 2 ;;
	--format) FORMAT=${2:?--format needs csv or parquet}; shift 2 ;;
	--commit-mb) COMMIT_MB=${2:?--commit-mb needs a number}; shift 2 ;;
	--commit-runs) COMMIT_RUNS=${2:?--commit-runs needs a number}; shift 2 ;;
	--no-commit) DO_COMMIT=0; shift ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--no-duckdb) DO_DUCKDB=0; shift ;;
	--no-small-memory) DO_SMALL=0; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_tpch.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case $FORMAT in
csv) DO_COMMIT=0 ;;
parquet) DO_SMALL=0 ;;
*) echo "bench_tpch.sh: --format needs csv or parquet" >&2; exit 2 ;;
esac
for v in THREADS RUNS COMMIT_MB COMMIT_RUNS; do
	o=${v,,}
	case ${!v} in '' | *[!0-9]*) echo "bench_tpch.sh: --${o//_/-} needs a positive number" >&2; exit 2 ;; esac
	[ "${!v}" -ge 1 ] || { echo "bench_tpch.sh: --${o//_/-} needs a positive number" >&2; exit 2; }
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
DSPQ=$H/data/warehouse/tpch_pq   # the Parquet copies' (--format parquet)
TABLES="region nation supplier customer part partsupp orders lineitem"
mkdir -p "$T/metafs" "$T/metafs256" "$T/mfpq" "$T/duckdb" "$T/qpq" || exit 1

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b == "" || a < b) }'; }

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

bench_mount
echo "== tpch_load.sh (through the mount)" >&2
t0=$(now)
bash "$SRCDIR/tools/tpch_load.sh" --data "$T/data" "$MNT" >"$T/load.out" 2>&1 || die "tpch_load.sh failed: $(tail -n 20 "$T/load.out")"
t1=$(now)
LOAD_T=$(elapsed "$t0" "$t1")
LOAD_RSS=$(peak_rss)
echo "   $LOAD_T s" >&2
rm -rf "$T/data"

# submit NAME FILE: run FILE as job NAME; its status when it failed (exit 1)
submit() {
	local status
	cp "$2" "$MNT/jobs/$1.sql" || die "cannot submit job $1"
	status=$(cat "$MNT/jobs/$1/wait") || die "cannot read jobs/$1/wait"
	[ "$(printf '%s\n' "$status" | head -n 1)" = succeeded ] && return 0
	printf '%s\n' "$status"
	return 1
}

# du_table DIR: apparent bytes and allocated bytes of a table's directory
du_table() { printf '%s %s' "$(du -sb "$1" | cut -f1)" "$(($(du -sk "$1" | cut -f1) * 1024))"; }

declare -A CONV_T DU
if [ "$FORMAT" = parquet ]; then
	echo "== CREATE TABLE tpch_pq.T STORED AS PARQUET AS SELECT * FROM tpch.T" >&2
	printf 'CREATE DATABASE tpch_pq;\n' >"$T/pq_db.sql"
	submit pq_db "$T/pq_db.sql" >"$T/pq_db.err" || die "CREATE DATABASE tpch_pq: $(cat "$T/pq_db.err")"
	for t in $TABLES; do
		# the partition key of the CSV table, from schema.sql
		key=$(sed -n "s/.*CREATE TABLE tpch\.$t (.*) PARTITIONED BY (\([a-z_]*\) .*/\1/p" "$T/schema.sql")
		printf 'CREATE TABLE tpch_pq.%s %sSTORED AS PARQUET AS SELECT * FROM tpch.%s;\n' \
			"$t" "${key:+PARTITIONED BY ($key) }" "$t" >"$T/pq_$t.sql"
		t0=$(now)
		submit "pq_$t" "$T/pq_$t.sql" >"$T/pq_$t.err" || die "converting $t: $(cat "$T/pq_$t.err")"
		t1=$(now)
		CONV_T[$t]=$(elapsed "$t0" "$t1")
		want=$(sed -n 's/^rows: //p' "$MNT/warehouse/tpch/$t/.table")
		got=$(sed -n 's/^rows: //p' "$MNT/warehouse/tpch_pq/$t/.table")
		[ "$got" = "$want" ] || die "tpch_pq.$t holds $got rows, tpch.$t $want"
		DU[csv,$t]=$(du_table "$DS/$t")
		DU[pq,$t]=$(du_table "$DSPQ/$t")
		echo "   $t: ${CONV_T[$t]} s, $got rows" >&2
	done
	for n in $QUERIES; do
		sed 's/\btpch\./tpch_pq./g' "$TPCH_DIR/q$n.sql" >"$T/qpq/q$n.sql"
	done
fi
bench_umount

# ---------------------------------------------------------------- metafs
declare -A TIME STATE

# run_metafs LABEL OUTDIR [QUERYDIR]: every query (QUERYDIR/qN.sql, default
# the CSV tables' in tests/data/tpch), best of RUNS; times in TIME[LABEL,n],
# states in STATE[LABEL,n] (ok | failed: ...), results in OUTDIR/qN.csv
run_metafs() {
	local label=$1 out=$2 qdir=${3:-$TPCH_DIR} n i t t0 t1 status best
	bench_mount
	for n in $QUERIES; do
		best=''
		STATE[$label,$n]=ok
		for ((i = 1; i <= RUNS; i++)); do
			t0=$(now)
			cp "$qdir/q$n.sql" "$MNT/jobs/${label}_q$n.sql" || die "job submission failed"
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
if [ "$FORMAT" = parquet ]; then
	echo "== metafs on Parquet (threads = $THREADS, memory_per_job = 1G)" >&2
	run_metafs mfpq "$T/mfpq" "$T/qpq"
	LABELS+=(mfpq)
fi

# ---------------------------------------------------------------- DuckDB
if [ "$DO_DUCKDB" = 1 ]; then
	echo "== DuckDB (threads = $THREADS, $FORMAT)" >&2
	dkdir=$DS
	[ "$FORMAT" = parquet ] && dkdir=$DSPQ
	qfiles=()
	for n in $QUERIES; do qfiles+=("$TPCH_DIR/q$n.sql"); done
	for ((i = 1; i <= RUNS; i++)); do
		node "$TPCH_DIR/duckdb_run.js" --threads "$THREADS" --out-dir "$T/duckdb" --format "$FORMAT" \
			--schema "$T/schema.sql" "$dkdir" "${qfiles[@]}" 2>"$T/duckdb.err" ||
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
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

# report_csv: metafs (1G, 256M) against DuckDB on the CSV files
report_csv() {
	echo
	printf '%-5s %10s %10s %10s %8s %8s  %s\n' query metafs "mf 256M" duckdb "mf/dk" "256M/dk" state
	local mf sm dk st n
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
}

# report_parquet: metafs on Parquet against DuckDB on the same Parquet files
# and against metafs on CSV; then the bytes of each format
report_parquet() {
	local n pq cv dk st t c ca p pa tc tp ac ap
	declare -A TOT
	NBOTH=0
	echo
	printf '%-5s %10s %10s %10s %10s %12s  %s\n' query mf-pq mf-csv dk-pq "mf-pq/dk-pq" "mf-pq/mf-csv" state
	for n in $QUERIES; do
		pq=${TIME[mfpq,$n]:-}
		cv=${TIME[metafs,$n]:-}
		dk=${TIME[duckdb,$n]:-}
		st="parquet ${STATE[mfpq,$n]}; csv ${STATE[metafs,$n]}"
		[[ ${STATE[mfpq,$n]} == failed* ]] && pq=''
		[[ ${STATE[metafs,$n]} == failed* ]] && cv=''
		printf '%-5s %10s %10s %10s %10s %12s  %s\n' "Q$n" "${pq:--}" "${cv:--}" "${dk:--}" \
			"$(ratio "$pq" "$dk")" "$(ratio "$pq" "$cv")" "$st"
		if [ "${STATE[mfpq,$n]}" = ok ] && [ "${STATE[metafs,$n]}" = ok ] && { [ "$DO_DUCKDB" = 0 ] || [ -n "$dk" ]; }; then
			NBOTH=$((NBOTH + 1))
			TOT[pq]=$(add "${TOT[pq]:-0}" "$pq")
			TOT[cv]=$(add "${TOT[cv]:-0}" "$cv")
			[ -n "$dk" ] && TOT[dk]=$(add "${TOT[dk]:-0}" "$dk")
		fi
	done
	printf '%-5s %10s %10s %10s %10s %12s  %s\n' total "${TOT[pq]:--}" "${TOT[cv]:--}" "${TOT[dk]:--}" \
		"$(ratio "${TOT[pq]:-}" "${TOT[dk]:-}")" "$(ratio "${TOT[pq]:-}" "${TOT[cv]:-}")" \
		"over the $NBOTH queries metafs ran right on both formats$([ "$DO_DUCKDB" = 0 ] && echo ' (not compared: no DuckDB)')"
	echo
	echo "bytes in the data store (du -sb: apparent; du -sk: allocated), CSV against Parquet (snappy), conversion job time"
	printf '%-9s %14s %14s %6s %14s %14s %6s %9s\n' table csv parquet pq/csv "csv alloc" "pq alloc" pq/csv "convert"
	tc=0 tp=0 ac=0 ap=0
	for t in $TABLES; do
		read -r c ca <<<"${DU[csv,$t]}"
		read -r p pa <<<"${DU[pq,$t]}"
		tc=$((tc + c)) tp=$((tp + p)) ac=$((ac + ca)) ap=$((ap + pa))
		printf '%-9s %14s %14s %6s %14s %14s %6s %9s\n' "$t" "$c" "$p" "$(ratio "$p" "$c")" "$ca" "$pa" "$(ratio "$pa" "$ca")" "${CONV_T[$t]}"
	done
	printf '%-9s %14s %14s %6s %14s %14s %6s %9s\n' total "$tc" "$tp" "$(ratio "$tp" "$tc")" "$ac" "$ap" "$(ratio "$ap" "$ac")" \
		"$(t=0; for x in "${CONV_T[@]}"; do t=$(add "$t" "$x"); done; echo "$t")"
}

if [ "$FORMAT" = parquet ]; then report_parquet; else report_csv; fi
echo
printf 'peak daemon RSS: load%s %s MB' "$([ "$FORMAT" = parquet ] && echo ' and conversion')" "$(awk -v k="$LOAD_RSS" 'BEGIN { printf "%.0f", k / 1024 }')"
for l in "${LABELS[@]}"; do
	printf ', %s %s MB' "$l" "$(awk -v k="${RSS[$l]}" 'BEGIN { printf "%.0f", k / 1024 }')"
done
echo

# ---------------------------------------------------------------- commit
# (--format parquet) a Parquet file of about COMMIT_MB MB and a CSV file of
# the same rows, copied into a partition of a table of their format through
# the mount, against the same cp into /dev/shm and next to the home
[ "$DO_COMMIT" = 1 ] || exit 0
best_of() { sort -g | head -n 1; }
SHM=/dev/shm
[ -d "$SHM" ] && [ -w "$SHM" ] || SHM=$T
SRC=$(mktemp -d "$SHM/metafs-bench-commit.XXXXXX") || die "mktemp in $SHM"
# shellcheck disable=SC2317 # called at exit
bench_cleanup_more() { rm -rf "$SRC"; }
echo "== commit: metafs gen of a ${COMMIT_MB} MB Parquet file and a CSV file of the same rows (in $SHM)" >&2
"$METAFS" gen --rows 100000 --days 1 --format parquet "$SRC/cal" >/dev/null || die "metafs gen failed"
calb=$(find "$SRC/cal" -name '*.parquet' -exec cat {} + | wc -c)
CROWS=$(awk -v m="$COMMIT_MB" -v b="$calb" 'BEGIN { printf "%d", m * 1e6 / (b / 100000) }')
rm -rf "$SRC/cal"
declare -A CF CB
for f in parquet csv; do
	"$METAFS" gen --rows "$CROWS" --days 1 --format "$f" "$SRC/$f" >/dev/null || die "metafs gen --format $f failed"
	CF[$f]=$(find "$SRC/$f" -name "*.$f")
	[ "$(printf '%s\n' "${CF[$f]}" | wc -l)" = 1 ] || die "metafs gen wrote more than one $f file"
	CB[$f]=$(wc -c <"${CF[$f]}")
done
mkdir -p "$T/disk" || exit 1
bench_mount
mkdir "$MNT/warehouse/bench" || die "mkdir database bench"
for f in parquet csv; do
	mkdir "$MNT/warehouse/bench/calls_$f" || die "mkdir table calls_$f"
	"$METAFS" gen --print-schema --format "$f" >"$MNT/warehouse/bench/calls_$f/.schema" || die "writing .schema of calls_$f"
done

# copy SRC DEST: seconds of the cp (sync first, so that dirty pages of an
# earlier copy are not written back during this one)
copy() {
	local t0 t1
	sync
	t0=$(now)
	cp -- "$1" "$2" || die "cp $1 $2 failed"
	t1=$(now)
	elapsed "$t0" "$t1"
}
# part_rows DIR: the rows .partition counts
part_rows() { sed -n 's/^rows: //p' "$1/.partition"; }

: >"$T/commit.txt"
for ((r = 1; r <= COMMIT_RUNS; r++)); do
	for f in parquet csv; do
		src=${CF[$f]}
		tdir=$MNT/warehouse/bench/calls_$f
		d=$(printf '2030-01-%02d' "$r")
		mkdir "$tdir/dt=$d" "$SRC/ref" "$T/disk/ref" || die "mkdir for run $r"
		tm=$(copy "$src" "$tdir/dt=$d/part-00000.$f")
		ts=$(copy "$src" "$SRC/ref/part-00000.$f")
		td=$(copy "$src" "$T/disk/ref/part-00000.$f")
		rows=$(part_rows "$tdir/dt=$d")
		[ "$rows" = "$CROWS" ] || die "calls_$f/dt=$d counts $rows rows after the cp, expected $CROWS"
		cmp -s "$src" "$tdir/dt=$d/part-00000.$f" || die "calls_$f/dt=$d/part-00000.$f reads back different bytes"
		rm -rf "$SRC/ref" "$T/disk/ref"
		# the commit alone: a hidden file written into the partition, then
		# renamed to a data name through the mount
		d=$(printf '2031-01-%02d' "$r")
		mkdir "$tdir/dt=$d" || die "mkdir dt=$d"
		cp -- "$src" "$tdir/dt=$d/.part-00000.$f" || die "cp to a hidden file failed"
		sync
		t0=$(now)
		mv -- "$tdir/dt=$d/.part-00000.$f" "$tdir/dt=$d/part-00000.$f" || die "the rename of the hidden $f file failed"
		t1=$(now)
		tr=$(elapsed "$t0" "$t1")
		rows=$(part_rows "$tdir/dt=$d")
		[ "$rows" = "$CROWS" ] || die "calls_$f/dt=$d counts $rows rows after the rename, expected $CROWS"
		printf '%s %s %s %s %s %s\n' "$f" "$r" "$tm" "$ts" "$td" "$tr" >>"$T/commit.txt"
		echo "   $f run $r: cp mount $tm s, /dev/shm $ts s, disk $td s; rename $tr s" >&2
	done
done
grep -q '^stats:' "$MNT/warehouse/bench/calls_parquet/dt=2030-01-01/.partition" ||
	die "the Parquet file's commit recorded no column statistics"
bench_umount

# col FORMAT FIELD: best and median of a column of commit.txt
col() { awk -v f="$1" -v k="$2" '$1 == f { print $k }' "$T/commit.txt"; }
echo
printf 'commit: %s rows of metafs gen (one partition), %s CPUs; %s run(s), best (median)\n' "$CROWS" "$(nproc)" "$COMMIT_RUNS"
printf 'references: cp to %s (tmpfs) and to a directory next to the home (%s)\n' "$SHM" "$(df -T "$T" | awk 'NR == 2 { print $2 }')"
echo
printf '%-8s %11s %16s %16s %16s %8s %8s %16s %9s\n' format bytes "cp mount" "cp tmpfs" "cp disk" "mnt/tmpfs" "mnt/disk" "rename commit" "MB/s"
declare -A CB_BEST CR_BEST
for f in parquet csv; do
	bm=$(col "$f" 3 | best_of) bs=$(col "$f" 4 | best_of) bd=$(col "$f" 5 | best_of) br=$(col "$f" 6 | best_of)
	CB_BEST[$f]=$bm CR_BEST[$f]=$br
	printf '%-8s %11s %16s %16s %16s %8s %8s %16s %9s\n' "$f" "${CB[$f]}" \
		"$bm ($(col "$f" 3 | median))" "$bs ($(col "$f" 4 | median))" "$bd ($(col "$f" 5 | median))" \
		"$(ratio "$bm" "$bs")" "$(ratio "$bm" "$bd")" "$br ($(col "$f" 6 | median))" \
		"$(awk -v b="${CB[$f]}" -v s="$bm" 'BEGIN { if (s > 0) printf "%.1f", b / 1e6 / s; else print "-" }')"
done
printf 'parquet/csv: bytes %s, cp through the mount %s, rename commit %s\n' "$(ratio "${CB[parquet]}" "${CB[csv]}")" \
	"$(ratio "${CB_BEST[parquet]}" "${CB_BEST[csv]}")" "$(ratio "${CR_BEST[parquet]}" "${CR_BEST[csv]}")"
exit 0
