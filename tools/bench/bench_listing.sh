#!/usr/bin/env bash
# bench_listing.sh - listing benchmark: a table with N partitions listed
# through a metafs mount versus the same directory tree on tmpfs.
#
#   bench_listing.sh [--partitions N] [--large] [--runs R] [--dir DIR] [--keep]
#
# Runs two sizes, N/10 and N (default N = 10000; --large: N = 1000000), and
# for each measures on both trees:
#   ls -f | wc -l          (readdir of the table)
#   find -type d | wc -l   (a walk)
#   stat of every partition by name (xargs stat)
# cold (drop_caches right before the run; metafs: also freshly mounted) and
# warm (one untimed run, then the median of R runs, on that tree alone before
# the other tree is touched), plus the daemon's peak resident memory (VmHWM)
# at each size.  Partitions are registered with `metafs repair` over a data-store
# tree made with plain mkdir, which is much faster than mkdir through FUSE.
# Needs root (tmpfs mount, drop_caches), /dev/fuse and fusermount3.
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

N=10000
RUNS=3
BASE=${TMPDIR:-/tmp}
KEEP=0

usage() {
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--partitions) N=${2:?--partitions needs a number}; shift 2 ;;
	--partitions=*) N=${1#*=}; shift ;;
	--large) N=1000000; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_listing.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case $N in '' | *[!0-9]*) echo "bench_listing.sh: --partitions needs a number" >&2; exit 2 ;; esac
[ "$N" -ge 10 ] || { echo "bench_listing.sh: need at least 10 partitions" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench_listing.sh: run as root (tmpfs mount, drop_caches)" >&2; exit 2; }
bench_preflight
bench_workdir metafs-bench
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

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

# the measured operations: each prints a count, checked against the expected one
# shellcheck disable=SC2012 # ls -f is what is measured
op_ls() { ls -f -- "$1" | wc -l; }
op_find() { find "$1" -type d | wc -l; }
op_stat() { (cd "$1" && xargs -d '\n' -a "$NAMES" stat -c %i -- | wc -l); }

# timeit OP DIR EXPECTED -> prints seconds; a wrong count is flagged in $BADFILE
BADFILE=$T/bad
timeit() {
	local t0 t1 count
	t0=$(now)
	count=$("$1" "$2")
	t1=$(now)
	if [ "$count" != "$3" ]; then
		echo "bench_listing.sh: $1 $2 counted $count, expected $3" >&2
		touch "$BADFILE"
	fi
	elapsed "$t0" "$t1"
}

# warm OP DIR EXPECTED -> one untimed run, then the median of RUNS
warm() {
	local i
	timeit "$@" >/dev/null
	for ((i = 0; i < RUNS; i++)); do timeit "$@"; done |
		median
}


vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---------------------------------------------------------------- run
mount -t tmpfs -o size=8g,nr_inodes=0 tmpfs "$TMPFS" || die "cannot mount tmpfs on $TMPFS"
TMPFS_MOUNTED=1

RESULTS=$T/results
: >"$RESULTS"
RSS=$T/rss
: >"$RSS"

SMALL=$((N / 10))
for n in "$SMALL" "$N"; do
	echo "== $n partitions" >&2
	home=$T/home-$n
	"$METAFS" init "$home" >/dev/null || die "metafs init $home"
	ds=$home/data/warehouse

	# table with a schema, through the mount
	bench_mount "$home"
	mkdir "$MNT/warehouse/bench" "$MNT/warehouse/bench/t" || die "mkdir db/table"
	printf 'column v string\npartition dt string\n' >"$T/schema"
	cp "$T/schema" "$MNT/warehouse/bench/t/.schema" || die "writing .schema"
	bench_umount

	# the partition directories: plain mkdir in the data store and on tmpfs
	NAMES=$T/names-$n
	seq -f 'dt=%07.0f' 0 $((n - 1)) >"$NAMES"
	mkdir -p "$ds/bench/t" "$TMPFS/n$n/t"
	t0=$(now)
	(cd "$ds/bench/t" && xargs -d '\n' -a "$NAMES" mkdir --) || die "mkdir in the data store"
	(cd "$TMPFS/n$n/t" && xargs -d '\n' -a "$NAMES" mkdir --) || die "mkdir on tmpfs"
	t1=$(now)
	echo "   mkdir of 2 x $n directories: $(elapsed "$t0" "$t1") s" >&2
	t0=$(now)
	"$METAFS" repair --home "$home" warehouse.bench.t >"$T/repair.out" 2>&1 || die "repair: $(cat "$T/repair.out")"
	t1=$(now)
	REPAIR_T=$(elapsed "$t0" "$t1")
	echo "   $(cat "$T/repair.out") in $REPAIR_T s" >&2

	MDIR=$MNT/warehouse/bench/t
	TDIR=$TMPFS/n$n/t
	hwm=0
	anon=0
	for op in ls find stat; do
		case $op in
		ls) label='ls -f | wc -l'; expect=$((n + 2)) ;;
		find) label='find -type d | wc -l'; expect=$((n + 1)) ;;
		stat) label='stat every partition'; expect=$n ;;
		esac
		# metafs, then tmpfs; each side: cold (drop_caches right before
		# it; metafs on a fresh mount, so the kernel has nothing of the
		# FUSE tree), then its warm runs right after its own untimed one,
		# so the other side's drop_caches never falls between them
		bench_mount "$home"
		drop_caches
		mc=$(timeit "op_$op" "$MDIR" "$expect")
		mw=$(warm "op_$op" "$MDIR" "$expect")
		h=$(vm "$DPID" VmHWM)
		r=$(vm "$DPID" VmRSS)
		# RssAnon is the daemon's own memory (heap, stacks); RssFile is
		# mostly LMDB's memory map, pages the kernel can drop at will.
		a=$(vm "$DPID" RssAnon)
		f=$(vm "$DPID" RssFile)
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		[ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
		bench_umount
		drop_caches
		tc=$(timeit "op_$op" "$TDIR" "$expect")
		tw=$(warm "op_$op" "$TDIR" "$expect")
		printf '%s\t%s\tcold\t%s\t%s\t%s\n' "$n" "$label" "$mc" "$tc" "$(ratio "$mc" "$tc")" >>"$RESULTS"
		printf '%s\t%s\twarm\t%s\t%s\t%s\n' "$n" "$label" "$mw" "$tw" "$(ratio "$mw" "$tw")" >>"$RESULTS"
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$hwm" "${r:-?}" "$anon" "${f:-?}" "$REPAIR_T" >>"$RSS"

	# free the space before the next size
	rm -rf --one-file-system "$TMPFS/n$n"
done

# ---------------------------------------------------------------- report
echo
printf 'metafs listing benchmark (%s, %s CPUs, kernel %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -r)"
printf 'warm = median of %d runs after an untimed one; drop_caches allowed: %s\n\n' "$RUNS" "$DROP_OK"
printf '%-10s %-22s %-5s %12s %12s %8s\n' partitions operation cache 'metafs (s)' 'tmpfs (s)' ratio
while IFS=$'\t' read -r n label c m t q; do
	printf '%-10s %-22s %-5s %12s %12s %8s\n' "$n" "$label" "$c" "$m" "$t" "$q"
done <"$RESULTS"
echo
printf '%-10s %14s %14s %16s %16s %12s\n' partitions 'VmHWM (kB)' 'VmRSS (kB)' 'max RssAnon (kB)' 'RssFile (kB)' 'repair (s)'
while IFS=$'\t' read -r n h r a f rt; do
	printf '%-10s %14s %14s %16s %16s %12s\n' "$n" "$h" "$r" "$a" "$f" "$rt"
done <"$RSS"
if [ -e "$BADFILE" ]; then
	echo
	echo "WARNING: some operation returned a wrong count (see messages above)"
	exit 1
fi
