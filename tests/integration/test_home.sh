#!/usr/bin/env bash
# test_home.sh - the home is private: only the daemon's user (and the home's
# group, for reading) may use what is behind the mount.
#
# As root, with a real user U who is granted nothing: every file and
# directory of a home made by `metafs init` is unreadable to U, and stays so
# after data loaded with cp through the mount, a job, a masked sync (its
# exchange cache), and a pipeline run; U's `cat HOME/data/warehouse/sec/t/*`
# (the attack: raw values of masked columns) fails.  metafsd refuses a home
# that others can read, naming the path and the fix, and following the
# advice (`metafs repair --fix-permissions --home H`) lets it start; the
# repair also makes a home laid out the old way (0755/0644) private.  A home
# made with `metafs init --group G` lets a member of G read it, and U still
# nothing.  Needs root (it creates users); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

: "${METAFS_PIPELINE:=$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}"
export METAFS_PIPELINE
WAIT=10   # seconds for the scheduler to apply a rule

mf_require_root
mf_require_fuse
mf_require_binaries
mf_tmpdir
chmod 711 "$MF_TMP"   # the users reach the mount point and may try the home
mf_init
U=mfh_$$_u
R=mfh_$$_r
mf_add_user "$U"
mf_add_user "$R"   # its own group is the second home's group

# open_paths HOME [GROUP] : paths below HOME (not symlinks) whose mode gives
# others anything, or the group anything but read/search (or anything at
# all when GROUP is empty), one a line; none when the home is private
open_paths() {
	local home=$1 group=${2:-}
	if [ -n "$group" ]; then
		find "$home" ! -type l \( -perm /027 -o \( -perm /050 ! -group "$group" \) \) \
			! -path "$home/pipeline-state/*" -printf '%m %g %p\n' 2>&1
	else
		find "$home" ! -type l -perm /077 -printf '%m %p\n' 2>&1
	fi
}

# readable_by USER HOME : the paths below HOME that USER can read (files:
# cat; directories: ls), one a line
readable_by() {
	find "$2" ! -type l -print 2>/dev/null | mf_as_sh "$1" '
		while IFS= read -r p; do
			if [ -d "$p" ]; then
				ls -- "$p" >/dev/null 2>&1 && printf "%s\n" "$p"
			else
				cat -- "$p" >/dev/null 2>&1 && printf "%s\n" "$p"
			fi
		done; true'
}

# check_private WHEN : the home is private right now
check_private() {
	assert_eq "$1: no path of the home is open to other users" "" "$(open_paths "$H")"
	assert_eq "$1: U can read no file or directory of the home" "" "$(readable_by "$U" "$H")"
}

# ---------------------------------------------------------------- a new home
assert_eq "metafs init makes the home 0700" "700" "$(stat -c %a "$H")"
assert_eq "metafs.ini is 0600" "600" "$(stat -c %a "$H/metafs.ini")"
assert_eq "the data store is 0700" "700" "$(stat -c %a "$H/data/warehouse")"
assert_eq "a metastore is 0600" "600" "$(stat -c %a "$H/meta/warehouse/data.mdb")"
assert_match "metafs.ini shows the home_group key" '^; home_group = ' "$(grep home_group "$H/metafs.ini")"
check_private "after metafs init (umask 022)"

mf_mount "$H" "$M" -o allow_other || mf_abort "mount with -o allow_other"

# ---------------------------------------------------------------- data, a job, a masked sync
mf_make_table "$W/sec/t" $'format csv\nheader true\ncolumn id bigint\ncolumn email string\ncolumn ssn string\npartition dt date\n'
mkdir "$W/sec/t/dt=2024-05-01" || mf_abort "mkdir a partition"
printf 'id,email,ssn\n1,alice@example.com,111-22-3333\n2,bob@example.com,222-33-4444\n' >"$MF_TMP/t.csv"
cp "$MF_TMP/t.csv" "$W/sec/t/dt=2024-05-01/part-0.csv" || mf_abort "cp a data file through the mount"
check_private "after a cp through the mount"

run_job load "INSERT INTO warehouse.sec.t PARTITION (dt='2024-05-02') VALUES (3, 'carol@example.com', '333-44-5555');"
assert_eq "a job inserting a partition succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job q "SELECT count(*) AS n FROM warehouse.sec.t;"
assert_eq "a query job succeeds" "succeeded" "$STATE" || note "$STATUS"
check_private "after jobs"

printf 'source = warehouse.sec.*\ntarget = lake\nmirror = schema, properties, partitions\nmask = email:hash\ndrop_columns = ssn\n' \
	>"$MF_TMP/x.rule"
cp "$MF_TMP/x.rule" "$M/sync/x.rule" || mf_abort "the masked sync rule"
mf_poll "$WAIT" test -e "$L/sec/t/dt=2024-05-01/part-0.csv" || fail "the mirror appears" "$(cat "$M/sync/x/status" 2>&1)"
assert_ok "the masked mirror reads through the mount (the exchange cache)" cat "$L/sec/t/dt=2024-05-01/part-0.csv"
check_private "after a masked sync and a read of its exchange"

# ---------------------------------------------------------------- the attack
expect_fail_errno "U cannot list the data store" "Permission denied" mf_as "$U" ls "$H/data/warehouse/sec/t"
mf_run mf_as_sh "$U" "cat '$H'/data/warehouse/sec/t/*/*"
assert_ne "U's cat HOME/data/warehouse/sec/t/*/* fails" "0" "$MF_RC"
if grep -q -e 'alice@example.com' -e '111-22-3333' <<<"$MF_OUT"; then
	fail "U's cat shows no raw value of a masked column" "$MF_OUT"
else
	pass "U's cat shows no raw value of a masked column"
fi
expect_fail_errno "U cannot read a metastore" "Permission denied" mf_as "$U" cat "$H/meta/warehouse/data.mdb"
expect_fail_errno "U cannot read the table through the mount either" "Permission denied" \
	mf_as "$U" cat "$W/sec/t/dt=2024-05-01/part-0.csv"

# ---------------------------------------------------------------- a pipeline run
if [ -x "$METAFS_PIPELINE" ]; then
	mkdir -p "$W/ucaas/calls" || mf_abort "mkdir $W/ucaas/calls"
	"$METAFS" gen --print-schema >"$MF_TMP/calls.schema"
	cp "$MF_TMP/calls.schema" "$W/ucaas/calls/.schema" || mf_abort "the calls schema"
	mf_run "$METAFS" gen --rows 2000 --days 1 --seed 42 "$W/ucaas/calls" || mf_abort "metafs gen" "$MF_OUT"
	printf 'source = warehouse.ucaas.calls\ntarget = lake\n' >"$MF_TMP/ucaas.rule"
	cp "$MF_TMP/ucaas.rule" "$M/sync/ucaas.rule" || mf_abort "the calls rule"
	mf_poll "$WAIT" test -e "$L/ucaas/calls/.refresh" || mf_abort "the calls mirror appears"
	{
		printf '[pipeline]\nname = calls\nsource = lake/ucaas/calls\noperation = train\n'
		printf 'features = jitter_ms, packet_loss_pct, latency_ms, participants, duration_s\n'
		printf 'label = dropped\n'
		printf '\n[xgboost]\nobjective = binary:logistic\nmax_depth = 3\neta = 0.3\n'
		printf 'num_round = 5\nseed = 7\nholdout = 0.2\n'
	} >"$MF_TMP/calls.ini"
	cp "$MF_TMP/calls.ini" "$M/pipelines/calls.ini" || mf_abort "the pipeline definition"
	RUN=$(timeout -k 5 300 cat "$M/pipelines/calls/run" 2>&1)
	assert_match "the pipeline run exits 0" "exit_code: 0" "$RUN" || note "$(tail -n 20 "$M/pipelines/calls/log" 2>&1)"
	assert_exists "the pipeline saved its model in the home" "$H/manager/pipelines/state/calls/model.json"
	check_private "after a pipeline run"
else
	note "metafs-pipeline is not built: no pipeline run"
fi

# ---------------------------------------------------------------- metafsd refuses an open home
mf_umount "$M" || mf_abort "unmount"
HR=$(mf_realpath "$H")
chmod 755 "$H/data"
chmod 644 "$H/data/warehouse/sec/t/dt=2024-05-01/part-0.csv"
mf_run timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$H" "$M"
assert_ne "metafsd refuses a home whose data others can read" "0" "$MF_RC"
assert_match "the refusal names the path and its mode" "$HR/data is readable by other users \\(mode 0755\\)" "$MF_OUT"
assert_match "the refusal names the fix" "run \`metafs repair --fix-permissions --home $HR\`" "$MF_OUT"
mountpoint -q "$M" && fail "nothing is mounted after the refusal" && mf_umount "$M"
FIX=$(printf '%s\n' "$MF_OUT" | sed -n 's/.*run `\(metafs repair [^`]*\)`.*/\1/p' | head -n 1)
mf_run ${FIX/#metafs/$METAFS}
assert_eq "following the advice ($FIX) exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_match "the repair says how many paths it changed" "2 paths changed" "$MF_OUT"
assert_eq "the repaired data file is 0600" "600" "$(stat -c %a "$H/data/warehouse/sec/t/dt=2024-05-01/part-0.csv")"
mf_mount "$H" "$M" -o allow_other
assert_ok "metafsd starts on the repaired home" mountpoint -q "$M"
assert_eq "the data still reads through the mount" "$(cat "$MF_TMP/t.csv")" \
	"$(cat "$W/sec/t/dt=2024-05-01/part-0.csv" 2>&1)"
mf_umount "$M" || mf_abort "unmount"

# a home as older versions made it: directories 0755, files 0644, and a symlink to leave alone
chmod -R go+rX "$H"
touch "$MF_TMP/outside" && chmod 644 "$MF_TMP/outside"
ln -s "$MF_TMP/outside" "$H/data/warehouse/link"
mf_run "$METAFS" repair --fix-permissions --home "$H"
assert_eq "repair --fix-permissions of an old home exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_match "it reports the paths it changed" "[1-9][0-9]* paths changed" "$MF_OUT"
check_private "after repair --fix-permissions of an old home"
assert_eq "the repair followed no symlink" "644" "$(stat -c %a "$MF_TMP/outside")"
rm -f "$H/data/warehouse/link"
mf_run "$METAFS" repair --fix-permissions --home "$H"
assert_match "a second repair changes nothing" " 0 paths changed" "$MF_OUT"
mf_run "$METAFS" repair --fix-permissions "$H"
assert_eq "repair --fix-permissions without --home is a usage error" "2" "$MF_RC"
assert_match "which names the form" "usage: metafs repair --fix-permissions --home DIR" "$MF_OUT"

# ---------------------------------------------------------------- the home's group
H2=$MF_TMP/home2
M2=$MF_TMP/mnt2
mf_run "$METAFS" init --group "$R" "$H2"
assert_eq "metafs init --group exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_eq "metafs.ini names the home's group" "home_group = $R" \
	"$(sed -n 's/ *;.*//; /^home_group/p' "$H2/metafs.ini")"
assert_eq "the home is the group's, 2750" "$R 2750" "$(stat -c '%G %a' "$H2")"
mf_mount "$H2" "$M2" -o allow_other || mf_abort "mount the group's home"
mf_make_table "$M2/warehouse/sec/t" $'format csv\nheader true\ncolumn id bigint\ncolumn email string\n'
printf 'id,email\n1,alice@example.com\n' >"$MF_TMP/g.csv"
cp "$MF_TMP/g.csv" "$M2/warehouse/sec/t/part-0.csv" || mf_abort "cp into the group's home"
assert_eq "no path is open to others, nor to another group" "" "$(open_paths "$H2" "$R")"
assert_eq "a data file is the group's, 0640" "$R 640" "$(stat -c '%G %a' "$H2/data/warehouse/sec/t/part-0.csv")"
assert_eq "a member of the home's group reads the data store" "$(cat "$MF_TMP/g.csv")" \
	"$(mf_as "$R" cat "$H2/data/warehouse/sec/t/part-0.csv" 2>&1)"
mf_run mf_as "$R" sh -c "echo x >>'$H2/data/warehouse/sec/t/part-0.csv'"
assert_ne "a member of the home's group cannot write it" "0" "$MF_RC"
assert_eq "U reads nothing of the group's home" "" "$(readable_by "$U" "$H2")"
mf_umount "$M2" || mf_abort "unmount the group's home"
chgrp "$U" "$H2/data"
mf_run timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$H2" "$M2"
assert_ne "metafsd refuses group read for a group that is not the home's" "0" "$MF_RC"
assert_match "and says which path" "$(mf_realpath "$H2")/data is readable by other users" "$MF_OUT"
mf_run "$METAFS" repair --fix-permissions --home "$H2"
assert_eq "the repair gives the path back to the home's group" "$R 2750" "$(stat -c '%G %a' "$H2/data")"
sed -i "s/^home_group = .*/home_group = no_such_group_$$/" "$H2/metafs.ini"
mf_run timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$H2" "$M2"
assert_match "an unknown home_group is refused" "home_group: no group \"no_such_group_$$\"" "$MF_OUT"

mf_finish
