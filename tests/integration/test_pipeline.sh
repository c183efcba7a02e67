#!/usr/bin/env bash
# test_pipeline.sh - the AI pipeline end to end through a real mount:
# `metafs gen` call-quality data loaded into warehouse (data store + metafs
# repair), a feature table built by a SQL job, a sync rule mirroring it to
# lake, then metafs-pipeline against a local webhook receiver
# (tools/webhook_receiver.py on 127.0.0.1):
#   (a) train: one message, the right headers, the AUC in it, AUC > 0.7
#   (b) predict: a line per region
#   (c) the channel answers 500 then 200: one recorded delivery
#   (d) the channel is down: exit 3, one message in the outbox; once it is
#       up, the spooled message is delivered exactly once
#   (e) the slack format: {"text": ...}
#   (f) under strace, the pipeline opens nothing of the first platform
#   (g) activation: a definition in MOUNT/pipelines/ runs when a partition
#       lands in the synced source table
#
# METAFS_PIPELINE names the program (default: beside metafs in the build
# tree, ../pipeline/metafs-pipeline).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

: "${METAFS_PIPELINE:=$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}"
RECEIVER=$METAFS_SRCDIR/tools/webhook_receiver.py
TOKEN=s3cret-token
REGIONS=(ap-northeast ap-south eu-central eu-west sa-east us-east us-west)
WAIT_SYNC=5       # seconds for a mirror to appear
WAIT_ACTIVATE=20  # seconds for an activated pipeline to deliver

mf_setup
J=$M/jobs
PST=$MF_TMP/pl          # pipeline definitions and state (outside the home and the mount)
mkdir -p "$PST"

# ---------------------------------------------------------------- helpers

# free_ports N: N distinct free TCP ports on 127.0.0.1, one per line (all
# bound at once, so they differ)
free_ports() {
	python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
' "$1"
}

# start_receiver NAME PORT [ARGS...]: the receiver logs to $PST/NAME.jsonl,
# prints to $PST/NAME.out; its pid joins the ones lib.sh stops at the end.
start_receiver() {
	local name=$1 port=$2 pid
	shift 2
	: >"$PST/$name.jsonl"
	python3 "$RECEIVER" --port "$port" --token "$TOKEN" --log "$PST/$name.jsonl" "$@" \
		>"$PST/$name.out" 2>&1 </dev/null &
	pid=$!
	MF_FG_PIDS+=("$pid")
	if mf_poll 10 grep -q "listening on" "$PST/$name.out"; then
		return 0
	fi
	fail "setup: webhook receiver $name listens on 127.0.0.1:$port" "$(cat "$PST/$name.out")"
	return 1
}

# msgs FILE EXPR: evaluate a Python expression over the messages a receiver
# recorded (msgs: list of {"headers", "body"}; text(m): a message's title
# and lines; hdr(m, K): a header, case-insensitive)
msgs() {
	python3 -c '
import json, re, sys
try:
    msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
except FileNotFoundError:
    msgs = []
def text(m):
    b = m["body"]
    if isinstance(b, dict) and isinstance(b.get("head"), dict):
        return "\n".join([str(b["head"].get("text", ""))] +
                         [str(i.get("text", "")) for i in b.get("body", []) if isinstance(i, dict)])
    if isinstance(b, dict):
        return str(b.get("text", ""))
    return ""
def hdr(m, k):
    return next((v for kk, v in m["headers"].items() if kk.lower() == k.lower()), "")
def auc(m):
    r = re.search(r"\bAUC\b\D{0,20}?([0-9]*\.[0-9]+|[01])\b", text(m), re.I)
    return r.group(1) if r else "none"
print(eval(sys.argv[2]))
' "$1" "$2" 2>&1
}

# mkdef FILE NAME OPERATION PORT [FORMAT [MODEL]]: a pipeline definition on
# lake/ucaas/call_features with its state in $PST/state/NAME
mkdef() {
	local f=$1 name=$2 op=$3 port=$4 format=${5:-full} model=${6:-model.json}
	mkdir -p "$PST/state/$name"
	{
		printf '[pipeline]\nname = %s\nsource = lake/ucaas/call_features\noperation = %s\n' "$name" "$op"
		printf 'features = jitter_ms, packet_loss_pct, latency_ms, participants, duration_s\n'
		if [ "$op" = train ]; then
			printf 'label = dropped\n'
		else
			printf 'id_column = meeting_id\ngroup_by = region\nthreshold = 0.5\n'
		fi
		printf 'state = %s\nmodel = %s\n' "$PST/state/$name" "$model"
		printf '\n[xgboost]\nobjective = binary:logistic\nmax_depth = 4\neta = 0.3\n'
		printf 'num_round = 40\nseed = 7\nholdout = 0.2\n'
		printf '\n[output]\nwebhook_url = http://127.0.0.1:%s/hook\nwebhook_token = %s\n' "$port" "$TOKEN"
		printf 'webhook_format = %s\nretries = 3\nbackoff_ms = 100\n' "$format"
	} >"$f"
}

# run_pl DEF: run metafs-pipeline on DEF; output in $MF_OUT, status in $MF_RC
run_pl() { mf_run "$METAFS_PIPELINE" --mount "$M" "$@"; }


# ---------------------------------------------------------------- metafs gen
G1=$MF_TMP/gen1
G2=$MF_TMP/gen2
assert_ok "metafs gen writes a data set" "$METAFS" gen --rows 5000 --days 3 --seed 9 --files-per-day 2 "$G1"
assert_match "metafs gen says what it wrote" "wrote 5000 rows, [0-9]+ bytes in 6 files, 3 partitions dt=2024-05-01..2024-05-03" "$MF_OUT"
assert_eq "metafs gen writes Hive partition directories with K files each" "dt=2024-05-01/part-00000.csv
dt=2024-05-01/part-00001.csv
dt=2024-05-02/part-00000.csv
dt=2024-05-02/part-00001.csv
dt=2024-05-03/part-00000.csv
dt=2024-05-03/part-00001.csv" "$(cd "$G1" && find . -type f | sed 's|^\./||' | sort)"
assert_eq "every file starts with the header line" \
	"meeting_id,region,client_type,participants,duration_s,jitter_ms,packet_loss_pct,latency_ms,mos,dropped,started_at" \
	"$(head -q -n 1 "$G1"/dt=*/part-*.csv | sort -u)"
assert_eq "the files hold --rows rows in all" "5000" \
	"$(cat "$G1"/dt=*/part-*.csv | grep -vc '^meeting_id,')"
"$METAFS" gen --rows 5000 --days 3 --seed 9 --files-per-day 2 "$G2" >/dev/null 2>&1
assert_ok "metafs gen is deterministic for a seed" diff -r "$G1" "$G2"
rm -rf "$G2"
"$METAFS" gen --rows 5000 --days 3 --seed 10 --files-per-day 2 "$G2" >/dev/null 2>&1
assert_fails "another seed gives other data" diff -rq "$G1" "$G2"
assert_eq "every region occurs" "$(printf '%s\n' "${REGIONS[@]}")" \
	"$(cut -d, -f2 "$G1"/dt=*/part-*.csv | grep -v '^region$' | sort -u)"
assert_eq "every client type occurs" "desktop
mobile
room
web" "$(cut -d, -f3 "$G1"/dt=*/part-*.csv | grep -v '^client_type$' | sort -u)"
assert_ok "metafs gen --format jsonl writes JSON Lines" "$METAFS" gen --rows 100 --days 1 --format jsonl "$MF_TMP/genj"
assert_ok "each JSON line parses with the right columns" python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    o = json.loads(l); n += 1
    assert list(o) == ["meeting_id", "region", "client_type", "participants", "duration_s", "jitter_ms",
                       "packet_loss_pct", "latency_ms", "mos", "dropped", "started_at"], list(o)
    assert isinstance(o["dropped"], bool)
assert n == 100, n
' "$MF_TMP/genj/dt=2024-05-01/part-00000.jsonl"
expect_fail_errno "metafs gen refuses a bad date" "bad date" "$METAFS" gen --start 2024-02-30 "$MF_TMP/x"

# ---------------------------------------------------------------- load into warehouse
mkdir -p "$W/ucaas/calls" || mf_abort "mkdir $W/ucaas/calls"
"$METAFS" gen --print-schema >"$MF_TMP/calls.schema"
assert_ok "the schema metafs gen prints is accepted by the mount" cp "$MF_TMP/calls.schema" "$W/ucaas/calls/.schema"
assert_ok "metafs gen into the table's data-store directory" \
	"$METAFS" gen --rows 30000 --days 6 --seed 42 --files-per-day 2 "$DS/ucaas/calls"
assert_ok "metafs repair registers the generated partitions" "$METAFS" repair --home "$H" warehouse.ucaas.calls
assert_match "repair added 6 partitions and 12 files" "6 partitions added, 12 files added" "$MF_OUT"
assert_eq "the mount lists the six days" "dt=2024-05-01
dt=2024-05-02
dt=2024-05-03
dt=2024-05-04
dt=2024-05-05
dt=2024-05-06" "$(mf_ls "$W/ucaas/calls")"
assert_eq ".table counts the generated rows" "30000" "$(mf_field "$W/ucaas/calls/.table" rows)"

run_job features "CREATE TABLE ucaas.call_features PARTITIONED BY (dt) STORED AS CSV
  TBLPROPERTIES ('header' = 'true') AS
SELECT meeting_id, region, client_type, participants, duration_s, jitter_ms,
       packet_loss_pct, latency_ms, mos, hour(started_at) AS start_hour, dropped, dt
FROM ucaas.calls;"
assert_eq "a SQL job builds the partitioned feature table" "succeeded" "$STATE" || note "$STATUS"
assert_eq "the feature table has the six partitions" "6" "$(mf_field "$W/ucaas/call_features/.table" partitions)"
assert_eq "the feature table has every row" "30000" "$(mf_field "$W/ucaas/call_features/.table" rows)"

# Columns the pipelines do not use are masked: they read the masked views.
printf 'source = warehouse.ucaas.call_features\ntarget = lake\nmask = client_type:redact, mos:null\n' >"$MF_TMP/ucaas.rule"
assert_ok "a sync rule mirrors the feature table to lake" cp "$MF_TMP/ucaas.rule" "$M/sync/ucaas.rule"
if mf_poll "$WAIT_SYNC" test -e "$L/ucaas/call_features/.schema"; then
	pass "the mirror appears in lake (${MF_POLL_ELAPSED}s)"
else
	mf_abort "the mirror appears in lake within ${WAIT_SYNC}s" "$(cat "$M/sync/ucaas/status" 2>&1)"
fi
F1=$(awk 'NR==1 {print $2}' "$L/ucaas/call_features/.refresh")
F1=$(find "$M/$F1" -type f | head -n 1)
assert_match "the pipelines' source is masked (client_type redacted, mos null)" $'\n[^,]*,[^,]*,REDACTED,([^,]*,){5},[0-9]' "$(head -n 3 "$F1" 2>&1)"
assert_eq ".refresh of the mirror lists the six partitions" "6" "$(grep -c '^dt=' "$L/ucaas/call_features/.refresh" 2>&1)"

# ---------------------------------------------------------------- the pipeline program
if [ -x "$METAFS_PIPELINE" ]; then
	pass "metafs-pipeline is built ($METAFS_PIPELINE)"
else
	fail "metafs-pipeline is built" "$METAFS_PIPELINE is missing: every check below fails"
fi
mapfile -t PORTS < <(free_ports 6)
P_A=${PORTS[0]} P_C=${PORTS[1]} P_D=${PORTS[2]} P_E=${PORTS[3]} P_G=${PORTS[4]}
MODEL=$PST/state/cq_train/model.json

# ---------------------------------------------------------------- (a) train
start_receiver a "$P_A"
mkdef "$PST/cq_train.ini" cq_train train "$P_A" full "$MODEL"
run_pl "$PST/cq_train.ini"
assert_eq "(a) train exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_eq "(a) the receiver got exactly one message" "1" "$(msgs "$PST/a.jsonl" 'len(msgs)')"
assert_eq "(a) with the bearer token" "Bearer $TOKEN" "$(msgs "$PST/a.jsonl" 'hdr(msgs[0], "Authorization")')"
assert_match "(a) as JSON" "^application/json" "$(msgs "$PST/a.jsonl" 'hdr(msgs[0], "Content-Type")')"
assert_eq "(a) the Idempotency-Key header matches the body's idempotency_key" "True" \
	"$(msgs "$PST/a.jsonl" 'hdr(msgs[0], "Idempotency-Key") != "" and hdr(msgs[0], "Idempotency-Key") == msgs[0]["body"].get("idempotency_key")')"
assert_eq "(a) the full format: head.text and body lines of type message" "True" \
	"$(msgs "$PST/a.jsonl" 'isinstance(msgs[0]["body"]["head"]["text"], str) and len(msgs[0]["body"]["body"]) > 0 and all(i["type"] == "message" for i in msgs[0]["body"]["body"])')"
assert_match "(a) the title says the model was trained" "trained" "$(msgs "$PST/a.jsonl" 'msgs[0]["body"]["head"]["text"]')"
AUC=$(msgs "$PST/a.jsonl" 'auc(msgs[0])')
assert_match "(a) the message gives the AUC" '^[0-9.]+$' "$AUC" || note "$(msgs "$PST/a.jsonl" 'text(msgs[0])')"
if awk -v a="$AUC" 'BEGIN { exit !(a + 0 > 0.7) }' 2>/dev/null && [[ $AUC =~ ^[0-9.]+$ ]]; then
	pass "(a) the model learned the signal: AUC $AUC > 0.7"
else
	fail "(a) the model learned the signal: AUC > 0.7" "AUC: $AUC"
fi
assert_exists "(a) the model is saved" "$MODEL"

# ---------------------------------------------------------------- (b) predict
mkdef "$PST/cq_predict.ini" cq_predict predict "$P_A" full "$MODEL"
run_pl "$PST/cq_predict.ini"
assert_eq "(b) predict exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_eq "(b) the receiver got the second message" "2" "$(msgs "$PST/a.jsonl" 'len(msgs)')"
assert_match "(b) the title counts the rows scored" "rows scored" "$(msgs "$PST/a.jsonl" 'msgs[-1]["body"]["head"]["text"] if len(msgs) > 1 else ""')"
for r in "${REGIONS[@]}"; do
	assert_eq "(b) the message has a line for region $r" "True" \
		"$(msgs "$PST/a.jsonl" "len(msgs) > 1 and any(i.get('text', '').lstrip(' -*•').startswith('$r') for i in msgs[-1]['body'].get('body', []))")"
done

# ---------------------------------------------------------------- (c) 500 then 200
start_receiver c "$P_C" --fail-first 1 --status 500 --dedupe
mkdef "$PST/cq_retry.ini" cq_retry train "$P_C"
run_pl "$PST/cq_retry.ini"
assert_eq "(c) a run that met one 500 exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_eq "(c) the receiver answered 500 once" "1" "$(grep -c -- '-> 500' "$PST/c.out")"
assert_eq "(c) exactly one delivery is recorded" "1" "$(msgs "$PST/c.jsonl" 'len(msgs)')"
assert_eq "(c) the run succeeded and nothing is left in the outbox" "0 0" \
	"$MF_RC $(find "$PST/state/cq_retry/outbox" -name '*.json' 2>/dev/null | wc -l)"

# ---------------------------------------------------------------- (d) channel down, then up
mkdef "$PST/cq_down.ini" cq_down train "$P_D"
run_pl "$PST/cq_down.ini"
assert_eq "(d) with the channel down the run exits 3" "3" "$MF_RC" || note "$MF_OUT"
OUTBOX=$PST/state/cq_down/outbox
SPOOLED=$(find "$OUTBOX" -maxdepth 1 -name '*.json' 2>/dev/null)
assert_eq "(d) one message is spooled to the outbox" "1" "$(printf '%s' "$SPOOLED" | grep -c .)"
KEY=$(basename "${SPOOLED:-none}" .json)
assert_eq "(d) the spooled file is KEY.json with the message's key" "$KEY" \
	"$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("idempotency_key"))' "$SPOOLED" 2>&1)"
start_receiver d "$P_D" --dedupe
run_pl "$PST/cq_down.ini"
assert_eq "(d) once the channel is up the run exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_eq "(d) the run succeeded and the outbox is empty" "0 0" \
	"$MF_RC $(find "$OUTBOX" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l)"
assert_eq "(d) the spooled message is recorded exactly once" "1" \
	"$(msgs "$PST/d.jsonl" "sum(1 for m in msgs if hdr(m, 'Idempotency-Key') == '$KEY')")"
assert_eq "(d) the spooled message is sent first" "$KEY" "$(msgs "$PST/d.jsonl" 'hdr(msgs[0], "Idempotency-Key") if msgs else ""')"
run_pl "$PST/cq_down.ini"
assert_eq "(d) a later run does not resend it" "1" \
	"$(msgs "$PST/d.jsonl" "sum(1 for m in msgs if hdr(m, 'Idempotency-Key') == '$KEY')")"

# ---------------------------------------------------------------- (e) slack format
start_receiver e "$P_E"
mkdef "$PST/cq_slack.ini" cq_slack train "$P_E" slack
run_pl "$PST/cq_slack.ini"
assert_eq "(e) a slack-format run exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_eq "(e) the slack format is {\"text\": ...} without head/body" "True" \
	"$(msgs "$PST/e.jsonl" 'len(msgs) == 1 and isinstance(msgs[0]["body"].get("text"), str) and "head" not in msgs[0]["body"] and "body" not in msgs[0]["body"]')"
assert_match "(e) the text holds the title and the AUC" "trained.*AUC|AUC.*trained" \
	"$(msgs "$PST/e.jsonl" 'msgs[0]["body"]["text"].replace("\n", " ") if msgs else ""')"

# ---------------------------------------------------------------- (f) no path of the first platform
mkdef "$PST/cq_trace.ini" cq_trace predict "$P_A" full "$MODEL"
TRACE=$MF_TMP/strace.out
if command -v strace >/dev/null; then
	# LeakSanitizer cannot run under ptrace: in a sanitizer build, the traced
	# run goes without leak checking (every other run keeps it).
	mf_run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -y -e trace=openat,open,stat,newfstatat,statx -o "$TRACE" \
		"$METAFS_PIPELINE" --mount "$M" "$PST/cq_trace.ini"
	assert_eq "(f) the traced run exits 0" "0" "$MF_RC" || note "$MF_OUT"
	assert_file_contains "(f) the trace shows the pipeline reading lake's tree" "$TRACE" "$M/lake/ucaas/call_features"
	# a trace without the lake reads proves nothing: then these fail too
	TRACED=0
	grep -qF -- "$M/lake/ucaas/call_features" "$TRACE" 2>/dev/null && TRACED=1
	for bad in "$M/warehouse" "$H/data/warehouse" "$H/meta/" "$H/"; do
		if [ $TRACED = 0 ]; then
			fail "(f) the pipeline opens nothing under $bad" "no trace of a run that read lake's tree"
		elif grep -qF -- "$bad" "$TRACE"; then
			fail "(f) the pipeline opens nothing under $bad" "$(grep -F -- "$bad" "$TRACE" | head -n 5)"
		else
			pass "(f) the pipeline opens nothing under $bad"
		fi
	done
else
	fail "(f) strace is installed (tools/deps.sh)"
fi

# ---------------------------------------------------------------- (g) activation by the daemon
start_receiver g "$P_G"
mkdef "$PST/cq_live.ini" cq_live predict "$P_G" full "$MODEL"
assert_ok "(g) writing MOUNT/pipelines/NAME.ini defines a pipeline" cp "$PST/cq_live.ini" "$M/pipelines/cq_live.ini"
assert_eq "(g) pipelines/ lists the definition and its directory" "cq_live
cq_live.ini" "$(mf_ls "$M/pipelines")"
BEFORE=$(msgs "$PST/g.jsonl" 'len(msgs)')
assert_ok "(g) a new day of calls lands in warehouse through the mount" \
	"$METAFS" gen --rows 3000 --days 1 --start 2024-05-07 --seed 43 "$W/ucaas/calls"
run_job daily "INSERT INTO ucaas.call_features
SELECT meeting_id, region, client_type, participants, duration_s, jitter_ms,
       packet_loss_pct, latency_ms, mos, hour(started_at), dropped, dt
FROM ucaas.calls WHERE dt = DATE '2024-05-07';"
assert_eq "(g) the daily job adds a partition to the synced source" "succeeded" "$STATE" || note "$STATUS"
if mf_poll "$WAIT_ACTIVATE" sh_c '[ "$(wc -l <"$1")" -gt "$2" ] && grep -Eq "exit_code[:= ]+0\b" "$3"' _ \
	"$PST/g.jsonl" "$BEFORE" "$M/pipelines/cq_live/status"; then
	pass "(g) the daemon activates the pipeline: a message and exit_code 0 (${MF_POLL_ELAPSED}s)"
else
	fail "(g) the daemon activates the pipeline within ${WAIT_ACTIVATE}s: a message and exit_code 0" \
		"messages before: $BEFORE, now: $(msgs "$PST/g.jsonl" 'len(msgs)')" \
		"status: $(cat "$M/pipelines/cq_live/status" 2>&1)" \
		"log: $(tail -n 20 "$M/pipelines/cq_live/log" 2>&1)"
fi
# Activation follows every sync that brings changes into lake, and predict
# scores only what is new since its last run: the activated runs together
# scored every row once (30000 before the new day, 3000 of it).
TITLES=$(msgs "$PST/g.jsonl" '"|".join(m["body"]["head"]["text"] for m in msgs)')
SCORED=$(printf '%s\n' "$TITLES" | tr '|' '\n' | sed -n 's/.* \([0-9][0-9]*\) rows scored.*/\1/p' | awk '{s += $1} END {print s + 0}')
assert_eq "(g) the activated runs scored every row of the source once (33000 rows)" "33000" "$SCORED" || note "$TITLES"
assert_match "(g) the last activated run scored the new day (3000 rows, or 33000 if it was the only run)" "(^|\|)[^|]* 3{1,2}000 rows scored[^|]*$" "$TITLES"

# ---------------------------------------------------------------- (h) state across a remount
RUNS_BEFORE=$(awk '$1 == "runs:" {print $2}' "$M/pipelines/cq_live/status")
mf_umount || fail "(h) unmount"
mf_mount || mf_abort "(h) remount"
assert_eq "(h) a pipeline's run count survives a remount" "$RUNS_BEFORE" \
	"$(awk '$1 == "runs:" {print $2}' "$M/pipelines/cq_live/status")"
assert_match "(h) its last exit code survives a remount" "exit_code: 0" "$(cat "$M/pipelines/cq_live/status")"
assert_match "(h) its log survives a remount" "rows scored" "$(cat "$M/pipelines/cq_live/log")"


mf_finish
