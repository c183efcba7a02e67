#!/usr/bin/env bash
# test_pipeline_owner.sh - a pipeline runs as the user who defined it.
#
# As root, with a real user U and a mount with -o allow_other: call data in
# warehouse, a sync rule mirroring it into lake, SELECT on the lake table
# granted to U by a job of root's.  U writes a pipeline definition (no
# webhook: each run's message goes to the outbox) into MOUNT/pipelines/;
# its runs must:
#   - run: exit code 0 in its status, owner: U's uid
#   - run as U: the outbox file it wrote and its state directory are U's,
#     and /.metafs/audit has U's reads of the lake table, allowed
#   - once U's SELECT is revoked, fail with the permission error in the
#     status and log, be audited as denied with U's uid, and spool nothing
#     new although new data arrived
# and a user V without SELECT on the source cannot define a pipeline on it
# (EACCES on close, audited).  Needs root; skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

: "${METAFS_PIPELINE:=$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}"
export METAFS_PIPELINE
WAIT_SYNC=10      # seconds for a mirror to appear

mf_require_root
mf_require_fuse
mf_require_binaries
[ -x "$METAFS_PIPELINE" ] || mf_abort "metafs-pipeline is built" "$METAFS_PIPELINE is missing"
mf_tmpdir
chmod 711 "$MF_TMP"   # the users reach the mount point, nothing else
mf_init
U=mfp_$$_u
V=mfp_$$_v
mf_add_user "$U"
mf_add_user "$V"
UUID_=$(id -u "$U")
UGID=$(id -g "$U")
VUID=$(id -u "$V")
mf_mount "$H" "$M" -o allow_other || mf_abort "mount with -o allow_other"
AUDIT=$H/manager/audit.log
PL=$M/pipelines
PSTATE=$H/pipeline-state/$UUID_/calls_u
OUTBOX=$PSTATE/outbox

# outbox_count : messages in U's outbox
outbox_count() { find "$OUTBOX" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }
# runs : the runs: line of the pipeline's status
runs() { awk '$1 == "runs:" {print $2}' "$PL/calls_u/status" 2>/dev/null; }

# ---------------------------------------------------------------- data, rule, grant
mkdir -p "$W/ucaas/calls" || mf_abort "mkdir $W/ucaas/calls"
"$METAFS" gen --print-schema >"$MF_TMP/calls.schema"
cp "$MF_TMP/calls.schema" "$W/ucaas/calls/.schema" || mf_abort "the calls schema"
mf_run "$METAFS" gen --rows 3000 --days 2 --seed 42 "$W/ucaas/calls" || mf_abort "metafs gen into warehouse" "$MF_OUT"
printf 'source = warehouse.ucaas.calls\ntarget = lake\n' >"$MF_TMP/ucaas.rule"
cp "$MF_TMP/ucaas.rule" "$M/sync/ucaas.rule" || mf_abort "the sync rule"
mf_poll "$WAIT_SYNC" test -e "$L/ucaas/calls/.refresh" ||
	mf_abort "the mirror appears in lake" "$(cat "$M/sync/ucaas/status" 2>&1)"
assert_eq "the mirror lists the two days" "2" "$(grep -c '^dt=' "$L/ucaas/calls/.refresh" 2>&1)"

run_job grant_u "GRANT SELECT ON TABLE lake.ucaas.calls TO USER $U;"
assert_eq "root's GRANT of SELECT on the lake table succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_ok "U reads the lake table's .refresh" mf_as "$U" cat "$L/ucaas/calls/.refresh"
expect_fail_errno "U cannot read the warehouse table" "Permission denied" \
	mf_as "$U" cat "$W/ucaas/calls/.table"

# the definition: train, no webhook, no state key (the daemon's state-UID)
{
	printf '[pipeline]\nname = calls_u\nsource = lake/ucaas/calls\noperation = train\n'
	printf 'features = jitter_ms, packet_loss_pct, latency_ms, participants, duration_s\n'
	printf 'label = dropped\n'
	printf '\n[xgboost]\nobjective = binary:logistic\nmax_depth = 3\neta = 0.3\n'
	printf 'num_round = 10\nseed = 7\nholdout = 0.2\n'
} >"$MF_TMP/calls_u.ini"
sed 's/calls_u/calls_v/' "$MF_TMP/calls_u.ini" >"$MF_TMP/calls_v.ini"
chmod 644 "$MF_TMP/calls_u.ini" "$MF_TMP/calls_v.ini"

# ---------------------------------------------------------------- a user without SELECT
expect_fail_errno "V (no SELECT on the source) cannot define the pipeline" "Permission denied" \
	mf_as_sh "$V" "cat '$MF_TMP/calls_v.ini' >'$PL/calls_v.ini'"
assert_not_exists "the refused definition does not exist" "$PL/calls_v.ini"
assert_not_exists "nor does its pipeline" "$PL/calls_v"
mf_check_audit "the refusal is audited as denied with V's uid" "$VUID" pipeline /lake/ucaas/calls deny

# ---------------------------------------------------------------- U defines and runs it
mf_run mf_as_sh "$U" "cat '$MF_TMP/calls_u.ini' >'$PL/calls_u.ini'"
assert_eq "U writes the definition into pipelines/" 0 "$MF_RC" || note "$MF_OUT"
mf_check_audit "the definition is audited as allowed with U's uid" "$UUID_" pipeline /lake/ucaas/calls allow
assert_match "the status names U as the owner" "owner: $UUID_" "$(cat "$PL/calls_u/status" 2>&1)"
READS0=$(mf_audit_count "$UUID_" read /lake/ucaas/calls allow)
# Activations may already be under way (the rule's runs): reading run waits
# for a run that starts after it.
RUN=$(timeout -k 5 300 cat "$PL/calls_u/run" 2>&1)
assert_match "the triggered run exits 0" "exit_code: 0" "$RUN" || note "$(tail -n 20 "$PL/calls_u/log" 2>&1)"
assert_match "the run trained the model" "trained" "$RUN"
assert_eq "the run spooled its message to the outbox" "1" "$(outbox_count)" ||
	note "$(ls -la "$PSTATE" "$OUTBOX" 2>&1)"
F=$(find "$OUTBOX" -maxdepth 1 -name '*.json' 2>/dev/null | head -n 1)
assert_eq "the outbox file is U's (uid:gid)" "$UUID_:$UGID" "$(stat -c %u:%g "${F:-/nonexistent}" 2>&1)"
assert_eq "U's state directory is U's, private" "$UUID_ 700" "$(stat -c '%u %a' "$H/pipeline-state/$UUID_" 2>&1)"
assert_eq "the model it saved is U's" "$UUID_" "$(stat -c %u "$PSTATE/model.json" 2>&1)"
# its .refresh and each data file (two days) at least: more reads than before the run
READS1=$(mf_audit_count "$UUID_" read /lake/ucaas/calls allow)
if [ "$READS1" -ge $((READS0 + 3)) ]; then
	pass "its reads of the lake table are audited with U's uid, allowed ($READS0 -> $READS1)"
else
	fail "its reads of the lake table are audited with U's uid, allowed" "allowed reads before: $READS0, after: $READS1" \
		"$(tail -n 15 "$AUDIT" 2>&1)"
fi
assert_eq "no read of U's was denied so far" "0" "$(mf_audit_count "$UUID_" "*" "/lake*" deny)"

# ---------------------------------------------------------------- after REVOKE
run_job revoke_u "REVOKE SELECT ON TABLE lake.ucaas.calls FROM USER $U;"
assert_eq "root's REVOKE succeeds" "succeeded" "$STATE" || note "$STATUS"
expect_fail_errno "U can no longer read the lake table's .refresh" "Permission denied" \
	mf_as "$U" cat "$L/ucaas/calls/.refresh"
RUNS0=$(runs)
DENY0=$(mf_audit_count "$UUID_" "*" "/lake*" deny)   # the check above's included
# a new day arrives: a run allowed to read would train on it and spool a new message
mf_run "$METAFS" gen --rows 1000 --days 1 --start 2024-05-07 --seed 43 "$W/ucaas/calls" ||
	fail "a new day lands in warehouse" "$MF_OUT"
mf_poll "$WAIT_SYNC" sh_c '[ "$(grep -c "^dt=" "$1")" -eq 3 ]' _ "$L/ucaas/calls/.refresh" ||
	fail "the new day reaches the mirror" "$(cat "$M/sync/ucaas/status" 2>&1)"
RUN=$(timeout -k 5 300 cat "$PL/calls_u/run" 2>&1)
assert_ne "the run after the revoke does not exit 0" "exit_code: 0" \
	"$(printf '%s\n' "$RUN" | grep '^exit_code:')"
assert_match "its status says failed" "^failed" "$(cat "$PL/calls_u/status" 2>&1)"
assert_match "its log has the permission error" "Permission denied" "$(cat "$PL/calls_u/log" 2>&1)"
if [ "$(runs)" -gt "$RUNS0" ] 2>/dev/null; then
	pass "the pipeline did run again ($RUNS0 -> $(runs) runs)"
else
	fail "the pipeline did run again" "runs before: $RUNS0, after: $(runs)"
fi
if [ "$(mf_audit_count "$UUID_" "*" "/lake*" deny)" -gt "$DENY0" ]; then
	pass "its refused read is audited as denied with U's uid ($DENY0 -> $(mf_audit_count "$UUID_" "*" "/lake*" deny))"
else
	fail "its refused read is audited as denied with U's uid" "$(tail -n 15 "$AUDIT" 2>&1)"
fi
assert_eq "it delivered nothing new: still one message in the outbox" "1" "$(outbox_count)"

mf_finish
