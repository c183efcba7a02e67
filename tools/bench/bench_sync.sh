#!/usr/bin/env bash
# bench_sync.sh - sync benchmark: a rule that mirrors a warehouse table with
# many partitions into lake, through a metafs mount.
#
#   bench_sync.sh [--partitions N] [--large] [--full F] [--changes K] [--runs R]
#                 [--dir DIR] [--keep]
#
# Measures, in one run:
#   (a) full sync: a table of F partitions (default 100000), from writing the
#       rule to sync/NAME.rule until the rule's lag is 0 (lag polled every
#       10 ms), and the duration_ms the rule records for its runs;
#   (b) incremental apply: on a table of N partitions (default 100000, the
#       same table as (a); --large: N = 1000000, a second home), after its
#       full sync, K times (default 5): mkdir of one new partition through
#       the mount, then the time until lag is 0 again (lag polled without
#       sleeping) and the change is visible in lake, and the rule's own
#       duration_ms for that run;
#   (c) refresh: `cat .refresh > /dev/null` of the F-partition mirror, first
#       read and best of R (default 3); its line count is checked (F + 1).
# Partitions are registered with `metafs repair` over a data-store tree made
# with plain mkdir (as bench_listing.sh does).  Needs /dev/fuse and
# fusermount3; root is not needed.
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

N=100000        # (b): partitions of the table that gets one change
F=100000        # (a), (c): partitions of the full sync and the .refresh
K=5             # (b): number of single changes timed
RUNS=3          # (c): best of
BASE=${TMPDIR:-/tmp}
KEEP=0
SYNC_TIMEOUT=600   # seconds: give up waiting for lag 0

usage() {
	sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
}

num() {
	case $2 in '' | *[!0-9]*) echo "bench_sync.sh: $1 needs a number" >&2; exit 2 ;; esac
}

while [ $# -gt 0 ]; do
	case $1 in
	--partitions) N=${2:?--partitions needs a number}; shift 2 ;;
	--partitions=*) N=${1#*=}; shift ;;
	--large) N=1000000; shift ;;
	--full) F=${2:?--full needs a number}; shift 2 ;;
	--changes) K=${2:?--changes needs a number}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_sync.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
num --partitions "$N"
num --full "$F"
num --changes "$K"
num --runs "$RUNS"
[ "$N" -ge 10 ] && [ "$F" -ge 10 ] || { echo "bench_sync.sh: need at least 10 partitions" >&2; exit 2; }
[ "$K" -ge 1 ] && [ "$RUNS" -ge 1 ] || { echo "bench_sync.sh: --changes and --runs must be at least 1" >&2; exit 2; }
bench_preflight
bench_workdir metafs-bench-sync
BADFILE=$T/bad

# ---------------------------------------------------------------- helpers

bad() {
	echo "bench_sync.sh: CHECK FAILED: $*" >&2
	echo "$*" >>"$BADFILE"
}

# microseconds since the epoch, without a fork
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }   # us -> ms
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# duration_ms=... of a run line
dur_of() { sed -n 's/.* duration_ms=\([0-9.]*\).*/\1/p' <<<"$1"; }

# prepare HOME N: a home with warehouse.bench.t of N partitions dt=0000000...
# (plain mkdir in the data store, a small CSV file in every 1000th, then
# metafs repair); leaves it mounted on $MNT.
prepare() {
	local home=$1 n=$2 ds t0 t1
	ds=$home/data/warehouse
	"$METAFS" init "$home" >/dev/null || die "metafs init $home"
	bench_mount "$home"
	mkdir "$MNT/warehouse/bench" "$MNT/warehouse/bench/t" || die "mkdir db/table"
	printf 'format csv\ncolumn v string\npartition dt string\n' >"$T/schema"
	cp "$T/schema" "$MNT/warehouse/bench/t/.schema" || die "writing .schema"
	bench_umount
	mkdir -p "$ds/bench/t"
	t0=$(now_us)
	seq -f 'dt=%07.0f' 0 $((n - 1)) >"$T/names"
	(cd "$ds/bench/t" && xargs -d '\n' -a "$T/names" mkdir --) || die "mkdir in the data store"
	for ((i = 0; i < n; i += 1000)); do
		printf 'a\nb\n' >"$ds/bench/t/$(printf 'dt=%07d' "$i")/part-0.csv"
	done
	t1=$(now_us)
	echo "   mkdir of $n directories: $(ms $((t1 - t0))) ms" >&2
	t0=$(now_us)
	"$METAFS" repair --home "$home" warehouse.bench.t >"$T/repair.out" 2>&1 || die "repair: $(cat "$T/repair.out")"
	t1=$(now_us)
	echo "   $(cat "$T/repair.out") in $(ms $((t1 - t0))) ms" >&2
	bench_mount "$home"
}

RULE_TEXT='source       = warehouse.bench.*
target       = lake
mirror       = schema, properties, partitions
on_conflict  = fail
'

# full_sync N -> sets FS_WALL_MS, FS_RULE_MS, FS_RUNS
full_sync() {
	local n=$1 t0 t1 lag i hist line d cnt
	printf '%s' "$RULE_TEXT" >"$T/bench.rule"
	t0=$(now_us)
	cp "$T/bench.rule" "$MNT/sync/bench.rule" || die "defining the rule"
	lag=
	for ((i = 0; ; i++)); do
		if read -r lag <"$MNT/sync/bench/lag" 2>/dev/null && [ "$lag" = 0 ]; then break; fi
		t1=$(now_us)
		[ $((t1 - t0)) -gt $((SYNC_TIMEOUT * 1000000)) ] && die "lag not 0 after ${SYNC_TIMEOUT}s (lag $lag): $(cat "$MNT/sync/bench/status")"
		sleep 0.01
	done
	t1=$(now_us)
	FS_WALL_MS=$(ms $((t1 - t0)))
	# the run's line is recorded a moment after its last commit (lag 0)
	for ((i = 0; i < 6000; i++)); do
		case $(head -n 1 "$MNT/sync/bench/status") in idle | failed) break ;; esac
		sleep 0.01
	done
	hist=$(cat "$MNT/sync/bench/history")
	FS_RUNS=0
	FS_RULE_MS=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		case $line in *" ok "*) ;; *) bad "full sync: a run failed: $line" ;; esac
		d=$(dur_of "$line")
		FS_RUNS=$((FS_RUNS + 1))
		FS_RULE_MS=$(awk -v a="$FS_RULE_MS" -v b="$d" 'BEGIN { printf "%.3f", a + b }')
	done <<<"$hist"
	echo "   full sync of $n: lag 0 after $FS_WALL_MS ms; $FS_RUNS run(s):" >&2
	printf '%s\n' "$hist" | sed 's/^/     /' >&2
	# checks: every partition is in lake
	cnt=$(ls -f "$MNT/lake/bench/t" | wc -l)
	[ "$cnt" = $((n + 2)) ] || bad "full sync of $n: ls -f lake/bench/t counted $cnt, expected $((n + 2))"
	cnt=$(awk '$1 == "partitions:" { print $2 }' "$MNT/lake/bench/t/.table")
	[ "$cnt" = "$n" ] || bad "full sync of $n: lake .table says partitions: $cnt"
}

# incremental N -> sets INC_* (best/median of K)
incremental() {
	local n=$1 k t0 t1 t2 lag name line d walls='' rules='' mkdirs='' spins
	for ((k = 0; k < K; k++)); do
		name=$(printf 'dt=new%03d' "$k")
		t0=$(now_us)
		mkdir "$MNT/warehouse/bench/t/$name" || die "mkdir $name through the mount"
		t1=$(now_us)
		spins=0
		while :; do
			read -r lag <"$MNT/sync/bench/lag" || die "reading lag"
			[ "$lag" = 0 ] && break
			spins=$((spins + 1))
			[ $(($(now_us) - t0)) -gt $((SYNC_TIMEOUT * 1000000)) ] && die "lag not 0 after ${SYNC_TIMEOUT}s"
		done
		t2=$(now_us)
		[ -d "$MNT/lake/bench/t/$name" ] || bad "incremental: $name not visible in lake at lag 0"
		line=$(cat "$MNT/sync/bench/last_run")
		case $line in *" ok incremental applied="[1-9]*) ;; *) bad "incremental: last run is not an incremental apply of the change: $line" ;; esac
		d=$(dur_of "$line")
		echo "   change $k ($name): mkdir $(ms $((t1 - t0))) ms, lag 0 after $(ms $((t2 - t0))) ms ($spins lag reads > 0); $line" >&2
		mkdirs+="$(ms $((t1 - t0)))"$'\n'
		walls+="$(ms $((t2 - t0)))"$'\n'
		rules+="$d"$'\n'
	done
	# the same change applied on demand: mkdir, then read sync/bench/run
	# (which runs the rule now and blocks until the run is done)
	local runs='' runrules='' out
	for ((k = 0; k < K; k++)); do
		name=$(printf 'dt=run%03d' "$k")
		t0=$(now_us)
		mkdir "$MNT/warehouse/bench/t/$name" || die "mkdir $name through the mount"
		out=$(cat "$MNT/sync/bench/run") || die "reading sync/bench/run"
		t2=$(now_us)
		[ -d "$MNT/lake/bench/t/$name" ] || bad "run: $name not visible in lake after reading run"
		lag=$(cat "$MNT/sync/bench/lag")
		[ "$lag" = 0 ] || bad "run: lag is $lag after reading run"
		# the run that applied the change (the scheduler may have started it
		# before the one run asked for)
		line=$(grep -F ' applied=1 ' "$MNT/sync/bench/history" | tail -n 1)
		case $line in *" cursor=$(cat "$MNT/sync/bench/cursor") "*) ;; *) bad "run: no run applied $name: $(tail -n 2 "$MNT/sync/bench/history")" ;; esac
		d=$(dur_of "$line")
		echo "   change $k ($name) + cat run: $(ms $((t2 - t0))) ms; $line" >&2
		runs+="$(ms $((t2 - t0)))"$'\n'
		runrules+="$d"$'\n'
	done
	INC_RUN_BEST=$(printf '%s' "$runs" | sort -g | head -n 1)
	INC_RUN_MED=$(printf '%s' "$runs" | sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }')
	INC_RUNRULE_MED=$(printf '%s' "$runrules" | sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }')
	INC_MKDIR=$(printf '%s' "$mkdirs" | sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }')
	INC_WALL_BEST=$(printf '%s' "$walls" | sort -g | head -n 1)
	INC_WALL_MED=$(printf '%s' "$walls" | sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }')
	INC_RULE_BEST=$(printf '%s' "$rules" | sort -g | head -n 1)
	INC_RULE_MED=$(printf '%s' "$rules" | sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }')
	local cnt
	cnt=$(ls -f "$MNT/lake/bench/t" | wc -l)
	[ "$cnt" = $((n + 2 * K + 2)) ] || bad "incremental: ls -f lake/bench/t counted $cnt, expected $((n + 2 * K + 2))"
}

# refresh N -> REF_FIRST_MS, REF_BEST_MS
refresh() {
	local n=$1 t0 t1 i b='' t lines last
	REF_FIRST_MS=
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_us)
		cat "$MNT/lake/bench/t/.refresh" >/dev/null || bad "cat .refresh failed"
		t1=$(now_us)
		t=$((t1 - t0))
		[ -z "$REF_FIRST_MS" ] && REF_FIRST_MS=$(ms "$t")
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
		echo "   cat .refresh ($n partitions): $(ms "$t") ms" >&2
	done
	REF_BEST_MS=$(ms "$b")
	lines=$(wc -l <"$MNT/lake/bench/t/.refresh")
	[ "$lines" = $((n + 1)) ] || bad ".refresh: $lines lines, expected $((n + 1))"
	last=$(tail -n 1 "$MNT/lake/bench/t/.refresh")
	[[ $last =~ ^snapshot\ [0-9]+$ ]] || bad ".refresh: last line is '$last', not 'snapshot N'"
	REF_BYTES=$(wc -c <"$MNT/lake/bench/t/.refresh")
}

# ---------------------------------------------------------------- run
echo "== (a) full sync and (c) .refresh: $F partitions" >&2
prepare "$T/home-f" "$F"
full_sync "$F"
A_WALL=$FS_WALL_MS A_RULE=$FS_RULE_MS A_RUNS=$FS_RUNS
refresh "$F"
if [ "$N" = "$F" ]; then
	echo "== (b) incremental apply: $N partitions (same table)" >&2
	B_FULL=
	incremental "$N"
	bench_umount
else
	bench_umount
	rm -rf --one-file-system "$T/home-f"
	echo "== (b) incremental apply: $N partitions" >&2
	prepare "$T/home-n" "$N"
	full_sync "$N"
	B_FULL="$FS_WALL_MS ms wall, rule's duration_ms $FS_RULE_MS over $FS_RUNS run(s)"
	incremental "$N"
	bench_umount
fi

# ---------------------------------------------------------------- report
fmt() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } printf "%s%s", s, o }'; }
echo
printf 'metafs sync benchmark (%s, %s CPUs, %s GiB, kernel %s)\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" \
	"$(awk '$1 == "MemTotal:" { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)"
printf '%-44s %12s %14s  %-12s %s\n' measurement 'wall (ms)' 'rule (ms)' goal 'Hive (HiveSyncTool, Hudi)'
printf '%-44s %12s %14s  %-12s %s\n' "(a) full sync, $(fmt "$F") partitions" "$A_WALL" "$A_RULE" '< 1 s' '1,000: 168 s; 5,000: 1,830 s; 10,000: timed out'
printf '%-44s %12s %14s  %-12s %s\n' "(b) 1 change on $(fmt "$N"), to lag 0, best" "$INC_WALL_BEST" "$INC_RULE_BEST" 'a few ms' '-'
printf '%-44s %12s %14s  %-12s %s\n' "(b) 1 change on $(fmt "$N"), to lag 0, median" "$INC_WALL_MED" "$INC_RULE_MED" 'a few ms' '-'
printf '%-44s %12s %14s  %-12s %s\n' "(b) same, mkdir + cat run, best" "$INC_RUN_BEST" '-' 'a few ms' '-'
printf '%-44s %12s %14s  %-12s %s\n' "(b) same, mkdir + cat run, median" "$INC_RUN_MED" "$INC_RUNRULE_MED" 'a few ms' '-'
printf '%-44s %12s %14s  %-12s %s\n' "(c) cat .refresh, $(fmt "$F") partitions, best of $RUNS" "$REF_BEST_MS" '-' '< 100 ms' '-'
printf '%-44s %12s %14s  %-12s %s\n' "(c) cat .refresh, first read" "$REF_FIRST_MS" '-' '< 100 ms' '-'
echo
echo "(a) wall: from the start of \`cp rule sync/bench.rule\` until sync/bench/lag reads 0 (polled every 10 ms);"
echo "    rule: sum of duration_ms over the rule's $A_RUNS run(s) in sync/bench/history."
echo "(b) wall: from the start of mkdir of one partition through the mount until lag reads 0 (polled without"
echo "    sleeping), median of $K; the mkdir itself took $INC_MKDIR ms (median); rule: duration_ms in last_run."
echo "    mkdir + cat run: from the start of mkdir until \`cat sync/bench/run\` (runs the rule now, blocks) returns,"
echo "    median of $K; rule: duration_ms of the run that applied the change."
[ -n "$B_FULL" ] && echo "    full sync of the $(fmt "$N")-partition table before it: $B_FULL."
echo "(c) .refresh is $(fmt "$REF_BYTES") bytes; the first read also opens the snapshot cold (first read after the sync)."
if [ -e "$BADFILE" ]; then
	echo
	echo "WARNING: some checks failed:"
	sed 's/^/  /' "$BADFILE"
	exit 1
fi
