#!/usr/bin/env bash
# test_spill.sh - memory_per_job is a budget every query completes within:
# with memory_per_job = 1M a sort, an aggregate and a DISTINCT over more
# than that spill to disk and give the rows they give with 1G, the run's
# resources file shows what each operator got and spilled, and no spill file
# is left afterwards, also after a kill -9 of the daemon in the middle of a
# spill and a restart.  A spill_dir that runs out of space fails the job
# with a message naming it; a group bigger than the whole budget fails with
# "raise memory_per_job", and raising it makes the job succeed.  The
# out-of-space case mounts a tmpfs (needs root; skipped otherwise).
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries

TFS=$(mktemp -d "${TMPDIR:-/tmp}/metafs-spill-tfs.XXXXXX") || mf_abort "mktemp -d for the tmpfs"
tfs_exit() {
	local rc=$?
	mf_cleanup
	if mountpoint -q "$TFS" 2>/dev/null; then
		umount "$TFS" 2>/dev/null || umount -l "$TFS" 2>/dev/null
	fi
	rmdir "$TFS" 2>/dev/null
	(exit "$rc")
	mf_on_exit
}
trap tfs_exit EXIT

mf_tmpdir
mf_init
mf_mount_fg || mf_abort "metafsd -f mount"
J=$M/jobs
W=$M/warehouse
SPILL=$H/manager/spill

# set_jobs KEY VALUE: set (or add) KEY in [jobs] of metafs.ini, and remount.
set_jobs() {
	mf_umount || fail "unmount before changing $1"
	if grep -q "^$1 = " "$H/metafs.ini"; then
		sed -i "s|^$1 = .*|$1 = $2|" "$H/metafs.ini"
	else
		sed -i "/^\[jobs\]/a $1 = $2" "$H/metafs.ini"
	fi
	mf_mount_fg || mf_abort "remount with $1 = $2"
}

# spill_fds: the daemon's open spill files (O_TMPFILE or unlinked: "DIR/... (deleted)").
spill_fds() {
	local fd
	for fd in /proc/"$MF_DPID"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in "$(mf_realpath "$SPILL")/"*"(deleted)") echo "$fd" ;; esac
	done
}

run_job setup "CREATE DATABASE s;
CREATE TABLE s.big (k BIGINT, s STRING, v DOUBLE) TBLPROPERTIES ('header'='false');
CREATE TABLE s.dim (k BIGINT, name STRING) TBLPROPERTIES ('header'='false');"
assert_eq "setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"
# 200000 rows, about 6 MiB: 50000 groups of k, strings of two lengths, some NULL v
awk 'BEGIN { for (i = 0; i < 200000; i++) {
	k = (i * 7919) % 50000
	printf "%d,s-%d%s,%s\n", k, i % 977, (i % 3 ? "" : "-a-longer-string"), (i % 11 ? (i % 1000) ".5" : "")
} }' >"$MF_TMP/big.csv"
cp "$MF_TMP/big.csv" "$W/s/big/part-0.csv" || mf_abort "cp the data"
# 100000 rows, half of them matching a k of s.big, some NULL keys
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%s,name-%d\n", (i % 19 ? i * 2 % 100000 : ""), i }' \
	>"$MF_TMP/dim.csv"
cp "$MF_TMP/dim.csv" "$W/s/dim/part-0.csv" || mf_abort "cp the dimension"
assert_eq "the table holds every row" "200000" "$(mf_field "$W/s/big/.table" rows)"

Q_SORT="SELECT k, s, v FROM s.big ORDER BY k DESC, s;"
Q_AGG="SELECT k, count(*) AS n, sum(v) AS sv, min(s) AS mn, max(s) AS mx, sum(CAST(v AS DECIMAL(12,2))) AS dv
FROM s.big GROUP BY k ORDER BY k;"
Q_DISTINCT="SELECT DISTINCT s, v FROM s.big;"
Q_JOIN="SELECT b.k, b.s, d.name FROM s.big b JOIN s.dim d ON b.k = d.k;"

# run_all TAG: the three queries as jobs TAG_sort, TAG_agg, TAG_distinct
run_all() {
	local q
	for q in sort agg distinct join; do
		case $q in sort) sql=$Q_SORT ;; agg) sql=$Q_AGG ;; distinct) sql=$Q_DISTINCT ;; join) sql=$Q_JOIN ;; esac
		run_job "$1_$q" "$sql"
		assert_eq "$1: the $q job succeeds" "succeeded" "$STATE" || note "$STATUS"
	done
}

# ---------------------------------------------------------------- a large budget
run_all big
assert_file_contains "with 1G the sort does not spill" "$J/big_sort/resources" "spill_files=0"
assert_eq "the sort's result holds every row" "200001" "$(wc -l <"$J/big_sort/result")"

# ---------------------------------------------------------------- memory_per_job = 1M
set_jobs memory_per_job 1M
run_all small
assert_file_contains "resources names the job's budget" "$J/small_sort/resources" "memory_per_job=1.0 MiB"
for q in sort agg; do
	assert_cmp "with 1M the $q job gives the rows it gives with 1G" "$J/big_$q/result" "$J/small_$q/result"
done
assert_eq "with 1M DISTINCT gives the rows it gives with 1G" "$(sort "$J/big_distinct/result")" \
	"$(sort "$J/small_distinct/result")"
matches=$(awk -F, 'NR == FNR { if ($1 != "") n[$1]++; next } { m += n[$1] } END { print m }' \
	"$MF_TMP/dim.csv" "$MF_TMP/big.csv")
assert_eq "the join's result holds every match" "$((matches + 1))" "$(wc -l <"$J/big_join/result")"
assert_eq "with 1M the join gives the rows it gives with 1G" "$(sort "$J/big_join/result")" \
	"$(sort "$J/small_join/result")"
sort_line=$(grep -E '^ *Sort ' "$J/small_sort/resources")
assert_match "the sort got the whole 1 MiB" "memory_budget=1\.00 MiB" "$sort_line"
assert_match "the sort spilled" "spilled=[0-9.]+ MiB spill_files=[1-9][0-9]* spill_passes=[1-9]" "$sort_line"
peak=$(printf '%s\n' "$sort_line" | sed -n 's/.*peak_memory=\([0-9.]*\) MiB.*/\1/p')
assert_eq "the sort held no more than its budget" "1" "$(awk -v p="$peak" 'BEGIN { print (p <= 1.0) }')"
agg_line=$(grep -E '^ *HashAggregate ' "$J/small_agg/resources" | head -n 1)
assert_match "the aggregate spilled" "spill_files=[1-9][0-9]* spill_passes=[1-9]" "$agg_line"
join_line=$(grep -E '^ *HashJoin ' "$J/small_join/resources")
assert_match "the join got the whole 1 MiB and spilled" \
	"memory_budget=1\.00 MiB .*spill_files=[1-9][0-9]* spill_passes=[1-9]" "$join_line"
dist_line=$(grep -E '^ *HashAggregate ' "$J/small_distinct/resources" | head -n 1)
assert_match "DISTINCT spilled" "spill_files=[1-9][0-9]* spill_passes=[1-9]" "$dist_line"
budgets=$(grep -E '^ *(Sort|HashAggregate) ' "$J/small_agg/resources" |
	sed -n 's/.*memory_budget=\([0-9.]*\) MiB.*/\1/p' | awk '{ t += $1 } END { printf "%.2f", t }')
assert_eq "the aggregate's and the sort's budgets add up to memory_per_job" "1.00" "$budgets"
assert_eq "no spill file is left in the spill directory" "" "$(ls -A "$SPILL")"

# ---------------------------------------------------------------- kill -9 while spilling
printf '%s\n' "SELECT k, s, v FROM s.big UNION ALL SELECT k, s, v FROM s.big UNION ALL SELECT k, s, v FROM s.big
UNION ALL SELECT k, s, v FROM s.big ORDER BY s, k;" >"$MF_TMP/crash.sql"
cp "$MF_TMP/crash.sql" "$J/crash.sql" || fail "submit the job to crash"
seen=
for ((i = 0; i < 300; i++)); do
	seen=$(spill_fds)
	[ -n "$seen" ] && break
	sleep 0.02
done
assert_ne "the daemon has spill files open while the job runs" "" "$seen"
kill -9 "$MF_DPID" 2>/dev/null
mf_wait_pid_gone "$MF_DPID" 5 || fail "the daemon dies on SIGKILL"
fusermount3 -uz "$M" 2>/dev/null
assert_eq "nothing of the killed run's spill files has a name" "" "$(ls -A "$SPILL")"
# a name a crash could leave on a file system without O_TMPFILE
: >"$SPILL/metafs-spill-99999-1"
mf_mount_fg || mf_abort "remount after kill -9"
assert_eq "start-up empties the spill directory" "" "$(ls -A "$SPILL")"
st=$(head -n 1 "$J/crash/status" 2>&1)
[ "$st" = queued ] && timeout 120 cat "$J/crash/wait" >/dev/null
assert_eq "no spill file is left after the restart" "" "$(ls -A "$SPILL")"

# ---------------------------------------------------------------- a group bigger than the budget
Q_ONE="SELECT count(DISTINCT s || '/' || CAST(k AS STRING)) AS n FROM s.big;"
run_job one "$Q_ONE"
assert_eq "a group bigger than memory_per_job fails the job" "failed" "$STATE"
assert_match "the error names the setting that helps" \
	"HashAggregate needs more than its memory budget of 1 MiB for the groups it holds \(raise memory_per_job in metafs\.ini\)" \
	"$STATUS"
set_jobs memory_per_job 256M
run_job one "$Q_ONE"
assert_eq "with memory_per_job raised the job succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "and counts every distinct value" "$(cut -d, -f1,2 "$MF_TMP/big.csv" | sort -u | wc -l)" \
	"$(tail -n 1 "$J/one/result")"

# ---------------------------------------------------------------- out of space in spill_dir
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$TFS" 2>/dev/null; then
	set_jobs memory_per_job 1M
	set_jobs spill_dir "$TFS"
	run_job full "$Q_SORT"
	assert_eq "a spill that runs out of space fails the job" "failed" "$STATE"
	assert_match "the error names the spill directory" \
		"cannot write a spill file in $TFS: No space left on device" "$STATUS"
	assert_eq "the full spill directory is empty again" "" "$(ls -A "$TFS")"
	run_job after "SELECT count(*) AS n FROM s.big;"
	assert_eq "a job that does not spill still runs" "succeeded" "$STATE"
else
	note "skipped the out-of-space case: cannot mount a tmpfs (needs root)"
fi

mf_finish
