#!/usr/bin/env bash
# test_jobs_leftover.sh - output files a job run renamed into partition
# directories but never committed: the daemon removes those of a run it was
# stopped in the middle of when it starts again, and `metafs repair` never
# registers a file named as output of a run that did not succeed.  The
# leftovers are planted (named part-JOB-RUN-STMT-00000.csv, as a run names
# its output) so the test does not depend on when a kill lands.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init
mf_mount_fg || mf_abort "metafsd -f mount"

J=$M/jobs
JH=$H/manager/jobs

run_job setup "CREATE DATABASE c;
CREATE TABLE c.src (a BIGINT, b STRING) PARTITIONED BY (p BIGINT) TBLPROPERTIES ('header'='false');
CREATE TABLE c.dst (a BIGINT, b STRING) PARTITIONED BY (p BIGINT) TBLPROPERTIES ('header'='false');"
assert_eq "setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"
mkdir "$W/c/src/p=1" || mf_abort "mkdir src p=1"
printf '1,a\n2,b\n3,c\n' >"$MF_TMP/src.csv"
cp "$MF_TMP/src.csv" "$W/c/src/p=1/part-0.csv" || mf_abort "cp into src"
run_job ok "INSERT OVERWRITE TABLE c.dst PARTITION (p) SELECT a, 'ok', p FROM c.src;"
assert_eq "the overwrite succeeds" "succeeded" "$STATE" || mf_abort "overwrite" "$STATUS"
ok_id=$(cat "$JH/ok/id")
OK=$(mf_ls "$W/c/dst/p=1")
assert_match "the committed output is named for its run" "^part-$ok_id-1-[0-9]+-00000\.csv$" "$OK"
run_job bad "INSERT INTO c.dst PARTITION (p) SELECT a, 'bad', p FROM c.nosuch;"
assert_eq "a job on a missing table fails" "failed" "$STATE"
bad_id=$(cat "$JH/bad/id")

# plant ROUND : output of run 1 of job "bad", as a run leaves it when it
# stops between renaming its files and committing them: in a listed
# partition and in a partition directory no record knows.
plant() {
	mkdir -p "$DS/c/dst/p=7"
	printf '98,bad\n' >"$DS/c/dst/p=1/part-$bad_id-1-0-00000.csv"
	printf '99,bad\n' >"$DS/c/dst/p=7/part-$bad_id-1-1-00000.csv"
}

# ---- a run the daemon was stopped in the middle of: removed at start-up
kill -9 "$MF_DPID" 2>/dev/null
mf_wait_pid_gone "$MF_DPID" 5 || fail "the daemon dies on SIGKILL"
fusermount3 -uz "$M" 2>/dev/null
plant
# the status a run has while it runs
printf 'running\n' >"$JH/bad/1/status"
mf_mount_fg || mf_abort "remount after kill -9"
assert_eq "the interrupted run is failed at start-up" "failed" "$(head -n 1 "$J/bad/status" 2>&1)"
assert_not_exists "its output in a listed partition is removed at start-up" \
	"$DS/c/dst/p=1/part-$bad_id-1-0-00000.csv"
assert_not_exists "its output in an unknown partition directory is removed at start-up" \
	"$DS/c/dst/p=7/part-$bad_id-1-1-00000.csv"
assert_exists "the committed output stays" "$DS/c/dst/p=1/$OK"
assert_eq "the partition lists only the committed output" "$OK" "$(mf_ls "$W/c/dst/p=1")"

# ---- a failed run's leftovers: metafs repair does not register them
plant
printf '50,extra\n' >"$DS/c/dst/p=1/extra.csv"
# an unlisted file of a run that succeeded: that run committed the name
printf '60,late\n' >"$DS/c/dst/p=1/part-$ok_id-1-9-00000.csv"
assert_ok "metafs repair succeeds" "$METAFS" repair --home "$H" warehouse.c.dst
assert_match "metafs repair reports the skipped output" "skipped 2 files" "$MF_OUT"
assert_match "metafs repair registers the other files" "0 partitions added, 2 files added" "$MF_OUT"
assert_eq "the failed run's output is not listed after repair" \
	"extra.csv
$OK
part-$ok_id-1-9-00000.csv" "$(mf_ls "$W/c/dst/p=1")"
assert_eq "repair adds no partition for a failed run's output" "p=1" "$(mf_ls "$W/c/dst")"
assert_eq "the failed run's rows are not counted" "5" "$(mf_field "$W/c/dst/p=1/.partition" rows)"
assert_exists "repair leaves the failed run's file in place" "$DS/c/dst/p=1/part-$bad_id-1-0-00000.csv"
run_job check "SELECT b, count(*) AS n FROM c.dst GROUP BY b ORDER BY b;"
assert_eq "the table holds the committed rows and the registered files'" "b,n
extra,1
late,1
ok,3" "$(cat "$J/check/result" 2>&1)"
note "committed .partition before: $(printf '%s' "$committed" | grep -c '^file:') files"

mf_finish
