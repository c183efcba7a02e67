#!/usr/bin/env bash
# test_sync_targets.sh - who a rule's target objects belong to, and who may
# run a rule or a pipeline, with real users on one mount (-o allow_other):
#   - bob (CREATE on lake) makes lake/sec before root defines a rule on
#     warehouse.sec.*: the rule reports the database as a conflict (status,
#     diff, log) and mirrors nothing into it, so bob never reads the source
#     through a mirror of his;
#   - alice (SYNC on warehouse.fin and lake) cannot take over bob's lake/fin
#     with `adopt = fin` without ADMIN on it, nor without SELECT on the
#     source; with both she can, and the mirror is the daemon's;
#   - bob cannot run root's or alice's rule by reading sync/NAME/run, nor
#     root's pipeline by reading pipelines/NAME/run (EACCES, audited); the
#     owner can; a user with SYNC on both ends of a rule can run it;
#   - an interval below 1s is refused with its line.
# Needs root (it creates users); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_shared_home
ALICE=mft_$$_alice
BOB=mft_$$_bob
mf_add_user "$ALICE"
mf_add_user "$BOB"
AUID=$(id -u "$ALICE")
BUID=$(id -u "$BOB")
mf_mount_shared
S=$M/sync
L=$M/lake

# ---------------------------------------------------------------- the superuser's data
for t in sec/secret fin/ledger; do
	mkdir -p "$W/$t" || mf_abort "mkdir $t"
	mf_put_schema "$W/$t" $'format csv\nheader true\ncolumn id bigint\ncolumn ssn string\npartition dt date\n' ||
		mf_abort ".schema of $t" "$MF_OUT"
	mkdir "$W/$t/dt=2024-05-01" || mf_abort "mkdir a partition of $t"
	printf 'id,ssn\n1,123-45-6789\n' >"$MF_TMP/p.csv"
	cp "$MF_TMP/p.csv" "$W/$t/dt=2024-05-01/part-0.csv" || mf_abort "cp into $t"
done
run_job g0 "GRANT CREATE ON PLATFORM lake TO USER $BOB;
GRANT SYNC ON DATABASE warehouse.fin TO USER $ALICE;
GRANT SYNC ON PLATFORM lake TO USER $ALICE;"
assert_eq "root's grants succeed" "succeeded" "$STATE" || note "$STATUS"

# ---------------------------------------------------------------- squatting a mirror's database
assert_ok "bob (CREATE on lake) makes lake/sec first" mf_as "$BOB" mkdir "$L/sec"
assert_ok "and lake/fin" mf_as "$BOB" mkdir "$L/fin"
printf 'source = warehouse.sec.*\ntarget = lake\nmirror = schema, properties, partitions\n' >"$MF_TMP/sec.rule"
assert_ok "root defines a rule on warehouse.sec.*" cp "$MF_TMP/sec.rule" "$S/sec.rule"
RUN=$(cat "$S/sec/run" 2>&1)
assert_match "the run fails" "^failed" "$RUN"
assert_match "on the database bob made" \
	"reason: database sec exists on lake and was not created by rule sec" "$RUN"
assert_match "the status says so" "reason: database sec exists on lake and was not created by rule sec" \
	"$(cat "$S/sec/status" 2>&1)"
assert_match "diff says so" "conflict: database sec exists on lake and was not created by rule sec" \
	"$(cat "$S/sec/diff" 2>&1)"
assert_file_contains "the log says so" "$M/.metafs/log" \
	"sync rule sec failed: database sec exists on lake and was not created by rule sec"
assert_not_exists "nothing is mirrored into bob's database" "$L/sec/secret"
expect_fail_errno "bob reads no .refresh of the secret table" "No such file" \
	mf_as "$BOB" cat "$L/sec/secret/.refresh"
assert_eq "the audit has no read of the mirror of bob's allowed" "0" \
	"$(mf_audit_count "$BUID" read "/lake/sec*" allow)"
expect_fail_errno "bob cannot read the source either" "Permission denied" \
	mf_as "$BOB" cat "$W/sec/secret/dt=2024-05-01/part-0.csv"

# ---------------------------------------------------------------- adopting needs ADMIN on it
printf 'source = warehouse.fin.*\ntarget = lake\nmirror = schema, partitions\n' >"$MF_TMP/fin.rule"
printf 'adopt = fin\n' | cat "$MF_TMP/fin.rule" - >"$MF_TMP/fin_adopt.rule"
chmod 644 "$MF_TMP/fin.rule" "$MF_TMP/fin_adopt.rule"
assert_ok "alice (SYNC on warehouse.fin and lake) defines rule fin" \
	mf_as "$ALICE" cp "$MF_TMP/fin.rule" "$S/fin.rule"
assert_match "its run meets bob's lake/fin" \
	"reason: database fin exists on lake and was not created by rule fin" "$(mf_as "$ALICE" cat "$S/fin/run" 2>&1)"
assert_not_exists "and mirrors nothing there" "$L/fin/ledger"
expect_fail_errno "alice cannot adopt bob's lake/fin without ADMIN on it" "Permission denied" \
	mf_as "$ALICE" cp "$MF_TMP/fin_adopt.rule" "$S/fin.rule"
mf_check_audit "the refused adoption is audited" "$AUID" sync /lake/fin deny
assert_file_contains "the log says what is missing" "$M/.metafs/log" \
	"permission denied: ADMIN is needed on /lake/fin to adopt it"
run_job g1 "GRANT ADMIN ON DATABASE lake.fin TO USER $ALICE;"
assert_eq "root grants alice ADMIN on lake.fin" "succeeded" "$STATE" || note "$STATUS"
expect_fail_errno "with ADMIN on it but no SELECT on the source, still refused" "Permission denied" \
	mf_as "$ALICE" cp "$MF_TMP/fin_adopt.rule" "$S/fin.rule"
mf_check_audit "that refusal is audited" "$AUID" sync /warehouse/fin deny
run_job g2 "GRANT SELECT ON DATABASE warehouse.fin TO USER $ALICE;"
assert_eq "root grants alice SELECT on warehouse.fin" "succeeded" "$STATE" || note "$STATUS"
assert_ok "with both alice adopts lake/fin" mf_as "$ALICE" cp "$MF_TMP/fin_adopt.rule" "$S/fin.rule"
mf_check_audit "the adoption is audited" "$AUID" sync /lake/fin allow
assert_match "the rule runs" "^idle" "$(mf_as "$ALICE" cat "$S/fin/run" 2>&1)"
assert_exists "the mirror is in lake/fin" "$L/fin/ledger/.schema"
assert_eq "the mirror belongs to the daemon's user" "0" "$(stat -c %u "$L/fin/ledger" 2>&1)"

# ---------------------------------------------------------------- running needs the rule
expect_fail_errno "bob cannot run root's rule" "Permission denied" mf_as "$BOB" cat "$S/sec/run"
mf_check_audit "the refused run is audited" "$BUID" sync /sync/sec/run deny
expect_fail_errno "bob cannot run alice's rule" "Permission denied" mf_as "$BOB" cat "$S/fin/run"
mf_check_audit "that refused run is audited" "$BUID" sync /sync/fin/run deny
expect_fail_errno "alice cannot run root's rule (no SYNC on warehouse.sec)" "Permission denied" \
	mf_as "$ALICE" cat "$S/sec/run"
mf_check_audit "her refused run is audited" "$AUID" sync /sync/sec/run deny
mf_check_audit "her own runs are audited as allowed" "$AUID" sync /sync/fin/run allow
run_job g3 "GRANT SYNC ON DATABASE warehouse.fin TO USER $BOB;
GRANT SYNC ON PLATFORM lake TO USER $BOB;"
assert_eq "root grants bob SYNC on both ends of rule fin" "succeeded" "$STATE" || note "$STATUS"
assert_match "with SYNC on both ends bob runs alice's rule" "^idle" "$(mf_as "$BOB" cat "$S/fin/run" 2>&1)"
mf_check_audit "his run is audited as allowed" "$BUID" sync /sync/fin/run allow

# ---------------------------------------------------------------- interval minimum
printf 'source = warehouse.sec.*\ntarget = lake\ninterval = 1ms\n' >"$MF_TMP/fast.rule"
expect_fail_errno "a rule with interval = 1ms is refused" "Invalid argument" cp "$MF_TMP/fast.rule" "$S/fast.rule"
assert_not_exists "it does not exist" "$S/fast.rule"
assert_file_contains "the log names the line" "$M/.metafs/log" \
	"refused sync rule fast: line 3: interval '1ms' is shorter than 1s (0 for none)"

# ---------------------------------------------------------------- running a pipeline needs its owner
{
	printf '[pipeline]\nname = p\nsource = warehouse/sec/secret\noperation = train\n'
	printf 'features = id\nlabel = id\n'
} >"$MF_TMP/p.ini"
if cp "$MF_TMP/p.ini" "$M/pipelines/p.ini" 2>"$MF_TMP/err"; then
	expect_fail_errno "bob cannot run root's pipeline" "Permission denied" \
		mf_as "$BOB" cat "$M/pipelines/p/run"
	mf_check_audit "the refused run is audited" "$BUID" pipeline /pipelines/p/run deny
	timeout -k 5 120 cat "$M/pipelines/p/run" >/dev/null 2>&1
	mf_check_audit "root's run is audited as allowed" 0 pipeline /pipelines/p/run allow
else
	fail "root defines a pipeline" "$(cat "$MF_TMP/err")" "$(tail -n 3 "$M/.metafs/log")"
fi

mf_finish
