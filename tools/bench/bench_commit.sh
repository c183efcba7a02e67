#!/usr/bin/env bash
# bench_commit.sh - commit benchmark: what a file written through the mount
# costs (staging, fsync, intent, rename, commit) against the same `cp` into a
# plain directory on tmpfs and on the disk that holds the home.
#
#   bench_commit.sh [--files N] [--large L] [--large-mib M] [--runs R]
#                   [--dir DIR] [--keep] [--strace]
#
# Two sets, each copied with one `cp` into a new partition of a CSV table
# through a metafs mount, into a new directory on tmpfs and into a new
# directory next to the home (on the disk of --dir):
#   small: N files of 1 KiB (default 2000): files/s
#   large: L files of M MiB (default 20 x 8 MiB): MB/s
# R runs of each (default 3; best and median reported).  After every copy
# the file count (listing and data store), the bytes (cksum of the files
# read back) and, for metafs, the table's file count are checked; a wrong
# result makes the script exit 1.  --strace: one more small copy with
# `strace -c -f -w` attached to the daemon (a syscall time summary; the copy
# under strace is slower and is not counted).
# Needs root (tmpfs mount), /dev/fuse and fusermount3.
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

N=2000
L=20
LMIB=8
RUNS=3
BASE=${TMPDIR:-/tmp}
KEEP=0
STRACE=0

usage() {
	sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
}

num() { case $2 in '' | *[!0-9]*) echo "bench_commit.sh: $1 needs a number" >&2; exit 2 ;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	--files) N=${2:?--files needs a number}; shift 2 ;;
	--files=*) N=${1#*=}; shift ;;
	--large) L=${2:?--large needs a number}; shift 2 ;;
	--large=*) L=${1#*=}; shift ;;
	--large-mib) LMIB=${2:?--large-mib needs a number}; shift 2 ;;
	--large-mib=*) LMIB=${1#*=}; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--strace) STRACE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_commit.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
num --files "$N"
num --large "$L"
num --large-mib "$LMIB"
num --runs "$RUNS"
if [ "$N" -lt 1 ] || [ "$RUNS" -lt 1 ]; then echo "bench_commit.sh: --files and --runs must be at least 1" >&2; exit 2; fi
[ "$(id -u)" = 0 ] || { echo "bench_commit.sh: run as root (tmpfs mount)" >&2; exit 2; }
tools=(cksum)
[ "$STRACE" = 1 ] && tools+=(strace)
bench_preflight "${tools[@]}"
bench_workdir metafs-bench-commit
TMPFS=$T/tmpfs
mkdir -p "$TMPFS"
TMPFS_MOUNTED=0
# shellcheck disable=SC2317 # called at exit
bench_cleanup_more() { [ "$TMPFS_MOUNTED" = 1 ] && umount "$TMPFS" 2>/dev/null; }

# ---------------------------------------------------------------- helpers

BADFILE=$T/bad
bad() {
	echo "bench_commit.sh: $*" >&2
	touch "$BADFILE"
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
# rate COUNT SECONDS
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "-" }'; }
# the least of the numbers on stdin (median: bench_lib.sh)
best() { sort -g | head -n 1; }

# the sets: CSV rows "id,payload" of 64 bytes (column id bigint, column v string)
SRC=$T/tmpfs/src
make_sets() {
	mkdir -p "$SRC/small" "$SRC/large"
	# 16 rows of 64 bytes a file: 1 KiB; the first field differs per file
	awk -v n="$N" -v d="$SRC/small" 'BEGIN {
		for (f = 0; f < n; f++) {
			p = sprintf("%s/part-%06d.csv", d, f)
			for (i = 0; i < 16; i++)
				printf "%06d,%s\n", f * 16 + i, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123" > p
			close(p)
		}
	}' || die "writing the small set"
	# M MiB a file, rows of 64 bytes
	awk -v n="$L" -v rows=$((LMIB * 1024 * 1024 / 64)) -v d="$SRC/large" 'BEGIN {
		for (f = 0; f < n; f++) {
			p = sprintf("%s/big-%04d.csv", d, f)
			for (i = 0; i < rows; i++)
				printf "%010d,%s\n", f * rows + i, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" > p
			close(p)
		}
	}' || die "writing the large set"
	SUM_small=$(cat "$SRC"/small/*.csv | cksum)
	BYTES_small=$(cat "$SRC"/small/*.csv | wc -c)
	if [ "$L" -gt 0 ]; then
		SUM_large=$(cat "$SRC"/large/*.csv | cksum)
		BYTES_large=$(cat "$SRC"/large/*.csv | wc -c)
	fi
}

# count_files DIR: regular entries (the names are part-*.csv or big-*.csv)
count_files() { find "$1" -maxdepth 1 -type f -name '*.csv' | wc -l; }

# copy SET DEST -> prints seconds.  DEST is new; sync before, so that dirty
# pages of an earlier copy are not written back during this one.
copy() {
	local t0 t1
	sync
	t0=$EPOCHREALTIME
	cp -- "$SRC/$1"/*.csv "$2"/ || bad "cp $1 into $2 failed"
	t1=$EPOCHREALTIME
	elapsed "$t0" "$t1"
}

# check SET DEST [DATASTOREDIR]: count and bytes read back
check() {
	local set=$1 dest=$2 want c s sum
	if [ "$set" = small ]; then want=$N; sum=$SUM_small; else want=$L; sum=$SUM_large; fi
	c=$(count_files "$dest")
	[ "$c" = "$want" ] || bad "$dest holds $c files, expected $want"
	if [ $# -ge 3 ]; then
		c=$(count_files "$3")
		[ "$c" = "$want" ] || bad "data store $3 holds $c files, expected $want"
	fi
	s=$(cat "$dest"/*.csv | cksum)
	[ "$s" = "$sum" ] || bad "$dest: bytes read back differ (cksum $s, expected $sum)"
}

# ---------------------------------------------------------------- set-up
mount -t tmpfs -o size=$((2 * L * LMIB + 256))m,nr_inodes=0 tmpfs "$TMPFS" || die "cannot mount tmpfs on $TMPFS"
TMPFS_MOUNTED=1
echo "== writing the sets: $N x 1 KiB, $L x $LMIB MiB (on tmpfs)" >&2
make_sets
DISK=$T/disk
mkdir -p "$DISK"

home=$T/home
"$METAFS" init "$home" >/dev/null || die "metafs init $home"
bench_mount "$home"
TDIR=$MNT/warehouse/bench/t
DSDIR=$home/data/warehouse/bench/t
mkdir "$MNT/warehouse/bench" "$TDIR" || die "mkdir db/table"
printf 'format csv\ncolumn id bigint\ncolumn v string\npartition dt string\n' >"$T/schema"
cp "$T/schema" "$TDIR/.schema" || die "writing .schema"
[ -d "$DSDIR" ] || die "no data-store directory $DSDIR"

RESULTS=$T/results
: >"$RESULTS"
TOTAL=0     # files committed through the mount so far

sets=(small)
[ "$L" -gt 0 ] && sets+=(large)
for set in "${sets[@]}"; do
	if [ "$set" = small ]; then count=$N; else count=$L; fi
	for ((r = 0; r < RUNS; r++)); do
		part="dt=$set$r"
		mkdir "$TDIR/$part" "$TMPFS/$set$r" "$DISK/$set$r" || die "mkdir $part"
		tm=$(copy "$set" "$TDIR/$part")
		tt=$(copy "$set" "$TMPFS/$set$r")
		td=$(copy "$set" "$DISK/$set$r")
		check "$set" "$TDIR/$part" "$DSDIR/$part"
		check "$set" "$TMPFS/$set$r"
		check "$set" "$DISK/$set$r"
		TOTAL=$((TOTAL + count))
		printf '%s\t%s\t%s\t%s\t%s\n' "$set" "$r" "$tm" "$tt" "$td" >>"$RESULTS"
		echo "   $set run $((r + 1)): metafs $tm s, tmpfs $tt s, disk $td s" >&2
		# free the space (the large set's copies would fill the tmpfs)
		rm -rf --one-file-system "${TMPFS:?}/$set$r" "${DISK:?}/$set$r"
	done
done

# the table's own count: every committed file is recorded once
tf=$(awk '$1 == "files:" { print $2 }' "$TDIR/.table" 2>/dev/null)
if [ -z "$tf" ]; then
	echo "   (no files: line in .table; table count not checked)" >&2
elif [ "$tf" != "$TOTAL" ]; then
	bad ".table says files: $tf, expected $TOTAL"
fi
left=$(find "$home/data/.metafs-staging" -mindepth 1 2>/dev/null | wc -l)
[ "$left" = 0 ] || bad "$left entries left in the staging area"

STRACE_OUT=$T/strace.out
if [ "$STRACE" = 1 ]; then
	mkdir "$TDIR/dt=strace" || die "mkdir dt=strace"
	echo "== one more small copy with strace -c -f -w on the daemon (pid $DPID)" >&2
	strace -c -f -w -o "$STRACE_OUT" -p "$DPID" &
	SPID=$!
	sleep 1
	ts=$(copy small "$TDIR/dt=strace")
	kill -INT "$SPID"
	wait "$SPID"
	check small "$TDIR/dt=strace" "$DSDIR/dt=strace"
fi
bench_umount

# ---------------------------------------------------------------- report
MB=1000000
echo
printf 'metafs commit benchmark (%s, %s CPUs, kernel %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -r)"
printf 'METAFSD=%s\n' "$METAFSD"
printf 'disk reference: %s (%s)\n' "$DISK" "$(df -T "$T" | awk 'NR == 2 { print $1 ", " $2 }')"
printf 'small: %d files of 1 KiB (%s bytes); large: %d files of %d MiB (%s bytes); %d runs, one cp each\n\n' \
	"$N" "$BYTES_small" "$L" "$LMIB" "${BYTES_large:-0}" "$RUNS"
printf '%-6s %-6s %10s %10s %10s %9s %9s %12s %12s %12s\n' set stat 'metafs(s)' 'tmpfs(s)' 'disk(s)' 'm/tmpfs' 'm/disk' 'metafs/s' 'tmpfs/s' 'disk/s'
for set in "${sets[@]}"; do
	if [ "$set" = small ]; then count=$N; unit='files/s'; else count=$(awk -v b="$BYTES_large" -v m=$MB 'BEGIN { printf "%.3f", b / m }'); unit='MB/s'; fi
	for stat in best median; do
		vals=()
		for col in 3 4 5; do
			v=$(awk -F '\t' -v s="$set" -v c="$col" '$1 == s { print $c }' "$RESULTS" | "$stat")
			vals+=("$v")
		done
		printf '%-6s %-6s %10s %10s %10s %9s %9s %12s %12s %12s\n' "$set" "$stat" "${vals[0]}" "${vals[1]}" "${vals[2]}" \
			"$(ratio "${vals[0]}" "${vals[1]}")" "$(ratio "${vals[0]}" "${vals[2]}")" \
			"$(rate "$count" "${vals[0]}")" "$(rate "$count" "${vals[1]}")" "$(rate "$count" "${vals[2]}")"
	done
	echo "       ($unit)"
done
echo "per run (set, run, metafs, tmpfs, disk):"
sed 's/^/  /' "$RESULTS"
if [ "$STRACE" = 1 ]; then
	echo
	echo "under strace: $N files in $ts s ($(rate "$N" "$ts") files/s); the daemon's syscalls (wall time):"
	head -n 20 "$STRACE_OUT"
	echo "per file copied (calls/file, total ms/file, us/call):"
	awk -v n="$N" '$NF ~ /^(fsync|fdatasync|pwrite64|pwritev|writev|renameat|renameat2|rename|msync|openat|openat2|unlinkat|write)$/ {
		printf "  %-10s %6.2f %8.3f %8.0f\n", $NF, $4 / n, $2 * 1000 / n, $3
	}' "$STRACE_OUT"
fi
if [ -e "$BADFILE" ]; then
	echo
	echo "WARNING: a copy was wrong (see messages above)"
	exit 1
fi
