#!/usr/bin/env bash
# bench_walk.sh - tree-walk benchmark: tables of N/100, N/10 and N empty
# partitions walked through a metafs mount versus the same directory tree on
# tmpfs, and a DuckDB glob over a partitioned table both ways.
#
#   bench_walk.sh [--partitions N] [--large] [--runs R] [--glob G]
#                 [--no-duckdb] [--dir DIR] [--keep]
#
#   --partitions N  largest table (default 100000); the others are N/100, N/10
#   --large         --partitions 1000000
#   --runs R        warm = median of R runs after one untimed run (default 3)
#   --glob G        partitions of the DuckDB glob table, one small CSV file
#                   each (default N/100)
#   --no-duckdb     leave the glob out
#   --dir DIR       where the temporary homes go (default $TMPDIR or /tmp)
#   --keep          keep the temporary directory
#
# Operations, each checked by its output's line count:
#   ls -f TABLE | wc -l, stat of every partition (xargs stat),
#   find TABLE -type d | wc -l, du -s TABLE,
#   SELECT count(*) FROM read_csv('TABLE/*/*.csv', hive_partitioning=true,
#     header=false) in DuckDB (timed inside node, so without its start-up).
# cold: drop_caches right before the run (metafs: also a fresh mount);
# warm: one untimed run, then the median of R runs, on that tree alone
# before the other tree is touched.  Partitions are made with plain mkdir in
# the data store and registered with `metafs repair`.  Needs root (tmpfs,
# drop_caches), /dev/fuse, fusermount3; DuckDB is @duckdb/node-api from
# tests/data/tpch/.node (tools/deps.sh --duckdb) or NODE_PATH.
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

N=100000
RUNS=3
GLOB=
DO_DUCKDB=1
BASE=${TMPDIR:-/tmp}
KEEP=0

usage() {
	sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--partitions) N=${2:?--partitions needs a number}; shift 2 ;;
	--partitions=*) N=${1#*=}; shift ;;
	--large) N=1000000; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--glob) GLOB=${2:?--glob needs a number}; shift 2 ;;
	--glob=*) GLOB=${1#*=}; shift ;;
	--no-duckdb) DO_DUCKDB=0; shift ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_walk.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
[ -n "$GLOB" ] || GLOB=$((N / 100))
for v in N RUNS GLOB; do
	case ${!v} in '' | *[!0-9]*) echo "bench_walk.sh: $v needs a positive number" >&2; exit 2 ;; esac
done
[ "$N" -ge 100 ] || { echo "bench_walk.sh: need at least 100 partitions" >&2; exit 2; }
[ "$RUNS" -ge 1 ] || { echo "bench_walk.sh: --runs needs at least 1" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench_walk.sh: run as root (tmpfs mount, drop_caches)" >&2; exit 2; }
bench_preflight xargs find du
if [ "$DO_DUCKDB" = 1 ] && [ "$GLOB" -ge 1 ]; then
	export NODE_PATH=$SRCDIR/tests/data/tpch/.node/node_modules${NODE_PATH:+:$NODE_PATH}
	if ! command -v node >/dev/null || ! node -e 'require("@duckdb/node-api")' 2>/dev/null; then
		echo "bench_walk.sh: DuckDB (@duckdb/node-api) not found: glob skipped (tools/deps.sh --duckdb installs it)" >&2
		DO_DUCKDB=0
	fi
else
	DO_DUCKDB=0
fi
bench_workdir metafs-walk
TMPFS=$T/tmpfs
mkdir -p "$TMPFS"
TMPFS_MOUNTED=0
# shellcheck disable=SC2317 # called at exit
bench_cleanup_more() { [ "$TMPFS_MOUNTED" = 1 ] && umount "$TMPFS" 2>/dev/null; }

# ---------------------------------------------------------------- helpers

DROP_OK=unknown
drop_caches() {
	sync
	if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then DROP_OK=yes; else DROP_OK=no; fi
}

# DuckDB: the count and the seconds of the query alone
GLOBJS='const { DuckDBInstance } = require("@duckdb/node-api");
(async () => {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const t0 = process.hrtime.bigint();
  const r = await c.runAndReadAll(process.argv[1]);
  const t1 = process.hrtime.bigint();
  process.stdout.write(String(r.getRows()[0][0]) + " " + (Number(t1 - t0) / 1e9).toFixed(6) + "\n");
})().catch(e => { process.stderr.write(String(e.message || e) + "\n"); process.exit(1); });'

# the measured operations: each prints a count (the glob also its own time)
# shellcheck disable=SC2012 # ls -f is what is measured
op_ls() { ls -f -- "$1" | wc -l; }
op_stat() { (cd "$1" && xargs -d '\n' -a "$NAMES" stat -c %i -- | wc -l); }
op_find() { find "$1" -type d | wc -l; }
op_du() { du -s -- "$1" | wc -l; }
op_glob() {
	node -e "$GLOBJS" "SELECT count(*) FROM read_csv('$1/*/*.csv', hive_partitioning=true, header=false)"
}

# timeit OP DIR EXPECTED -> prints seconds; a wrong count is flagged in $BADFILE
BADFILE=$T/bad
timeit() {
	local t0 t1 out count inner
	t0=$EPOCHREALTIME
	out=$("$1" "$2")
	t1=$EPOCHREALTIME
	read -r count inner <<<"$out"
	if [ "$count" != "$3" ]; then
		echo "bench_walk.sh: $1 $2 counted ${count:-nothing}, expected $3" >&2
		touch "$BADFILE"
	fi
	if [ -n "${inner:-}" ]; then
		awk -v s="$inner" 'BEGIN { printf "%.4f\n", s }'
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
	fi
}

# warm OP DIR EXPECTED -> one untimed run, then the median of RUNS
warm() {
	local i
	timeit "$@" >/dev/null
	for ((i = 0; i < RUNS; i++)); do timeit "$@"; done |
		median
}


# make_table N WITHFILES -> H, MDIR, TDIR, NAMES: a fresh home with the table
# warehouse.bench.t of N partitions (WITHFILES=1: one CSV file of one row in
# each), the same tree on tmpfs
make_table() {
	local n=$1 files=$2 t0 t1
	H=$T/home-$n-$files
	"$METAFS" init "$H" >/dev/null || die "metafs init $H"
	bench_mount "$H"
	mkdir "$MNT/warehouse/bench" "$MNT/warehouse/bench/t" || die "mkdir db/table"
	printf 'column v string\npartition dt string\n' >"$T/schema"
	cp "$T/schema" "$MNT/warehouse/bench/t/.schema" || die "writing .schema"
	bench_umount
	NAMES=$T/names-$n
	seq -f 'dt=%07.0f' 0 $((n - 1)) >"$NAMES"
	local ds=$H/data/warehouse/bench/t
	TDIR=$TMPFS/n$n-$files/t
	MDIR=$MNT/warehouse/bench/t
	mkdir -p "$ds" "$TDIR"
	t0=$EPOCHREALTIME
	(cd "$ds" && xargs -d '\n' -a "$NAMES" mkdir --) || die "mkdir in the data store"
	(cd "$TDIR" && xargs -d '\n' -a "$NAMES" mkdir --) || die "mkdir on tmpfs"
	if [ "$files" = 1 ]; then
		sed 's|$|/part-0.csv|' "$NAMES" >"$T/files-$n"
		# shellcheck disable=SC2016 # the inner script's own $f
		(cd "$ds" && xargs -d '\n' -a "$T/files-$n" -n 1000 sh -c 'for f; do echo x >"$f"; done' sh) || die "files in the data store"
		# shellcheck disable=SC2016
		(cd "$TDIR" && xargs -d '\n' -a "$T/files-$n" -n 1000 sh -c 'for f; do echo x >"$f"; done' sh) || die "files on tmpfs"
	fi
	t1=$EPOCHREALTIME
	echo "   the trees (2 x $n directories$([ "$files" = 1 ] && echo ', a file in each')): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" >&2
	t0=$EPOCHREALTIME
	"$METAFS" repair --home "$H" warehouse.bench.t >"$T/repair.out" 2>&1 || die "repair: $(cat "$T/repair.out")"
	t1=$EPOCHREALTIME
	echo "   $(cat "$T/repair.out") in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" >&2
}

# measure SIZE OP LABEL EXPECTED : metafs cold and warm, then tmpfs cold and
# warm; one result line
measure() {
	local n=$1 op=$2 label=$3 expect=$4 mc mw tc tw
	echo "   $label" >&2
	bench_mount "$H"
	drop_caches
	mc=$(timeit "op_$op" "$MDIR" "$expect")
	mw=$(warm "op_$op" "$MDIR" "$expect")
	bench_umount
	drop_caches
	tc=$(timeit "op_$op" "$TDIR" "$expect")
	tw=$(warm "op_$op" "$TDIR" "$expect")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$label" "$mc" "$tc" "$(ratio "$mc" "$tc")" \
		"$mw" "$tw" "$(ratio "$mw" "$tw")" >>"$RESULTS"
}

# ---------------------------------------------------------------- run
mount -t tmpfs -o size=8g,nr_inodes=0 tmpfs "$TMPFS" || die "cannot mount tmpfs on $TMPFS"
TMPFS_MOUNTED=1
RESULTS=$T/results
: >"$RESULTS"

for n in $((N / 100)) $((N / 10)) "$N"; do
	echo "== $n empty partitions" >&2
	make_table "$n" 0
	measure "$n" ls 'ls -f | wc -l' $((n + 2))
	measure "$n" stat 'stat every partition' "$n"
	measure "$n" find 'find -type d | wc -l' $((n + 1))
	measure "$n" du 'du -s' 1
	rm -rf --one-file-system "$TMPFS/n$n-0" "$H"
done
if [ "$DO_DUCKDB" = 1 ]; then
	echo "== $GLOB partitions of one CSV file each (DuckDB glob)" >&2
	make_table "$GLOB" 1
	measure "$GLOB" glob 'DuckDB read_csv glob' "$GLOB"
fi

# ---------------------------------------------------------------- report
echo
printf 'metafs walk benchmark (%s, commit %s, %s CPUs, kernel %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"$(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null || echo '?')" "$(nproc)" "$(uname -r)"
printf 'cold = drop_caches (metafs: and a fresh mount) before one run; warm = median of %d runs after an untimed one\n' "$RUNS"
printf 'drop_caches allowed: %s; seconds; ratio = metafs / tmpfs\n\n' "$DROP_OK"
printf '%-10s %-22s %10s %10s %7s %10s %10s %7s\n' partitions operation 'cold mfs' 'cold tmpfs' ratio 'warm mfs' 'warm tmpfs' ratio
while IFS=$'\t' read -r n label mc tc rc mw tw rw; do
	printf '%-10s %-22s %10s %10s %7s %10s %10s %7s\n' "$n" "$label" "$mc" "$tc" "$rc" "$mw" "$tw" "$rw"
done <"$RESULTS"
[ "$DO_DUCKDB" = 1 ] || echo "(DuckDB glob skipped)"
if [ -e "$BADFILE" ]; then
	echo
	echo "WARNING: some operation returned a wrong count (see messages above)"
	exit 1
fi
