#!/usr/bin/env bash
# test_e2e.sh - the README's setup-and-run command, tools/demo.sh, end to end
# in a temporary DEMO_DIR with the receiver on a free port: generated data,
# the feature job, the sync rule, the pipelines (activated by the daemon, or
# run by the script when the daemon has no pipelines/), and the message the
# local webhook receiver got.  The mount and the receiver the demo leaves up
# are stopped at the end, even when a check fails.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

: "${METAFS_PIPELINE:=$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}"
export METAFS_PIPELINE

mf_require_fuse
mf_require_binaries
mf_tmpdir
D=$MF_TMP/demo
DM=$D/mnt
mf_register_mount "$DM"    # lib.sh's cleanup unmounts it and stops its daemon

# the receiver the demo starts is stopped by pid, whatever happens (the pid
# is read as soon as the demo returns: lib.sh's cleanup removes $D)
RPID=
stop_receiver() {
	local pid=${RPID:-$(cat "$D/webhook.pid" 2>/dev/null)}
	[ -n "$pid" ] || return 0
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q webhook_receiver.py; then
		kill -TERM "$pid" 2>/dev/null
		mf_wait_pid_gone "$pid" 3 || kill -KILL "$pid" 2>/dev/null
	fi
}
# shellcheck disable=SC2317  # called by the EXIT trap
e2e_on_exit() {
	local rc=$?
	stop_receiver
	(exit "$rc")
	mf_on_exit
}
trap 'e2e_on_exit' EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OUT=$MF_TMP/demo.out
DEMO_DIR=$D DEMO_PORT=$PORT DEMO_ROWS=30000 DEMO_SKIP_BUILD=1 \
	timeout -k 5 300 bash "$METAFS_SRCDIR/tools/demo.sh" >"$OUT" 2>&1 </dev/null
RC=$?
RPID=$(cat "$D/webhook.pid" 2>/dev/null)
assert_eq "tools/demo.sh exits 0" "0" "$RC" || note "$(tail -n 30 "$OUT")"
assert_ok "the demo leaves the mount up" mountpoint -q "$DM"
assert_match "the demo starts the receiver on the given port" "listening on http://127.0.0.1:$PORT/" "$(cat "$OUT")"
assert_match "the demo generates the calls" "wrote 30000 rows" "$(grep -F 'wrote 30000 rows' "$OUT")"
assert_eq "the calls are in warehouse, one partition a day and the new day" "7" \
	"$(find "$DM/warehouse/ucaas/calls" -mindepth 1 -maxdepth 1 -name 'dt=*' 2>/dev/null | wc -l)"
assert_eq "the feature job succeeded" "succeeded" "$(head -n 1 "$DM/jobs/call_features/status" 2>&1)"
assert_eq "the daily job succeeded" "succeeded" "$(head -n 1 "$DM/jobs/daily/status" 2>&1)"
assert_eq "lake's .refresh lists the feature table's seven partitions" "7" \
	"$(grep -c '^dt=' "$DM/lake/ucaas/call_features/.refresh" 2>&1)"
assert_match "the demo prints what the channel received" "what the channel received" "$(grep -F '== what the channel received' "$OUT")"
RECEIVED=$(sed -n '/^== what the channel received/,$p' "$OUT")
assert_match "the printed messages carry the token" "Authorization: Bearer demo-token" "$RECEIVED"
assert_match "the printed messages include the trained model and its AUC" "trained.*AUC[: ]+0?\.[0-9]+" "$(printf "%s" "$RECEIVED" | tr "\n" " ")"
assert_match "the printed messages include the prediction" "rows scored" "$RECEIVED"
# One training on the six days (asked for), one on the seven once the new
# day is in the feature table; the new day of calls alone runs nothing, and
# the predict pipeline's first run scores the new day only (its `since`).
assert_match "the demo trains twice and predicts once" "trainings: 2, predictions: 1" "$(grep -F 'trainings:' "$OUT")"
assert_match "the first training is on six partitions" "snapshot [0-9]+, 6 partitions" \
	"$(printf "%s" "$RECEIVED" | grep -F 'source: lake/ucaas/call_features' | head -n 1)"
assert_match "the second training is on seven partitions" "snapshot [0-9]+, 7 partitions" \
	"$(printf "%s" "$RECEIVED" | grep -F 'source: lake/ucaas/call_features' | sed -n 2p)"
assert_match "the prediction scores the new day's 5000 rows only" " 5000 rows scored" "$RECEIVED"
for r in ap-south eu-west sa-east us-east; do
	assert_match "the prediction has a line for $r" $'\n  [^\n]*'"$r" "$RECEIVED"
done
assert_match "the demo says how to unmount" "fusermount3 -u $D/mnt" "$(grep -F 'unmount with' "$OUT")"
assert_match "the demo says how to stop the receiver" "stop it with: kill [0-9]+" "$(grep -F 'stop it with' "$OUT")"
if [ -d "$DM/pipelines" ]; then
	pass "the daemon has pipelines/ (activation)"
	assert_eq "pipelines/ lists the two definitions" "call_quality_predict
call_quality_predict.ini
call_quality_train
call_quality_train.ini" "$(mf_ls "$DM/pipelines")"
	assert_match "the predict pipeline's status shows exit_code 0" 'exit_code[:= ]+0\b' \
		"$(cat "$DM/pipelines/call_quality_predict/status" 2>&1)"
	assert_match "the train pipeline's status shows exit_code 0" 'exit_code[:= ]+0\b' \
		"$(cat "$DM/pipelines/call_quality_train/status" 2>&1)"
else
	fail "the daemon has pipelines/ (activation)" "$DM/pipelines is missing: the demo ran metafs-pipeline itself"
fi

stop_receiver
if mf_umount "$DM"; then pass "the demo's mount unmounts cleanly"; else fail "the demo's mount unmounts cleanly"; fi
mf_finish
