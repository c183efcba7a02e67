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
# partition, a job's INSERT OVERWRITE of the partition holding a file (the
# old file is gone or still the only one listed, never both), a sync rule's
# first run mirroring the table into lake (after the restart a run of the
# rule converges: sync diff is empty and lake lists what warehouse lists),
# and metafs repair itself dying at each of its points after files were
# placed in the data store directly and a daemon crash left a pending
# intent (what it committed agrees with the bytes; a second repair, beside
# the running daemon, leaves full agreement).  A file's commit through the
# mount records an intent before its rename; the restarted daemon, or
# repair when no daemon runs, finishes or drops it (manager.h), so no point
# may leave a difference.
#
# To keep the run short, a scenario that passes more than
# MF_CRASH_POINTS_MAX (default 6) points is crashed at its last that many:
# its data file's commit (fsync, rename, record).  The earlier ones are the
# metastore-only transactions that reserve the file's id and make its
# partition, one commit each.  MF_CRASH_POINTS_MAX=0 runs every point.  The
# note lines say how many points of each scenario were run.
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
printf 'INSERT OVERWRITE TABLE warehouse.c.t PARTITION (dt = %s) VALUES (7, 8);\n' "'a'" >"$SRC/overwrite.sql"
cat >"$SRC/mir.rule" <<'EOF'
source       = warehouse.c.*
target       = lake
mirror       = schema, properties, partitions
on_conflict  = fail
EOF
MAX_POINTS=${MF_CRASH_POINTS_MAX:-6}

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
scenario_job_overwrite() {
	timeout 30 cp "$SRC/overwrite.sql" "$M/jobs/ow.sql" &&
		grep -q '^succeeded' <<<"$(timeout 60 cat "$M/jobs/ow/wait")"
}
scenario_sync() {
	timeout 30 cp "$SRC/mir.rule" "$M/sync/mir.rule" &&
		grep -q '^idle' <<<"$(timeout 60 cat "$M/sync/mir/run")"
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

# The overwritten partition lists its old file or the job's, never both.
check_overwrite() {
	local files
	check_home
	files=$(mf_ls "$T/dt=a")
	if grep -qx 'part-0.csv' <<<"$files" &&
		grep -q '^part-[0-9]*-[0-9]*-' <<<"$files"; then
		echo "dt=a lists the old and the new files:" $files
	fi
}

# After the restart the rule (defined again if its definition was lost) runs
# once more: it must converge.
check_sync() {
	local out
	check_home
	[ -e "$M/sync/mir.rule" ] || timeout 30 cp "$SRC/mir.rule" "$M/sync/mir.rule" ||
		echo "the rule cannot be defined again"
	out=$(timeout 60 cat "$M/sync/mir/run" 2>&1)
	case $out in idle*) ;; *) echo "the rule's run after the restart: $(printf '%s' "$out" | head -n 3)" ;; esac
	out=$(timeout 30 "$METAFS" sync diff --mount "$M" mir 2>&1) ||
		echo "sync diff fails: $out"
	[ -z "$out" ] || echo "sync diff after the run: $(printf '%s' "$out" | head -n 5)"
	[ "$(mf_ls "$L/c/t")" = "$(mf_ls "$T")" ] ||
		echo "lake lists $(mf_ls "$L/c/t" | tr '\n' ' ')and warehouse $(mf_ls "$T" | tr '\n' ' ')"
	[ "$(mf_ls "$L/c/t/dt=a")" = "$(mf_ls "$T/dt=a")" ] ||
		echo "lake's dt=a lists $(mf_ls "$L/c/t/dt=a" | tr '\n' ' ')"
}

# points FIRST LAST : the points to run: every one, or the last MAX_POINTS.
points() {
	local first=$1 last=$2
	if [ "$MAX_POINTS" -gt 0 ] && [ $((last - first + 1)) -gt "$MAX_POINTS" ]; then
		first=$((last - MAX_POINTS + 1))
	fi
	seq "$first" "$last"
}

TOTAL_POINTS=0
TOTAL_VIOLATIONS=0
SUMMARY=
count() { # NAME RUN OF VIOLATIONS
	TOTAL_POINTS=$((TOTAL_POINTS + $2))
	TOTAL_VIOLATIONS=$((TOTAL_VIOLATIONS + $4))
	SUMMARY="$SUMMARY $1 $2 of $3,"
}
run_scenario() { # NAME FUNCTION [CHECK]
	local name=$1 fn=$2 check=${3:-check_home} log=$MF_TMP/points.$1 before after n out v point
	local ran=0 bad=0
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
	for n in $(points $((before + 1)) "$after"); do
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
		out=$("$check")
		mf_umount
		ran=$((ran + 1))
		point=$(sed -n "${n}p" "$log" | awk '{print $2}')
		if [ -z "$out" ]; then
			pass "$name, crash at point $n ($point): data store and metastore agree"
		else
			v=$(printf '%s\n' "$out" | wc -l)
			bad=$((bad + v))
			fail "$name, crash at point $n ($point): data store and metastore agree" "$out"
		fi
	done
	count "$name" "$ran" $((after - before)) "$bad"
}

# metafs repair dies at each of its points.  The starting home: a daemon
# crashed at the rename of a new file (its intent pending, the file in
# place), then files were put into the data store directly: a partition
# dt=r with two files and a file in dt=a.
prepare_repair_home() {
	local renamed
	renamed=$(awk '$2 == "data.renamed" {print $1; exit}' "$MF_TMP/points.new-file")
	[ -n "$renamed" ] || mf_abort "the new-file scenario passes data.renamed"
	restore_home
	METAFS_CRASH_AT=$renamed mf_mount || mf_abort "mount to crash at the rename"
	scenario_new_file >/dev/null 2>&1
	drop_mount
	mkdir "$TDS/dt=r" && cp "$SRC/new.csv" "$TDS/dt=r/part-0.csv" &&
		cp "$SRC/old.csv" "$TDS/dt=r/part-1.csv" && cp "$SRC/old.csv" "$TDS/dt=a/part-9.csv" ||
		mf_abort "place files in the data store"
	rm -rf "$REPAIR_TEMPLATE" && cp -a "$H" "$REPAIR_TEMPLATE" || mf_abort "copy the repair home"
}

repair() { timeout 60 "$METAFS" repair --home "$H" warehouse.c.t; }

# Full agreement, for mf_poll (the mount's caches follow the log within ~1 s).
agree() { [ -z "$(check_home)" ]; }

run_repair_scenario() {
	local log=$MF_TMP/points.repair n out v point rc ran=0 bad=0 total
	REPAIR_TEMPLATE=$MF_TMP/template.repair
	prepare_repair_home

	# No daemon runs: repair resolves the pending intent first.
	out=$(repair 2>&1)
	assert_match "repair with no daemon finishes the commit a crash cut short" \
		"resolved the pending commits of warehouse a crash cut short: 1 finished, 0 dropped, 0 replaced" "$out"
	assert_match "repair registers the files put in the data store" "1 partitions added, 3 files added" "$out"
	if mf_mount; then
		assert_eq "after repair the data store and metastore agree" "" "$(check_home)"
		assert_eq "the file whose commit was cut short is listed" "part-0.csv
part-1.csv
part-9.csv" "$(mf_ls "$T/dt=a")"
		mf_umount
	fi

	rm -rf "$H" && cp -a "$REPAIR_TEMPLATE" "$H"
	: >"$log"
	METAFS_CRASH_LOG=$log repair >/dev/null 2>&1 || fail "repair succeeds with METAFS_CRASH_LOG"
	total=$(wc -l <"$log")
	note "repair: crash points 1..$total: $(awk '{print $2}' "$log" | tr '\n' ' ')"
	for n in $(points 1 "$total"); do
		rm -rf "$H" && cp -a "$REPAIR_TEMPLATE" "$H"
		point=$(sed -n "${n}p" "$log" | awk '{print $2}')
		METAFS_CRASH_AT=$n repair >/dev/null 2>&1
		rc=$?
		[ "$rc" = 86 ] || fail "repair, point $n ($point): repair dies there" "exit status $rc"
		mf_mount || {
			fail "repair, point $n: the daemon mounts after repair died"
			continue
		}
		# Repair did not finish: files it did not reach are unrecorded.
		out=$(check_home | grep -v ': in the data store, not recorded$' |
			grep -v ': data files in a partition the metastore does not list$')
		if [ -z "$out" ] && ! out=$(repair 2>&1 >/dev/null); then
			out="the second repair fails: $out"
		fi
		[ -n "$out" ] || mf_poll 5 agree || out=$(check_home)
		mf_umount
		ran=$((ran + 1))
		if [ -z "$out" ]; then
			pass "repair, crash at point $n ($point): records agree; a second repair agrees fully"
		else
			v=$(printf '%s\n' "$out" | wc -l)
			bad=$((bad + v))
			fail "repair, crash at point $n ($point): records agree; a second repair agrees fully" "$out"
		fi
	done
	count repair "$ran" "$total" "$bad"
}

run_scenario new-file scenario_new_file
run_scenario new-partition scenario_new_partition
run_scenario overwrite scenario_overwrite
run_scenario job scenario_job
run_scenario job-overwrite scenario_job_overwrite check_overwrite
run_scenario sync scenario_sync check_sync
run_repair_scenario
note "crash points run per scenario (of those it passes):${SUMMARY%,}"
note "crash points exercised: $TOTAL_POINTS, violations: $TOTAL_VIOLATIONS, seconds: $SECONDS"

mf_finish
