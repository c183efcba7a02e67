#!/usr/bin/env bash
# test_jobs_names.sh - job names are per submitter: a user cannot add a run
# to another user's job.
#
# Users A and B hold SUBMIT on warehouse (mount with -o allow_other).  A
# submits jobs/daily.sql; B then fails to overwrite it (cp, >, >>), to
# rename its own job file onto it and to remove it; each refusal that
# reaches the daemon is audited as B's denied submit of /jobs/daily.sql
# naming A, and logged.  A's daily/status and result stay A's, and A still
# submits new runs.  The same holds for a job of root's (the case from the
# report: root's `nightly` must not become B's), for root writing A's job
# (no superuser exception), for a name B has opened but not yet written,
# and after a restart, also for a job whose owner file is missing (its
# first run's submitter owns it).  Needs root.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_shared_home
A=mfn_$$_a
B=mfn_$$_b
mf_add_user "$A"
mf_add_user "$B"
AUID=$(id -u "$A")
BUID=$(id -u "$B")
mf_mount_shared
J=$M/jobs
JD=$H/manager/jobs
chmod 755 "$SRC"

first_line() { timeout -k 5 "$MF_CMD_TIMEOUT" head -n 1 "$1" 2>&1; }
# submit_as USER NAME SQL : USER writes SQL to jobs/NAME.sql with cp
submit_as() {
	printf '%s\n' "$3" >"$SRC/$1-$2.sql"
	chmod 644 "$SRC/$1-$2.sql"
	mf_as "$1" cp "$SRC/$1-$2.sql" "$J/$2.sql"
}
# wait_as USER NAME : USER reads jobs/NAME/wait
wait_as() { mf_as "$1" timeout -k 5 120 cat "$J/$2/wait" 2>&1; }
# refused_count NAME : audit lines denying B a submit of NAME.sql, naming its owner
refused_count() { mf_audit_count "$BUID" submit "/jobs/$1.sql" deny "belongs to uid"; }

run_job setup "GRANT SUBMIT ON PLATFORM warehouse TO USER $A;
GRANT SUBMIT ON PLATFORM warehouse TO USER $B;"
assert_eq "root's setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"

# ---------------------------------------------------------------- A's job
assert_ok "A submits jobs/daily.sql" submit_as "$A" daily "SELECT 'from A' AS who;"
assert_eq "A's run succeeds" "succeeded" "$(wait_as "$A" daily | head -n 1)"
assert_eq "A's result" "from A" "$(mf_as "$A" cat "$J/daily/result" 2>&1 | tail -n +2)"
assert_eq "daily's owner file holds A's uid" "$AUID" "$(cat "$JD/daily/owner" 2>&1)"
assert_ok "B submits a job of B's own" submit_as "$B" bjob "SELECT 'from B' AS who;"
wait_as "$B" bjob >/dev/null

# ---------------------------------------------------------------- B against A's job
N0=$(refused_count daily)
printf "SELECT 'from B' AS who;\n" >"$SRC/evil.sql"
chmod 644 "$SRC/evil.sql"
expect_fail_errno "B cannot overwrite A's daily.sql with cp" "Permission denied" \
	mf_as "$B" cp "$SRC/evil.sql" "$J/daily.sql"
expect_fail_errno "nor with >" "Permission denied" \
	mf_as_sh "$B" "cat '$SRC/evil.sql' >'$J/daily.sql'"
expect_fail_errno "nor with >>" "Permission denied" \
	mf_as_sh "$B" "cat '$SRC/evil.sql' >>'$J/daily.sql'"
assert_fails "B cannot rename B's job file onto daily.sql" mf_as "$B" mv -f "$J/bjob.sql" "$J/daily.sql"
assert_fails "nor move a file of B's onto it" mf_as "$B" mv -f "$SRC/evil.sql" "$J/daily.sql"
assert_fails "nor remove it" mf_as "$B" rm -f "$J/daily.sql"
assert_fails "B's access(W_OK) on daily.sql says no" mf_as "$B" test -w "$J/daily.sql"
assert_ok "A's access(W_OK) on daily.sql says yes" mf_as "$A" test -w "$J/daily.sql"
N1=$(refused_count daily)
if [ "$N1" -ge $((N0 + 3)) ]; then
	pass "B's refused submits are audited as deny, naming A's uid ($N0 -> $N1)"
else
	fail "B's refused submits are audited as deny, naming A's uid ($N0 -> $N1)" "$(tail -n 15 "$AUDIT")"
fi
mf_check_audit "the audit line names A's uid" "$BUID" submit /jobs/daily.sql deny "job daily belongs to uid $AUID"
assert_match "the refusal is logged, naming the owner" \
	"refused job file \"daily.sql\" from uid $BUID: job daily belongs to uid $AUID" \
	"$(cat "$M/.metafs/log" 2>&1)"
assert_eq "daily still has one run" "1" "$(mf_ls "$J/daily/runs" | wc -l)"
assert_match "daily's run is A's" "^$AUID:" "$(cat "$JD/daily/1/owner" 2>&1)"
assert_eq "daily's status is readable by A" "succeeded" "$(mf_as "$A" head -n 1 "$J/daily/status" 2>&1)"
assert_eq "daily's result is A's" "from A" "$(mf_as "$A" cat "$J/daily/result" 2>&1 | tail -n +2)"
assert_eq "daily.sql is A's text" "SELECT 'from A' AS who;" "$(mf_as "$A" cat "$J/daily.sql" 2>&1)"
assert_fails "B still cannot read A's run" mf_as "$B" cat "$J/daily/result"
assert_ok "bjob.sql is still there" test -f "$J/bjob.sql"
assert_ok "A submits a second run of daily" submit_as "$A" daily "SELECT 'A again' AS who;"
assert_eq "A's second run succeeds" "succeeded" "$(wait_as "$A" daily | head -n 1)"
assert_eq "and is run 2" "2" "$(mf_ls "$J/daily/runs" | wc -l)"
assert_eq "A reads the second result" "A again" "$(mf_as "$A" cat "$J/daily/result" 2>&1 | tail -n +2)"

# ---------------------------------------------------------------- root's job, root on A's
run_job nightly "SELECT 'from root' AS who;"
assert_eq "root's job nightly succeeds" "succeeded" "$STATE"
expect_fail_errno "B cannot overwrite root's nightly.sql" "Permission denied" \
	mf_as "$B" cp "$SRC/evil.sql" "$J/nightly.sql"
assert_eq "nightly's result is root's" "from root" "$(tail -n +2 "$J/nightly/result" 2>&1)"
assert_match "nightly's run is root's" "^0:" "$(cat "$JD/nightly/1/owner" 2>&1)"
mf_check_audit "B's refusal on nightly is audited" "$BUID" submit /jobs/nightly.sql deny "belongs to uid 0"
expect_fail_errno "root cannot add a run to A's daily either" "Permission denied" \
	cp "$SRC/evil.sql" "$J/daily.sql"
assert_eq "daily still has two runs" "2" "$(mf_ls "$J/daily/runs" | wc -l)"

# ---------------------------------------------------------------- a name being written
mf_as_sh "$B" "exec 3>'$J/bnew.sql' && sleep 3 && echo 'SELECT 3 AS n;' >&3" &
BG=$!
mf_poll 5 test -e "$JD/bnew/owner" || fail "B's open of bnew.sql declares the job" "$(ls -la "$JD" 2>&1)"
expect_fail_errno "A cannot take a name B opened and has not written yet" "Permission denied" \
	submit_as "$A" bnew "SELECT 'A took it' AS who;"
wait "$BG"
assert_eq "B's run of bnew succeeds" "succeeded" "$(wait_as "$B" bnew | head -n 1)"
assert_eq "bnew's result is B's" "3" "$(mf_as "$B" cat "$J/bnew/result" 2>&1 | tail -n +2)"
assert_eq "bnew has one run" "1" "$(mf_ls "$J/bnew/runs" | wc -l)"

# ---------------------------------------------------------------- after a restart
mf_umount "$M" || mf_abort "unmount"
rm -f "$JD/daily/owner"   # a job from before owners were recorded
mf_mount "$H" "$M" -o allow_other || mf_abort "mount again"
expect_fail_errno "after a restart, B still cannot write daily.sql (owned by its first submitter)" \
	"Permission denied" mf_as "$B" cp "$SRC/evil.sql" "$J/daily.sql"
expect_fail_errno "nor nightly.sql" "Permission denied" mf_as "$B" cp "$SRC/evil.sql" "$J/nightly.sql"
assert_ok "A still submits daily" submit_as "$A" daily "SELECT 'A after restart' AS who;"
assert_eq "A's third run succeeds" "succeeded" "$(wait_as "$A" daily | head -n 1)"
assert_eq "with A's result" "A after restart" "$(mf_as "$A" cat "$J/daily/result" 2>&1 | tail -n +2)"
for r in 1 2 3; do
	assert_match "daily run $r is A's" "^$AUID:" "$(cat "$JD/daily/$r/owner" 2>&1)"
done
assert_eq "B's bjob is B's" "$BUID" "$(cat "$JD/bjob/owner" 2>&1)"

mf_finish
