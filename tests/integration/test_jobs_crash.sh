#!/usr/bin/env bash
# test_jobs_crash.sh - kill -9 the daemon while an INSERT OVERWRITE job runs
# or commits; after a restart the target table holds either all of the old
# rows or all of the new ones (never a mix, never a partial partition), every
# listed file is whole, and the interrupted run is marked failed.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init
mf_mount_fg || mf_abort "metafsd -f mount"

NPART=${NPART:-16}
ROWS_PER=${ROWS_PER:-100000}
TOTAL=$((NPART * ROWS_PER))
DELAYS=(0.2 1.5 3.5)   # into reading, writing and committing
J=$M/jobs

run_job setup "CREATE DATABASE c;
CREATE TABLE c.src (a BIGINT, b STRING) PARTITIONED BY (p BIGINT) TBLPROPERTIES ('header'='false');
CREATE TABLE c.dst (a BIGINT, b STRING) PARTITIONED BY (p BIGINT) TBLPROPERTIES ('header'='false');"
assert_eq "setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"
for ((p = 0; p < NPART; p++)); do
	mkdir "$W/c/src/p=$p" || mf_abort "mkdir p=$p"
	awk -v p="$p" -v n="$ROWS_PER" 'BEGIN { for (i = 1; i <= n; i++) printf "%d,row-%d-%d\n", p * n + i, p, i }' \
		>"$MF_TMP/src.csv"
	cp "$MF_TMP/src.csv" "$W/c/src/p=$p/part-0.csv" || mf_abort "cp into p=$p"
done
assert_eq "source table holds every row" "$TOTAL" "$(mf_field "$W/c/src/.table" rows)"
run_job old "INSERT OVERWRITE TABLE c.dst PARTITION (p) SELECT a, 'old', p FROM c.src;"
assert_eq "the first overwrite succeeds" "succeeded" "$STATE" || note "$STATUS"

# check_dst ROUND: the whole table is one generation, all of it
check_dst() {
	local r=$1 counts files_rows part_ok=1 d
	run_job "check$r" "SELECT b, count(*) AS n FROM c.dst GROUP BY b ORDER BY b;"
	counts=$(tail -n +2 "$J/check$r/result" 2>&1)
	case "$counts" in
	"new,$TOTAL" | "old,$TOTAL") pass "round $r: the table is all old or all new rows ($counts)" ;;
	*) fail "round $r: the table is all old or all new rows" "$counts" ;;
	esac
	assert_eq "round $r: .table rows equal the total" "$TOTAL" "$(mf_field "$W/c/dst/.table" rows)"
	files_rows=$(cat "$W"/c/dst/p=*/*.csv 2>/dev/null | wc -l)
	assert_eq "round $r: the listed files hold exactly the rows" "$TOTAL" "$files_rows"
	for d in "$W"/c/dst/p=*; do
		if [ "$(mf_field "$d/.partition" rows)" != "$ROWS_PER" ]; then
			part_ok=0
			fail "round $r: partition $(basename "$d") is whole" "$(cat "$d/.partition")"
		fi
	done
	[ $part_ok = 1 ] && pass "round $r: every partition is whole"
	assert_eq "round $r: every partition is there" "$NPART" "$(mf_ls "$W/c/dst" | wc -l)"
}

for r in 1 2 3; do
	printf 'INSERT OVERWRITE TABLE c.dst PARTITION (p) SELECT a, %s, p FROM c.src;\n' "'new'" >"$MF_TMP/new$r.sql"
	cp "$MF_TMP/new$r.sql" "$J/new$r.sql" || fail "round $r: submit"
	# land the kill somewhere in the run: reading, writing or committing
	sleep "${DELAYS[$((r - 1))]}"
	kill -9 "$MF_DPID" 2>/dev/null
	mf_wait_pid_gone "$MF_DPID" 5 || fail "round $r: the daemon dies on SIGKILL"
	fusermount3 -uz "$M" 2>/dev/null
	mf_mount_fg || mf_abort "round $r: remount after kill -9"
	st=$(head -n 1 "$J/new$r/status" 2>&1)
	case "$st" in
	failed)
		assert_match "round $r: an interrupted run says the daemon stopped" "daemon stopped" \
			"$(cat "$J/new$r/status")"
		;;
	succeeded) pass "round $r: the run had finished before the kill" ;;
	queued) pass "round $r: the run had not started; it is queued again" ;;
	*) fail "round $r: the run's state after a restart is failed, succeeded or queued" "$st" ;;
	esac
	[ "$st" = queued ] && timeout 120 cat "$J/new$r/wait" >/dev/null
	check_dst "$r"
	staged=$(find "$H/data/warehouse/.metafs-staging" -mindepth 1 2>/dev/null | grep -c .)
	assert_eq "round $r: staging is empty after the restart" "0" "$staged"
done

mf_finish
