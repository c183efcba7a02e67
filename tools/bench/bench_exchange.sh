#!/usr/bin/env bash
# bench_exchange.sh - masked exchange benchmark: reading a masked mirror's
# data through lake, against the raw files through warehouse and on tmpfs.
#
#   bench_exchange.sh [--rows N] [--partitions P] [--runs R] [--dir DIR] [--keep]
#
# A warehouse table of N rows (default 2,000,000) in P partitions (default
# 8), CSV with columns id, email, phone, region, amount, is mirrored into
# lake by a rule with `mask = email:hash, phone:redact` and `drop_columns =
# region`.  Measured in one run, each a `cat` of every data file of the
# table into /dev/null:
#   tmpfs       the same files copied to a tmpfs directory (the floor)
#   warehouse   the raw files through the mount (warehouse's tree)
#   lake first  the mirror's files through lake, first open: each file is
#               masked and materialized (HMAC-SHA256 per email)
#   lake cached the same again: served from the materialized files (best of R)
# and prints rows/s and ratios to tmpfs.  Also checks that no raw email
# appears in what lake served.  Needs /dev/fuse and fusermount3.
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

N=2000000
P=8
RUNS=3
BASE=${TMPDIR:-/tmp}
KEEP=0

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
num() { case $2 in '' | *[!0-9]*) echo "bench_exchange.sh: $1 needs a number" >&2; exit 2 ;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	--rows) N=${2:?--rows needs a number}; shift 2 ;;
	--partitions) P=${2:?--partitions needs a number}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_exchange.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
num --rows "$N"
num --partitions "$P"
num --runs "$RUNS"
[ "$P" -ge 1 ] && [ "$N" -ge "$P" ] && [ "$RUNS" -ge 1 ] || { echo "bench_exchange.sh: need rows >= partitions >= 1, runs >= 1" >&2; exit 2; }
bench_preflight
bench_workdir metafs-bench-exchange
TMPFS=$T/tmpfs
mkdir -p "$TMPFS"
# shellcheck disable=SC2317 # called at exit
bench_cleanup_more() { if mountpoint -q "$TMPFS"; then umount "$TMPFS"; fi; }

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }
rate() { awk -v n="$N" -v us="$1" 'BEGIN { printf "%.1f", n / (us / 1e6) / 1e6 }'; }   # M rows/s

# cat_all DIR... : cat every data file below DIRs to /dev/null; microseconds.
cat_all() {
	local t0 t1
	t0=$(now_us)
	find "$@" -name 'part-*.csv' -type f -print0 | xargs -0 cat >/dev/null || die "cat under $*"
	t1=$(now_us)
	echo $((t1 - t0))
}
best() { # CMD... : best of RUNS
	local b= i v
	for ((i = 0; i < RUNS; i++)); do
		v=$("$@") || exit 1
		if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
	done
	echo "$b"
}

H=$T/home
"$METAFS" init "$H" >/dev/null || die "metafs init"
bench_mount

W=$MNT/warehouse
L=$MNT/lake
mkdir -p "$W/bx/t" || die "mkdir warehouse.bx.t"
printf 'format csv\nheader false\ncolumn id bigint\ncolumn email string\ncolumn phone string\ncolumn region string\ncolumn amount double\npartition dt string\n' \
	>"$T/schema"
cp "$T/schema" "$W/bx/t/.schema" || die "write .schema"
echo "== writing $N rows in $P partitions" >&2
per=$(((N + P - 1) / P))
for ((p = 0; p < P; p++)); do
	d=$(printf 'dt=2026-01-%02d' $((p + 1)))
	mkdir "$W/bx/t/$d" || die "mkdir $d"
	awk -v s=$((p * per)) -v e=$(((p + 1) * per < N ? (p + 1) * per : N)) 'BEGIN {
		for (i = s; i < e; i++)
			printf "%d,user%d@example.com,+1-555-%07d,region-%d,%d.%02d\n", i, i, i, i % 17, i % 1000, i % 100
	}' >"$T/part.csv"
	cp "$T/part.csv" "$W/bx/t/$d/part-0.csv" || die "cp into $d"
done
BYTES=$(du -cb "$(cd "$H/data/warehouse/bx/t" && pwd)" | tail -n 1 | cut -f1)

cat >"$T/bx.rule" <<'EOF'
source       = warehouse.bx.*
target       = lake
mirror       = schema, properties, partitions
drop_columns = region
mask         = email:hash, phone:redact
EOF
cp "$T/bx.rule" "$MNT/sync/bx.rule" || die "define the rule"
for ((i = 0; i < 600; i++)); do
	[ "$(cat "$MNT/sync/bx/lag" 2>/dev/null)" = 0 ] && [ -d "$L/bx/t" ] && break
	sleep 0.1
done
[ -d "$L/bx/t" ] || die "the mirror did not appear: $(cat "$MNT/sync/bx/status")"

mount -t tmpfs -o size=$((BYTES * 2 + 16 * 1048576)) tmpfs "$TMPFS" 2>/dev/null ||
	die "mount tmpfs (needs root; or run with --dir on a tmpfs)"
cp -r "$H/data/warehouse/bx/t/." "$TMPFS/" || die "copy to tmpfs"

sync
T_TMPFS=$(best cat_all "$TMPFS")
T_WH=$(best cat_all "$W/bx/t")
T_LAKE1=$(cat_all "$L/bx/t")
T_LAKE=$(best cat_all "$L/bx/t")

# What lake served must hold no raw email.
find "$L/bx/t" -name 'part-*.csv' -type f -print0 | xargs -0 cat >"$T/lake.out"
if grep -q '@example\.com' "$T/lake.out"; then die "CHECK FAILED: a raw email was served through lake"; fi
LROWS=$(wc -l <"$T/lake.out")
[ "$LROWS" = "$N" ] || die "CHECK FAILED: lake served $LROWS rows, expected $N"

printf '\n%d rows, %d partitions, %.1f MB of CSV; rule: mask = email:hash, phone:redact; drop_columns = region\n\n' \
	"$N" "$P" "$(awk -v b="$BYTES" 'BEGIN { print b / 1e6 }')"
printf '%-34s %10s %12s %10s\n' "read of every data file" "seconds" "M rows/s" "vs tmpfs"
printf '%-34s %10s %12s %10s\n' "tmpfs (raw)" "$(secs "$T_TMPFS")" "$(rate "$T_TMPFS")" "1.00"
printf '%-34s %10s %12s %10s\n' "warehouse through the mount (raw)" "$(secs "$T_WH")" "$(rate "$T_WH")" "$(ratio "$T_WH" "$T_TMPFS")"
printf '%-34s %10s %12s %10s\n' "lake, first open (mask + store)" "$(secs "$T_LAKE1")" "$(rate "$T_LAKE1")" "$(ratio "$T_LAKE1" "$T_TMPFS")"
printf '%-34s %10s %12s %10s\n' "lake, materialized" "$(secs "$T_LAKE")" "$(rate "$T_LAKE")" "$(ratio "$T_LAKE" "$T_TMPFS")"
printf '\nlake first open / warehouse raw: %s\n' "$(ratio "$T_LAKE1" "$T_WH")"
