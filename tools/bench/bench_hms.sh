#!/usr/bin/env bash
# bench_hms.sh - the Hive Metastore API ([hms] listen) against the mount:
# get_partition_names, get_partitions, get_partitions_by_filter (all, and a
# tenth) and get_partitions_by_names (12,253 names, SPARK-33628's case) on
# tables of 10,000 and 100,000 partitions, per call and per partition,
# against `ls -f` of the same table through the mount, in one run.
#
#   bench_hms.sh [--partitions N] [--runs R] [--dir DIR] [--keep]
#
# N is the large size (default 100000; the small one is N/10).  Each
# figure is the median of R runs (default 5) after one untimed run, so all
# are warm.  The calls are made by bench_hms_call (hms/'s own codec, the
# answer walked and counted, nothing else), over loopback.
set -u
# shellcheck source=bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

N=100000
RUNS=5
BASE=${TMPDIR:-/tmp}
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--partitions) N=${2:?--partitions needs a number}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench_hms.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $N in '' | *[!0-9]*) echo "bench_hms.sh: --partitions needs a number" >&2; exit 2 ;; esac
[ "$N" -ge 20000 ] || { echo "bench_hms.sh: need at least 20000 partitions" >&2; exit 2; }
CALLER=${BENCH_HMS_CALL:-$SRCDIR/build/tools/bench/bench_hms_call}
[ -x "$CALLER" ] || { echo "bench_hms.sh: $CALLER not found; build first" >&2; exit 2; }
bench_preflight python3
bench_workdir bench-hms
USER_NAME=$(id -un)

now() { date +%s.%N; }
per() { awk -v t="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.2f", t / n * 1e6; else print "-" }'; }

# median_ls DIR EXPECTED: the median seconds of RUNS `ls -f DIR | wc -l`
median_ls() {
	local i t0 t1 c
	ls -f -- "$1" >/dev/null
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		c=$(ls -f -- "$1" | wc -l)
		t1=$(now)
		[ "$c" = "$2" ] || die "ls -f $1 counted $c, expected $2"
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
	done | median
}

# call NAME ARG: "median count" of RUNS calls of NAME on bench.t (ARG:
# its filter or names file, or empty), after one untimed call
call() {
	local out args=("$1" bench t)
	[ -n "$2" ] && args+=("$2")
	out=$("$CALLER" "$PORT" "$USER_NAME" 1 "${args[@]}" 2>&1) || die "$1: $out"
	out=$("$CALLER" "$PORT" "$USER_NAME" "$RUNS" "${args[@]}" 2>&1) || die "$1: $out"
	awk -F'\t' '{ print $2, $4 }' <<<"$out"
}

printf '%-10s %-34s %9s %10s %12s %9s\n' partitions call answered 'median s' 'us/partition' 'x ls -f'
for n in $((N / 10)) "$N"; do
	home=$T/home-$n
	"$METAFS" init "$home" >/dev/null || die "metafs init $home"
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '\n[hms]\nlisten = 127.0.0.1:%s\nallow_daemon_user = true\n' "$PORT" >>"$home/metafs.ini"
	bench_mount "$home"
	mkdir "$MNT/warehouse/bench" "$MNT/warehouse/bench/t" || die "mkdir db/table"
	printf 'column v string\npartition p string\n' >"$MNT/warehouse/bench/t/.schema" || die ".schema"
	NAMES=$T/names-$n
	seq -f 'p=%07.0f' 0 $((n - 1)) >"$NAMES"
	ds=$home/data/warehouse/bench/t
	mkdir -p "$ds" && (cd "$ds" && xargs -d '\n' -a "$NAMES" mkdir --) || die "mkdir in the data store"
	"$METAFS" repair --home "$home" warehouse.bench.t >"$T/repair.out" 2>&1 || die "repair: $(cat "$T/repair.out")"
	TENTH=$(printf '%07d' $((n - n / 10)))
	BYN=$((n < 12253 ? n : 12253))
	shuf -n "$BYN" --random-source=<(yes) "$NAMES" >"$T/by-names-$n"

	LS=$(median_ls "$MNT/warehouse/bench/t" $((n + 2)))
	printf '%-10s %-34s %9s %10s %12s %9s\n' "$n" 'ls -f (mount)' "$n" "$LS" "$(per "$LS" "$n")" 1.00
	while IFS='|' read -r label name arg want; do
		read -r med got <<<"$(call "$name" "$arg")"
		[ "$got" = "$want" ] || die "$label answered $got, expected $want"
		printf '%-10s %-34s %9s %10s %12s %9s\n' "$n" "$label" "$got" "$med" "$(per "$med" "$got")" \
			"$(ratio "$med" "$LS")"
	done <<EOF_CALLS
get_partition_names|get_partition_names||$n
get_partitions|get_partitions||$n
get_partitions_by_filter (all)|get_partitions_by_filter|p >= "0"|$n
get_partitions_by_filter (a tenth)|get_partitions_by_filter|p >= "$TENTH"|$((n / 10))
get_partitions_by_names ($BYN)|get_partitions_by_names|$T/by-names-$n|$BYN
EOF_CALLS
	bench_umount
done
