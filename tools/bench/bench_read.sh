#!/usr/bin/env bash
# bench_read.sh - data-read benchmark: committed data files read through a
# metafs mount versus the same files read directly from the data store.
#
#   bench_read.sh [--size MB] [--files K] [--runs R] [--dir DIR] [--keep]
#
#   --size MB   the big file's size in MiB (default 1024)
#   --files K   number of 4 KiB files (default 10000)
#   --runs R    warm = median of R runs after one untimed run (default 3)
#   --dir DIR   where the temporary home goes (default $TMPDIR or /tmp); it
#               holds the files twice (a source copy and the data store)
#   --keep      keep the temporary directory
#
# The files (CSV, 64-byte lines) are written to a scratch directory and put
# into the unpartitioned tables warehouse.bench.big and warehouse.bench.small
# with cp through the mount, so they are committed data files.  Then, on the
# mount and on the data store (the daemon's own copy under data/):
#   cat BIG > /dev/null                      (MB/s)
#   4 parallel cat BIG > /dev/null           (MB/s, 4 x size over the time)
#   open+read+close of every small file      (xargs cat > /dev/null; files/s)
# cold: drop_caches right before the run (metafs: also a fresh mount);
# warm: one untimed run, then the median of R runs, on that side alone.
# Ratio = metafs rate / direct rate.  Needs root (drop_caches), /dev/fuse,
# fusermount3.
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

SIZE=1024
FILES=10000
RUNS=3
BASE=${TMPDIR:-/tmp}
KEEP=0

usage() {
	sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--size) SIZE=${2:?--size needs a number}; shift 2 ;;
	--size=*) SIZE=${1#*=}; shift ;;
	--files) FILES=${2:?--files needs a number}; shift 2 ;;
	--files=*) FILES=${1#*=}; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_read.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
for v in SIZE FILES RUNS; do
	case ${!v} in '' | *[!0-9]*) echo "bench_read.sh: --${v,,} needs a positive number" >&2; exit 2 ;; esac
	[ "${!v}" -ge 1 ] || { echo "bench_read.sh: --${v,,} needs a positive number" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench_read.sh: run as root (drop_caches)" >&2; exit 2; }
bench_preflight xargs
bench_workdir metafs-read

# ---------------------------------------------------------------- helpers

DROP_OK=unknown
drop_caches() {
	sync
	if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then DROP_OK=yes; else DROP_OK=no; fi
}

# the measured operations (run in the table's directory)
op_cat() { cat big.csv >/dev/null; }
op_cat4() {
	local i
	for i in 1 2 3 4; do cat big.csv >/dev/null & done
	wait
}
op_small() { xargs -d '\n' -a "$NAMES" cat -- >/dev/null; }

# timeit OP DIR -> seconds
timeit() {
	local t0 t1
	t0=$EPOCHREALTIME
	(cd "$2" && "$1") || { echo "bench_read.sh: $1 in $2 failed" >&2; touch "$T/bad"; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# warm OP DIR -> one untimed run, then the median of RUNS
warm() {
	local i
	timeit "$@" >/dev/null
	for ((i = 0; i < RUNS; i++)); do timeit "$@"; done |
		median
}

# rate AMOUNT SECONDS
rate() { awk -v a="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", a / s; else print "-" }'; }

# measure OP LABEL TABLE AMOUNT UNIT : metafs cold and warm, then the data
# store cold and warm; one result line of rates
measure() {
	local op=$1 label=$2 table=$3 amount=$4 unit=$5 mc mw dc dw
	echo "   $label" >&2
	bench_mount "$H"
	drop_caches
	mc=$(timeit "op_$op" "$MNT/warehouse/bench/$table")
	mw=$(warm "op_$op" "$MNT/warehouse/bench/$table")
	bench_umount
	drop_caches
	dc=$(timeit "op_$op" "$H/data/warehouse/bench/$table")
	dw=$(warm "op_$op" "$H/data/warehouse/bench/$table")
	mc=$(rate "$amount" "$mc")
	dc=$(rate "$amount" "$dc")
	mw=$(rate "$amount" "$mw")
	dw=$(rate "$amount" "$dw")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$unit" "$mc" "$dc" "$(ratio "$mc" "$dc")" \
		"$mw" "$dw" "$(ratio "$mw" "$dw")" >>"$RESULTS"
}

# ---------------------------------------------------------------- set-up
H=$T/home
"$METAFS" init "$H" >/dev/null || die "metafs init $H"
SRC=$T/src
mkdir -p "$SRC/small" || exit 1
line=$(printf '%063d' 0)
head -c $((SIZE * 1048576)) < <(yes "$line") >"$SRC/big.csv" || die "writing the big file"
NAMES=$T/names
seq -f 'f%05.0f.csv' 0 $((FILES - 1)) >"$NAMES"
head -c 4096 < <(yes "$line") >"$T/one.csv" || exit 1
# shellcheck disable=SC2016 # the inner script's own $f
(cd "$SRC/small" && xargs -d '\n' -a "$NAMES" -n 1000 sh -c 'for f; do cp "$0" "$f"; done' "$T/one.csv") ||
	die "writing the small files"

bench_mount "$H"
mkdir "$MNT/warehouse/bench" "$MNT/warehouse/bench/big" "$MNT/warehouse/bench/small" || die "mkdir db/tables"
printf 'column v string\n' >"$T/schema"
cp "$T/schema" "$MNT/warehouse/bench/big/.schema" || die "writing .schema"
cp "$T/schema" "$MNT/warehouse/bench/small/.schema" || die "writing .schema"
t0=$EPOCHREALTIME
cp "$SRC/big.csv" "$MNT/warehouse/bench/big/" || die "cp of the big file through the mount"
t1=$EPOCHREALTIME
echo "   cp of $SIZE MiB through the mount: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" >&2
t0=$EPOCHREALTIME
(cd "$SRC/small" && xargs -d '\n' -a "$NAMES" cp -t "$MNT/warehouse/bench/small/" --) || die "cp of the small files through the mount"
t1=$EPOCHREALTIME
echo "   cp of $FILES files of 4 KiB through the mount: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" >&2
bench_umount
rm -rf "$SRC"
[ "$(stat -c %s "$H/data/warehouse/bench/big/big.csv")" = $((SIZE * 1048576)) ] || die "the big file is not in the data store"
[ "$(find "$H/data/warehouse/bench/small" -name '*.csv' | wc -l)" = "$FILES" ] || die "the small files are not in the data store"

# ---------------------------------------------------------------- run
RESULTS=$T/results
: >"$RESULTS"
measure cat "cat $SIZE MiB" big "$SIZE" MiB/s
measure cat4 "4 x cat $SIZE MiB" big $((4 * SIZE)) MiB/s
measure small "open+read+close 4 KiB" small "$FILES" files/s

# ---------------------------------------------------------------- report
echo
printf 'metafs read benchmark (%s, commit %s, %s CPUs, kernel %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"$(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null || echo '?')" "$(nproc)" "$(uname -r)"
printf 'cold = drop_caches (metafs: and a fresh mount) before one run; warm = median of %d runs after an untimed one\n' "$RUNS"
printf 'drop_caches allowed: %s; %d files of 4 KiB; ratio = metafs rate / direct rate\n\n' "$DROP_OK" "$FILES"
printf '%-24s %-8s %11s %11s %7s %11s %11s %7s\n' read unit 'cold mfs' 'cold direct' ratio 'warm mfs' 'warm direct' ratio
while IFS=$'\t' read -r label unit mc dc rc mw dw rw; do
	printf '%-24s %-8s %11s %11s %7s %11s %11s %7s\n' "$label" "$unit" "$mc" "$dc" "$rc" "$mw" "$dw" "$rw"
done <"$RESULTS"
if [ -e "$T/bad" ]; then
	echo
	echo "WARNING: some read failed (see messages above)"
	exit 1
fi
