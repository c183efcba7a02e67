#!/usr/bin/env bash
# test_jobs_owner.sh - a queued job run keeps its submitter across a crash.
#
# With [jobs] workers = 1 and a mount with -o allow_other, root submits a
# job that holds the only worker (it reads a table whose data file was
# replaced by a FIFO in the data store, so its open blocks), then a user U
# (SUBMIT on warehouse, nothing on the table s.secret) submits a job
# reading s.secret: it is queued, with RUN_DIR/owner "UID:GID".  The daemon
# is killed with SIGKILL and mounted again; U's run is picked up again and
# must run as U: it fails with the permission error naming U's uid (the
# same statement submitted by root succeeds), and the denial is audited
# with U's uid.  A second queued run of U's whose owner file was removed
# while the daemon was down is failed, not run.  Needs root.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_require_root
mf_require_fuse
mf_require_binaries
mf_tmpdir
chmod 711 "$MF_TMP"   # the user reaches the mount point, nothing else
mf_init
sed -i 's/^workers = .*/workers = 1/' "$H/metafs.ini"
grep -qx 'workers = 1' "$H/metafs.ini" || mf_abort "[jobs] workers = 1 in metafs.ini" "$(cat "$H/metafs.ini")"
U=mfj_$$_u
mf_add_user "$U"
UUID_=$(id -u "$U")
UGID=$(id -g "$U")
mf_mount "$H" "$M" -o allow_other || mf_abort "mount with -o allow_other"
[ -n "$MF_DPID" ] || mf_abort "the daemon's pid is known"
AUDIT=$H/manager/audit.log
J=$M/jobs
JD=$H/manager/jobs

# deny_count : audit lines denying U anything on warehouse.s.secret
deny_count() { mf_audit_count "$UUID_" "*" /warehouse/s/secret deny; }
# first_line FILE
first_line() { timeout -k 5 "$MF_CMD_TIMEOUT" head -n 1 "$1" 2>&1; }

# ---------------------------------------------------------------- data
run_job setup "CREATE DATABASE s;
CREATE TABLE s.secret (a BIGINT, b STRING) TBLPROPERTIES ('header'='false');
CREATE TABLE s.block (a BIGINT, b STRING) TBLPROPERTIES ('header'='false');
GRANT SUBMIT ON PLATFORM warehouse TO USER $U;"
assert_eq "root's setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"
printf '1,x\n2,y\n3,z\n' >"$MF_TMP/rows.csv"
cp "$MF_TMP/rows.csv" "$W/s/secret/part-0.csv" || mf_abort "cp into s.secret"
cp "$MF_TMP/rows.csv" "$W/s/block/part-0.csv" || mf_abort "cp into s.block"
Q="SELECT count(*) AS n FROM s.secret;"
run_job as_root "$Q"
assert_eq "the statement succeeds as root" "succeeded" "$STATE" || note "$STATUS"
assert_eq "and counts the rows" "3" "$(tail -n +2 "$J/as_root/result" 2>&1)"
printf '%s\n' "$Q" >"$MF_TMP/uq.sql"
chmod 644 "$MF_TMP/uq.sql"

# ---------------------------------------------------------------- hold the only worker
BLOCKFILE=$(find "$DS/s/block" -type f -name '*.csv' | head -n 1)
[ -n "$BLOCKFILE" ] || mf_abort "s.block's data file is in the data store" "$(find "$DS" 2>&1)"
rm -f "$BLOCKFILE" && mkfifo "$BLOCKFILE" || mf_abort "replace $BLOCKFILE with a FIFO"
printf 'SELECT count(*) FROM s.block;\n' >"$MF_TMP/block.sql"
cp "$MF_TMP/block.sql" "$J/block.sql" || mf_abort "submit the blocking job"
mf_poll 10 sh_c '[ "$(head -n 1 "$1")" = running ]' _ "$J/block/status" ||
	mf_abort "the blocking job runs" "$(cat "$J/block/status" 2>&1)"

# ---------------------------------------------------------------- U submits, the daemon dies
assert_ok "U submits a job reading s.secret (SUBMIT on warehouse)" mf_as "$U" cp "$MF_TMP/uq.sql" "$J/uq.sql"
assert_ok "U submits a second one" mf_as "$U" cp "$MF_TMP/uq.sql" "$J/uq2.sql"
assert_eq "U's run is queued behind the blocking job" "queued" "$(first_line "$J/uq/status")"
assert_eq "so is U's second run" "queued" "$(first_line "$J/uq2/status")"
assert_eq "the run's owner file holds U's uid:gid" "$UUID_:$UGID" "$(cat "$JD/uq/1/owner" 2>&1)"
assert_match "its status names the owner" "owner: $UUID_:$UGID" "$(cat "$J/uq/status" 2>&1)"
DENY0=$(deny_count)

kill -9 "$MF_DPID" 2>/dev/null
mf_wait_pid_gone "$MF_DPID" 10 || fail "the daemon dies on SIGKILL"
fusermount3 -uz "$M" 2>/dev/null
rm -f "$BLOCKFILE"   # s.block is not read again: its run was interrupted
rm -f "$JD/uq2/1/owner"
assert_eq "U's first run is still recorded as queued on disk" "queued" "$(first_line "$JD/uq/1/status")"

# ---------------------------------------------------------------- after the restart
mf_mount "$H" "$M" -o allow_other || mf_abort "remount after kill -9"
assert_eq "the interrupted blocking run is failed" "failed" "$(first_line "$J/block/status")"
ST=$(timeout -k 5 120 cat "$J/uq/wait" 2>&1)
assert_eq "U's run ran after the restart and failed" "failed" "$(printf '%s\n' "$ST" | head -n 1)" || note "$ST"
assert_match "with the permission error naming U's uid" "permission denied: uid $UUID_ lacks SELECT" "$ST"
assert_not_exists "it wrote no result" "$J/uq/result"
if [ "$(deny_count)" -gt "$DENY0" ]; then
	pass "the denial is audited with U's uid ($DENY0 -> $(deny_count))"
else
	fail "the denial is audited with U's uid" "$(tail -n 15 "$AUDIT" 2>&1)"
fi
ST2=$(timeout -k 5 120 cat "$J/uq2/wait" 2>&1)
assert_eq "U's run without an owner file is failed" "failed" "$(printf '%s\n' "$ST2" | head -n 1)"
assert_match "because no submitter is recorded" "no submitter recorded" "$ST2"
assert_ok "U reads the status of U's own run" mf_as "$U" cat "$J/uq/status"

mf_finish
