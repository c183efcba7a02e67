#!/usr/bin/env bash
# test_crash_points.sh - the daemon dies at every crash point of a writer,
# deterministically, and after a restart the data store and the metastore
# agree: every recorded file's bytes, size and xxh128 match its record, and
# no data file is left unrecorded.
#
# The crash points (base/base_crash.h) are the fsync, the rename and the
# metastore commit of every writer.  For each scenario the test first runs
# it with METAFS_CRASH_LOG to learn which points it passes, then once per
# point N with METAFS_CRASH_AT=N from a copy of the same home, and checks
# the home after a clean restart.
#
# Scenarios covered: a new file in an existing partition, a new partition
# with a file, an overwrite of an existing file, a job's INSERT into a new
# partition.  A file's commit through the mount records an intent before its
# rename; the restarted daemon finishes or drops it (manager.h), so no
# point may leave a difference.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init

T=$W/c/t
TDS=$DS/c/t
seq 1 500 | awk '{print $1 "," $1 * 2}' >"$SRC/old.csv"
seq 1 2000 | awk '{print $1 "," $1 * 3}' >"$SRC/new.csv"
printf 'INSERT INTO warehouse.c.t PARTITION (dt = %s) VALUES (1, 2), (3, 4);\n' "'j'" >"$SRC/job.sql"

# The starting home: table c.t with partition dt=a holding part-0.csv.
mf_mount || mf_abort "mount the starting home"
mkdir "$W/c" 2>/dev/null || mf_abort "mkdir $W/c"
mf_make_table "$T" $'column a bigint\ncolumn b bigint\npartition dt string\n'
mkdir "$T/dt=a" 2>/dev/null || mf_abort "mkdir dt=a"
cp "$SRC/old.csv" "$T/dt=a/part-0.csv" || mf_abort "cp part-0.csv"
mf_umount || mf_abort "unmount the starting home"
TEMPLATE=$MF_TMP/template
cp -a "$H" "$TEMPLATE" || mf_abort "copy the starting home"

scenario_new_file() { timeout 30 cp "$SRC/new.csv" "$T/dt=a/part-1.csv"; }
scenario_new_partition() {
	timeout 30 mkdir "$T/dt=b" && timeout 30 cp "$SRC/new.csv" "$T/dt=b/part-0.csv"
}
scenario_overwrite() { timeout 30 cp "$SRC/new.csv" "$T/dt=a/part-0.csv"; }
scenario_job() {
	timeout 30 cp "$SRC/job.sql" "$M/jobs/ins.sql" && timeout 60 cat "$M/jobs/ins/wait" >/dev/null
}

restore_home() {
	rm -rf "$H" && cp -a "$TEMPLATE" "$H"
}

# The daemon is gone (crashed) or asked to go; make sure the mount is too.
drop_mount() {
	local p
	for p in $(mf_find_daemons "$M"); do
		mf_wait_pid_gone "$p" 10 || kill -KILL "$p" 2>/dev/null
	done
	fusermount3 -u "$M" 2>/dev/null || fusermount3 -uz "$M" 2>/dev/null
	mf_wait_unmounted "$M" 5
}

check_home() { mf_check_agree "$T" "$TDS"; }

TOTAL_POINTS=0
TOTAL_VIOLATIONS=0
run_scenario() { # NAME FUNCTION
	local name=$1 fn=$2 log=$MF_TMP/points.$1 before after n out v point
	restore_home
	: >"$log"
	METAFS_CRASH_LOG=$log mf_mount || {
		fail "$name: the daemon mounts with METAFS_CRASH_LOG"
		return
	}
	before=$(wc -l <"$log")
	"$fn" >/dev/null 2>&1 || {
		fail "$name: the scenario succeeds without a crash"
		mf_umount
		return
	}
	after=$(wc -l <"$log")
	mf_umount
	note "$name: crash points $((before + 1))..$after: $(sed -n "$((before + 1)),${after}p" "$log" | awk '{print $2}' | tr '\n' ' ')"
	if [ "$after" -le "$before" ]; then
		fail "$name: the scenario passes crash points" "none after the $before of start-up"
		return
	fi
	for ((n = before + 1; n <= after; n++)); do
		restore_home
		METAFS_CRASH_AT=$n mf_mount || {
			fail "$name, point $n: the daemon mounts"
			continue
		}
		"$fn" >/dev/null 2>&1
		drop_mount
		if ! mf_mount; then
			fail "$name, point $n: the daemon restarts after the crash"
			continue
		fi
		out=$(check_home)
		mf_umount
		TOTAL_POINTS=$((TOTAL_POINTS + 1))
		point=$(sed -n "${n}p" "$log" | awk '{print $2}')
		if [ -z "$out" ]; then
			pass "$name, crash at point $n ($point): data store and metastore agree"
		else
			v=$(printf '%s\n' "$out" | wc -l)
			TOTAL_VIOLATIONS=$((TOTAL_VIOLATIONS + v))
			fail "$name, crash at point $n ($point): data store and metastore agree" "$out"
		fi
	done
}

run_scenario new-file scenario_new_file
run_scenario new-partition scenario_new_partition
run_scenario overwrite scenario_overwrite
run_scenario job scenario_job
note "crash points exercised: $TOTAL_POINTS, violations: $TOTAL_VIOLATIONS"

mf_finish
