#!/usr/bin/env bash
# test_pipeline_activation.sh - when the daemon runs a pipeline:
#   (a) a commit to another table, or into another platform, runs none of a
#       table's pipelines (the other table's and platform's pipelines run);
#   (b) a burst of 5 commits to the source table gives one run;
#   (c) a train pipeline activated by a commit trains and posts once; a
#       sync of the same data does not activate it, and a run asked for over
#       the same input is skipped: one message at a real webhook receiver,
#       "skipped: input unchanged" in its status and log;
#   (d) a pipeline over its time limit is killed and recorded failed, while
#       another pipeline activated with it runs (two workers);
#   (e) the state survives a remount;
#   (f) a predict pipeline's first run scores every partition, or with
#       `since` (or --since) only what came after a snapshot.
# The daemon runs a wrapper as metafs-pipeline (METAFS_PIPELINE): it notes
# each run in a file, sleeps for a pipeline named slow*, prints for count*
# and quick*, and runs the real metafs-pipeline for the others.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

REAL_PIPELINE=${METAFS_PIPELINE:-$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}
RECEIVER=$METAFS_SRCDIR/tools/webhook_receiver.py
TOKEN=act-token

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init --platform warehouse --platform lake --platform edge
# a debounce long enough for a burst of commits made by a script
sed -i 's/^\[metafs\]$/[metafs]\npipeline_debounce_ms = 1500\npipeline_workers = 2\npipeline_timeout = 600/' "$H/metafs.ini"
grep -q '^pipeline_debounce_ms = 1500' "$H/metafs.ini" ||
	printf '[metafs]\npipeline_debounce_ms = 1500\npipeline_workers = 2\npipeline_timeout = 600\n' >>"$H/metafs.ini"
# metafs.ini's pipeline keys are checked when the daemon starts
for bad in "pipeline_workers = 0" "pipeline_timeout = soon" "pipeline_debounce_ms = -1"; do
	rm -rf "$MF_TMP/badhome"
	"$METAFS" init "$MF_TMP/badhome" >/dev/null 2>&1
	printf '[metafs]\n%s\n' "$bad" >>"$MF_TMP/badhome/metafs.ini"
	mkdir -p "$MF_TMP/badmnt"
	mf_register_mount "$MF_TMP/badmnt"   # unmounted at the end should it mount
	mf_run "$METAFSD" --home "$MF_TMP/badhome" "$MF_TMP/badmnt"
	assert_ne "metafsd refuses $bad" "0" "$MF_RC"
	assert_match "... naming the key" "bad ${bad%% *}" "$MF_OUT"
done
E=$M/edge
PST=$MF_TMP/pst
RUNS=$MF_TMP/runs.log
mkdir -p "$PST"
: >"$RUNS"
cat >"$MF_TMP/pipeline.sh" <<EOF
#!/usr/bin/env bash
def=\${!#}
name=\$(basename "\$def" .ini)
echo "\$name" >>"$RUNS"
case \$name in
slow*) exec sleep 300 ;;
count* | quick*) echo "\$name: ran"; exit 0 ;;
esac
exec "$REAL_PIPELINE" "\$@"
EOF
chmod +x "$MF_TMP/pipeline.sh"
export METAFS_PIPELINE=$MF_TMP/pipeline.sh
mf_mount || mf_abort "mount $H on $M"

# runs NAME: the runs: line of pipeline NAME's status
runs() { awk '$1 == "runs:" {print $2}' "$M/pipelines/$1/status" 2>/dev/null; }
# noted NAME: how many times the wrapper started NAME
noted() { grep -cx -- "$1" "$RUNS"; }
# sync_last RULE: the rule's last run, as its history shows it
sync_last() { tail -n 1 "$M/sync/$1/history" 2>/dev/null; }
# rows DAY N: a CSV partition file of N rows
rows() {
	local i
	echo "id,x,y,label"
	for ((i = 1; i <= $2; i++)); do
		echo "$i,$(((i * 37 + $1) % 100)).5,$(((i * 11) % 7)),$((((i * 37 + $1) % 100) > 50))"
	done
}
# commit TABLE DAY FILE: one file into partition dt=2024-05-DAY of warehouse.sales.TABLE
commit() {
	mkdir -p "$W/sales/$1/dt=2024-05-$2" &&
		rows "$2" 40 >"$MF_TMP/part.csv" &&
		cp "$MF_TMP/part.csv" "$W/sales/$1/dt=2024-05-$2/$3"
}
# settle: wait until every rule has caught up with warehouse's log, then a
# debounce period and more, so that an activation it made is due
settle() {
	mf_poll 20 sh_c '[ "$(cat "$1/sync/sales/lag")" = 0 ] && [ "$(cat "$1/sync/toedge/lag")" = 0 ]' _ "$M" || true
	sleep 3
	mf_poll 30 sh_c '! grep -qx running "$1"/pipelines/*/status' _ "$M" || true
}

for t in orders other; do
	mf_make_table "$W/sales/$t" $'format csv\nheader true\ncolumn id bigint\ncolumn x double\ncolumn y double\ncolumn label int\npartition dt date'
done
commit orders 01 part-0.csv || mf_abort "a first partition of sales.orders"
commit other 01 part-0.csv || mf_abort "a first partition of sales.other"
printf 'source = warehouse.sales.*\ntarget = lake\n' >"$MF_TMP/sales.rule"
printf 'source = warehouse.sales.other\ntarget = edge\n' >"$MF_TMP/toedge.rule"
assert_ok "a rule mirrors warehouse.sales.* to lake" cp "$MF_TMP/sales.rule" "$M/sync/sales.rule"
assert_ok "a rule mirrors warehouse.sales.other to edge" cp "$MF_TMP/toedge.rule" "$M/sync/toedge.rule"
mf_poll 10 test -e "$L/sales/orders/.schema" || mf_abort "the mirror lake/sales/orders appears"
mf_poll 10 test -e "$L/sales/other/.schema" || mf_abort "the mirror lake/sales/other appears"
mf_poll 10 test -e "$E/sales/other/.schema" || mf_abort "the mirror edge/sales/other appears"

# mkcount NAME SOURCE: a pipeline the wrapper only counts
mkcount() { printf '[pipeline]\nname = %s\nsource = %s\noperation = predict\nfeatures = x\n' "$1" "$2" >"$MF_TMP/$1.ini" &&
	cp "$MF_TMP/$1.ini" "$M/pipelines/$1.ini"; }
assert_ok "pipeline count on lake/sales/orders" mkcount count lake/sales/orders
assert_ok "pipeline count_other on lake/sales/other" mkcount count_other lake/sales/other
assert_ok "pipeline count_edge on edge/sales/other" mkcount count_edge edge/sales/other
settle
assert_eq "defining pipelines runs none of them" "0 0 0" "$(runs count) $(runs count_other) $(runs count_edge)"

# ---------------------------------------------------------------- (a) unrelated commits
SALES_BEFORE=$(sync_last sales)
assert_ok "(a) a commit to warehouse.sales.other" commit other 02 part-0.csv
if mf_poll 20 sh_c '[ "$(awk '"'"'$1 == "runs:" {print $2}'"'"' "$1")" = 1 ] && [ "$(awk '"'"'$1 == "runs:" {print $2}'"'"' "$2")" = 1 ]' _ \
	"$M/pipelines/count_other/status" "$M/pipelines/count_edge/status"; then
	pass "(a) the other table's pipelines run, on lake and on edge (${MF_POLL_ELAPSED}s)"
else
	fail "(a) the other table's pipelines run, on lake and on edge" "count_other: $(runs count_other), count_edge: $(runs count_edge)"
fi
settle
assert_ne "(a) the rule into lake ran for the commit" "$SALES_BEFORE" "$(sync_last sales)"
assert_eq "(a) a commit to another table does not run lake/sales/orders's pipeline" "0" "$(runs count)"
assert_eq "(a) ... and the wrapper never started it" "0" "$(noted count)"
assert_eq "(a) each of the other table's pipelines ran once" "1 1" "$(runs count_other) $(runs count_edge)"
assert_match "(a) the log says why a pipeline ran" "pipeline count_other activated: its source lake/sales/other changed" \
	"$(cat "$M/.metafs/log")"

# ---------------------------------------------------------------- (b) a burst
for i in 1 2 3 4 5; do
	commit orders 02 "part-$i.csv" || fail "(b) commit $i of 5 to warehouse.sales.orders"
done
if mf_poll 30 sh_c '[ "$(awk '"'"'$1 == "runs:" {print $2}'"'"' "$1")" -ge 1 ]' _ "$M/pipelines/count/status"; then
	pass "(b) a burst of 5 commits to the source runs the pipeline (${MF_POLL_ELAPSED}s)"
else
	fail "(b) a burst of 5 commits to the source runs the pipeline" "$(cat "$M/pipelines/count/status")"
fi
settle
assert_eq "(b) ... once" "1" "$(runs count)"
assert_eq "(b) ... and the wrapper started it once" "1" "$(noted count)"
assert_eq "(b) the burst ran none of sales.other's pipelines" "1 1" "$(runs count_other) $(runs count_edge)"

# ---------------------------------------------------------------- (c) train over the same input
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: >"$PST/hook.jsonl"
python3 "$RECEIVER" --port "$PORT" --token "$TOKEN" --log "$PST/hook.jsonl" >"$PST/hook.out" 2>&1 </dev/null &
MF_FG_PIDS+=("$!")
mf_poll 10 grep -q "listening on" "$PST/hook.out" || fail "setup: the webhook receiver listens" "$(cat "$PST/hook.out")"
msgs() { grep -c . "$PST/hook.jsonl"; }
{
	printf '[pipeline]\nname = trainer\nsource = lake/sales/orders\noperation = train\n'
	printf 'features = x, y\nlabel = label\nstate = %s\n' "$PST/trainer"
	printf '\n[xgboost]\nnum_round = 5\nmax_depth = 3\nholdout = 0.2\nseed = 3\n'
	printf '\n[output]\nwebhook_url = http://127.0.0.1:%s/hook\nwebhook_token = %s\nretries = 2\nbackoff_ms = 100\n' "$PORT" "$TOKEN"
} >"$MF_TMP/trainer.ini"
assert_ok "(c) a train pipeline on lake/sales/orders" cp "$MF_TMP/trainer.ini" "$M/pipelines/trainer.ini"
assert_ok "(c) a commit to warehouse.sales.orders" commit orders 03 part-0.csv
if mf_poll 60 sh_c '[ "$(awk '"'"'$1 == "runs:" {print $2}'"'"' "$1")" = 1 ] && [ "$(head -n 1 "$1")" != running ]' _ \
	"$M/pipelines/trainer/status"; then
	pass "(c) the sync activates the train pipeline (${MF_POLL_ELAPSED}s)"
else
	fail "(c) the sync activates the train pipeline" "$(cat "$M/pipelines/trainer/status")"
fi
assert_match "(c) the activated run trains" "model trainer trained" "$(cat "$M/pipelines/trainer/log")"
assert_eq "(c) the activated run posts one message" "1" "$(msgs)"
# the same data synced again (a full compare of the rule), then a run asked for
timeout -k 5 60 cat "$M/sync/sales/run" >/dev/null 2>&1
settle
assert_eq "(c) the sync of the same data does not activate the train pipeline" "1" "$(runs trainer)"
OUT2=$(timeout -k 5 120 cat "$M/pipelines/trainer/run" 2>&1)
assert_match "(c) the second run over the same input is skipped" "trainer: skipped: input unchanged" "$OUT2"
assert_eq "(c) it posts nothing: the receiver got one message" "1" "$(msgs)"
assert_match "(c) the status says so" $'(^|\n)result: skipped: input unchanged(\n|$)' "$(cat "$M/pipelines/trainer/status")"
assert_match "(c) the skipped run exits 0" $'(^|\n)exit_code: 0(\n|$)' "$(cat "$M/pipelines/trainer/status")"
assert_match "(c) the log says so" "skipped: input unchanged" "$(cat "$M/pipelines/trainer/log")"
assert_eq "(c) delivered counts the run that posted only" "1" "$(cat "$M/pipelines/trainer/delivered")"
assert_eq "(c) the train pipeline ran twice" "2" "$(runs trainer)"

# ---------------------------------------------------------------- (d) a time limit
printf '[pipeline]\nname = slow\nsource = lake/sales/other\noperation = predict\nfeatures = x\ntimeout = 6\n' >"$MF_TMP/slow.ini"
assert_ok "(d) a pipeline with a timeout of 6 s" cp "$MF_TMP/slow.ini" "$M/pipelines/slow.ini"
printf '[pipeline]\nname = slow\nsource = lake/sales/other\ntimeout = soon\n' >"$MF_TMP/bad.ini"
expect_fail_errno "(d) a timeout that is not a number is refused" "Invalid argument" cp "$MF_TMP/bad.ini" "$M/pipelines/slowbad.ini"
assert_ok "(d) another pipeline on the same table" mkcount quick lake/sales/other
assert_ok "(d) a commit to warehouse.sales.other" commit other 03 part-0.csv
if mf_poll 30 sh_c '[ "$(awk '"'"'$1 == "runs:" {print $2}'"'"' "$1")" = 1 ] && [ "$(head -n 1 "$2")" = running ]' _ \
	"$M/pipelines/quick/status" "$M/pipelines/slow/status"; then
	pass "(d) another pipeline runs while the slow one is running (${MF_POLL_ELAPSED}s)"
else
	fail "(d) another pipeline runs while the slow one is running" "quick: $(cat "$M/pipelines/quick/status")" \
		"slow: $(cat "$M/pipelines/slow/status")"
fi
if mf_poll 40 sh_c '[ "$(head -n 1 "$1")" = failed ]' _ "$M/pipelines/slow/status"; then
	pass "(d) the slow pipeline is killed (${MF_POLL_ELAPSED}s)"
else
	fail "(d) the slow pipeline is killed" "$(cat "$M/pipelines/slow/status")"
fi
SLOW=$(cat "$M/pipelines/slow/status")
assert_match "(d) its status gives the reason" $'(^|\n)reason: killed after its time limit of 6 s(\n|$)' "$SLOW"
assert_match "(d) ... and the signal" $'(^|\n)exit_code: 137(\n|$)' "$SLOW"
assert_eq "(d) no sleep of the killed pipeline is left" "" "$(pgrep -f '^sleep 300$' -u "$(id -u)" -P 1 2>/dev/null | head -n 1)"

# ---------------------------------------------------------------- (e) after a remount
mf_umount || fail "(e) unmount"
mf_mount || mf_abort "(e) remount"
assert_match "(e) the skipped result survives a remount" $'(^|\n)result: skipped: input unchanged(\n|$)' "$(cat "$M/pipelines/trainer/status")"
assert_match "(e) the failed run survives a remount" $'(^|\n)failed(\n|$)' "$(cat "$M/pipelines/slow/status")"
assert_eq "(e) the run counts survive a remount" "2 2" "$(runs count) $(runs trainer)"
settle
assert_eq "(e) a remount runs nothing" "2 2 1" "$(runs count) $(runs trainer) $(runs quick)"

# ---------------------------------------------------------------- (f) what predict's first run scores
# by hand, with the model the train pipeline wrote: 40 rows a file
SNAP=$(awk '$1 == "snapshot" {print $2}' "$L/sales/orders/.refresh")
assert_ok "(f) a new partition of warehouse.sales.orders" commit orders 04 part-0.csv
# mkpredict NAME [SINCE]: a predict definition with its own state
mkpredict() {
	printf '[pipeline]\nname = %s\nsource = lake/sales/orders\noperation = predict\nfeatures = x, y\n' "$1"
	printf 'state = %s\nmodel = %s\n' "$PST/$1" "$PST/trainer/model.json"
	[ -z "${2:-}" ] || printf 'since = %s\n' "$2"
}
mkpredict p_all >"$MF_TMP/p_all.ini"
mkpredict p_since "$SNAP" >"$MF_TMP/p_since.ini"
mkpredict p_over "$SNAP" >"$MF_TMP/p_over.ini"
mf_run "$REAL_PIPELINE" --mount "$M" "$MF_TMP/p_all.ini"
assert_match "(f) without since, the first run scores every row" "p_all — 320 rows scored" "$MF_OUT"
mf_run "$REAL_PIPELINE" --mount "$M" "$MF_TMP/p_since.ini"
assert_match "(f) with since = the snapshot before, the first run scores the new partition only" \
	"p_since — 40 rows scored" "$MF_OUT"
mf_run "$REAL_PIPELINE" --mount "$M" "$MF_TMP/p_since.ini"
assert_match "(f) the next run continues from the recorded snapshot" "p_since: nothing new since snapshot" "$MF_OUT"
mf_run "$REAL_PIPELINE" --mount "$M" --since all "$MF_TMP/p_over.ini"
assert_match "(f) --since all overrides the key" "p_over — 320 rows scored" "$MF_OUT"
mf_run "$REAL_PIPELINE" --mount "$M" --since "$SNAP" "$MF_TMP/p_over.ini"
assert_match "(f) --since N overrides the recorded snapshot" "p_over — 40 rows scored" "$MF_OUT"
mf_run "$REAL_PIPELINE" --mount "$M" --since 3 "$MF_TMP/trainer.ini"
assert_eq "(f) --since is refused for a train pipeline" "2" "$MF_RC"
assert_match "(f) ... saying so" "--since is for predict pipelines" "$MF_OUT"

mf_finish
