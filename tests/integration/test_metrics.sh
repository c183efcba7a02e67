#!/usr/bin/env bash
# test_metrics.sh - /.metafs/metrics tells the truth about what the daemon
# did, and standard tools can read it:
#   (a) a file copied in with cp counts its commits under path="file", one
#       renamed with mv under "rename", one removed with rm under "drop";
#   (b) a job that succeeds and one that fails move the job counters and
#       the duration histogram by one each, and the job's output commit
#       counts under path="job"; a job's MSCK REPAIR TABLE under "repair";
#   (c) a sync rule's runs, applied objects and events read are those of
#       its history, its lag is that of its lag file (0 once caught up), its
#       last success the time of its history's last ok line; a rule stopped
#       by a conflict counts its failures and shows the lag it leaves;
#   (d) a pipeline posting to a local webhook receiver counts a run and a
#       delivery; one whose webhook is down counts a failed run, a delivery
#       failure and a message in its outbox, which the outbox on disk
#       decides (removing the file empties the gauge);
#   (e) metafs_store_commits_total is the sum of the commits by path; the
#       whole file is valid Prometheus text (each sample's family TYPE'd
#       before it, labels escaped, counters named _total, buckets
#       cumulative) and its stat size is the bytes a read returns.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PIPELINE=${METAFS_PIPELINE:-$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}
export METAFS_PIPELINE=$PIPELINE
RECEIVER=$METAFS_SRCDIR/tools/webhook_receiver.py
TOKEN=metrics-token
WAIT=20   # seconds for a rule to catch up on a loaded machine

mf_setup
W=$M/warehouse
L=$M/lake
S=$M/sync
P=$M/pipelines
MET=$M/.metafs/metrics
PST=$MF_TMP/pst
mkdir -p "$PST"

# snap NAME: the metrics as one read gives them, into $MF_TMP/NAME.prom
snap() { timeout -k 5 "$MF_CMD_TIMEOUT" cat "$MET" >"$MF_TMP/$1.prom" 2>&1; }
# v NAME SERIES: SERIES's value (labels as rendered) in snapshot NAME, or "absent"
v() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print "absent" }' "$MF_TMP/$1.prom"; }
# d A B SERIES: how much SERIES moved from snapshot A to snapshot B
d() {
	local a b
	a=$(v "$1" "$3")
	b=$(v "$2" "$3")
	if [ "$a" = absent ] || [ "$b" = absent ]; then
		echo "absent ($a -> $b)"
	else
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.9g\n", b - a }'
	fi
}
PATHS=(mount file drop rename job sync pipeline repair recovery)
# paths_moved A B: the paths whose commit count moved from A to B, "path+N" each
paths_moved() {
	local p n out=""
	for p in "${PATHS[@]}"; do
		n=$(d "$1" "$2" "metafs_store_commits_by_path_total{path=\"$p\"}")
		[ "$n" = 0 ] || out+="$p+$n "
	done
	echo "${out% }"
}
# rows SEED N: a CSV partition file of N rows (id,x,y,label)
rows() {
	local i
	echo "id,x,y,label"
	for ((i = 1; i <= $2; i++)); do
		echo "$i,$(((i * 37 + $1) % 100)).5,$(((i * 11) % 7)),$((((i * 37 + $1) % 100) > 50))"
	done
}

# ---------------------------------------------------------------- setup
mkdir "$W/db" "$W/cf" "$L/cf" || mf_abort "mkdir the databases"
mf_make_table "$W/db/t" $'format csv\nheader true\ncolumn id bigint\ncolumn x double\ncolumn y double\ncolumn label int\npartition dt string'
mf_make_table "$W/cf/t" $'column y bigint\n'
mf_make_table "$L/cf/t" $'column x string\n'
mkdir "$W/db/t/dt=a" || mf_abort "mkdir a partition"
rows 1 40 >"$MF_TMP/part.csv"

snap s0
assert_match "the metrics have the commit count by path" \
	'^[0-9]+$' "$(v s0 'metafs_store_commits_by_path_total{path="mount"}')"
for f in metafs_jobs_submitted_total metafs_jobs_succeeded_total metafs_jobs_failed_total \
	metafs_jobs_running metafs_jobs_queued metafs_job_duration_seconds_count; do
	assert_eq "$f starts at 0" "0" "$(v s0 "$f")"
done

# ---------------------------------------------------------------- (a) a file by cp
snap a0
assert_ok "(a) cp writes a file into a partition" cp "$MF_TMP/part.csv" "$W/db/t/dt=a/part-0.csv"
snap a1
# A new file: its id reserved at the create, the intent before its bytes
# are renamed into place, then its record.
assert_eq "(a) cp's commits count under path=\"file\" only" "file+3" "$(paths_moved a0 a1)"
assert_eq "(a) ... and in metafs_store_commits_total" "3" "$(d a0 a1 metafs_store_commits_total)"
assert_ok "(a) a second file" cp "$MF_TMP/part.csv" "$W/db/t/dt=a/part-1.csv"
snap a2
assert_ok "(a) mv renames it" mv "$W/db/t/dt=a/part-1.csv" "$W/db/t/dt=a/part-2.csv"
snap a3
assert_eq "(a) mv's commit counts under path=\"rename\" only" "rename+1" "$(paths_moved a2 a3)"
assert_ok "(a) rm drops it" rm "$W/db/t/dt=a/part-2.csv"
snap a4
# The record goes with an intent to remove the bytes, cleared once they are gone.
assert_eq "(a) rm's commits count under path=\"drop\" only" "drop+2" "$(paths_moved a3 a4)"

# ---------------------------------------------------------------- (b) jobs
snap b0
run_job ok "INSERT INTO warehouse.db.t VALUES (41, 1.5, 2, 1, 'b');"
assert_eq "(b) the inserting job succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job bad "SELECT * FROM warehouse.db.nothing;"
assert_eq "(b) the job reading a missing table fails" "failed" "$STATE" || note "$STATUS"
snap b1
assert_eq "(b) jobs submitted +2" "2" "$(d b0 b1 metafs_jobs_submitted_total)"
assert_eq "(b) jobs succeeded +1" "1" "$(d b0 b1 metafs_jobs_succeeded_total)"
assert_eq "(b) jobs failed +1" "1" "$(d b0 b1 metafs_jobs_failed_total)"
assert_eq "(b) no job is running once both ended" "0" "$(v b1 metafs_jobs_running)"
assert_eq "(b) none is queued" "0" "$(v b1 metafs_jobs_queued)"
assert_eq "(b) the duration histogram counts both runs" "2" "$(d b0 b1 metafs_job_duration_seconds_count)"
assert_eq "(b) ... in its +Inf bucket" "2" "$(d b0 b1 'metafs_job_duration_seconds_bucket{le="+Inf"}')"
assert_eq "(b) the duration sum grew" "1" \
	"$(awk -v x="$(d b0 b1 metafs_job_duration_seconds_sum)" 'BEGIN { print (x > 0) }')"
# The insert commits its output once; the failed run commits nothing.
assert_eq "(b) the jobs' commits count under path=\"job\" only" "job+1" "$(paths_moved b0 b1)"

# A repair found the new file (written straight into the data store) and
# records it: its commits are the repair's, though a job ran it.
rows 2 10 >"$H/data/warehouse/db/t/dt=a/part-9.csv" || fail "(b) setup: a file written into the data store"
snap b2
run_job fix "MSCK REPAIR TABLE warehouse.db.t;"
assert_eq "(b) MSCK REPAIR TABLE succeeds" "succeeded" "$STATE" || note "$STATUS"
snap b3
# One commit records what it found (it commits every few thousand changes).
assert_eq "(b) the repair's commit counts under path=\"repair\" only" "repair+1" "$(paths_moved b2 b3)"
assert_eq "(b) ... and the file it found is recorded" "part-0.csv
part-9.csv" "$(mf_ls "$W/db/t/dt=a" | grep '^part-')"

# ---------------------------------------------------------------- (c) sync
# hist_sum RULE KEY: the sum of KEY=N over the rule's history lines
hist_sum() { sed -n "s/.* $2=\\([0-9]*\\).*/\\1/p" "$S/$1/history" | awk '{ s += $1 } END { print s + 0 }'; }
snap c0
printf 'source = warehouse.db.*\ntarget = lake\n' >"$MF_TMP/mirror.rule"
assert_ok "(c) a rule mirrors warehouse.db.* into lake" cp "$MF_TMP/mirror.rule" "$S/mirror.rule"
if mf_poll "$WAIT" sh_c '[ "$(cat "$1/lag")" = 0 ] && grep -q " ok " "$1/history" && [ "$(head -n 1 "$1/status")" = idle ]' _ "$S/mirror"; then
	pass "(c) the rule catches up (${MF_POLL_ELAPSED}s)"
else
	fail "(c) the rule catches up" "$(cat "$S/mirror/status" 2>&1)"
fi
snap c1
HIST=$(cat "$S/mirror/history")
note "history of mirror:"$'\n'"$HIST"
assert_eq "(c) runs: the history's lines" "$(grep -c . <<<"$HIST")" "$(v c1 'metafs_sync_runs_total{rule="mirror"}')"
assert_eq "(c) failures: none" "0" "$(v c1 'metafs_sync_failures_total{rule="mirror"}')"
assert_eq "(c) applied: the history's applied= sum" "$(hist_sum mirror applied)" "$(v c1 'metafs_sync_applied_total{rule="mirror"}')"
assert_ne "(c) ... which is not 0 (the table, its partition and files)" "0" "$(v c1 'metafs_sync_applied_total{rule="mirror"}')"
assert_eq "(c) events: the history's events= sum" "$(hist_sum mirror events)" "$(v c1 'metafs_sync_events_total{rule="mirror"}')"
assert_eq "(c) the lag in events is the lag file's: 0" "0" "$(v c1 'metafs_sync_lag_events{rule="mirror"}')"
assert_eq "(c) the lag in seconds is 0 once caught up" "0" "$(v c1 'metafs_sync_lag_seconds{rule="mirror"}')"
# (to the microsecond: what the double of a time since the epoch holds)
assert_eq "(c) the last success is the time of the history's last ok line" "same" "$(python3 -c '
import calendar, sys, time
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) > 1 and f[1] == "ok":
        t = f[0]
want = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) + int(t[20:29]) / 1e9
got = float(sys.argv[2])
print("same" if abs(got - want) <= 1e-6 else "history %r, metric %r" % (want, got))' \
	"$S/mirror/history" "$(v c1 'metafs_sync_last_success_timestamp_seconds{rule="mirror"}')" 2>&1)"
# Each run commits what it applied with the rule's cursor, once.
assert_eq "(c) one commit a run, under path=\"sync\" only" "sync+$(grep -c . <<<"$HIST")" "$(paths_moved c0 c1)"

# A conflict: lake holds a cf.t the rule did not make.
printf 'source = warehouse.cf.*\ntarget = lake\non_conflict = fail\n' >"$MF_TMP/cf.rule"
assert_ok "(c) a rule meeting a conflict is defined" cp "$MF_TMP/cf.rule" "$S/cf.rule"
if mf_poll "$WAIT" sh_c '[ "$(head -n 1 "$1/status")" = failed ]' _ "$S/cf"; then
	pass "(c) the conflicting rule fails (${MF_POLL_ELAPSED}s)"
else
	fail "(c) the conflicting rule fails" "$(cat "$S/cf/status" 2>&1)"
fi
snap c2
CF_RUNS=$(grep -c . "$S/cf/history")
assert_eq "(c) its runs are its history's lines" "$CF_RUNS" "$(v c2 'metafs_sync_runs_total{rule="cf"}')"
assert_eq "(c) every one failed" "$(grep -c ' failed ' "$S/cf/history")" "$(v c2 'metafs_sync_failures_total{rule="cf"}')"
assert_ne "(c) ... at least one" "0" "$(v c2 'metafs_sync_failures_total{rule="cf"}')"
CF_LAG=$(cat "$S/cf/lag")
assert_ne "(c) the failed rule's lag file is not 0" "0" "$CF_LAG"
assert_eq "(c) its lag in events is the lag file's" "$CF_LAG" "$(v c2 'metafs_sync_lag_events{rule="cf"}')"
assert_eq "(c) its lag in seconds is positive" "1" \
	"$(awk -v x="$(v c2 'metafs_sync_lag_seconds{rule="cf"}')" 'BEGIN { print (x + 0 > 0) }')"
assert_eq "(c) it has no last success" "absent" "$(v c2 'metafs_sync_last_success_timestamp_seconds{rule="cf"}')"
assert_eq "(c) the other rule is unchanged" "$(v c1 'metafs_sync_runs_total{rule="mirror"}')" \
	"$(v c2 'metafs_sync_runs_total{rule="mirror"}')"

# ---------------------------------------------------------------- (d) pipelines
if [ -x "$PIPELINE" ]; then
	pass "(d) metafs-pipeline is built ($PIPELINE)"
else
	fail "(d) metafs-pipeline is built" "$PIPELINE is missing: the checks below fail"
fi
mapfile -t PORTS < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
for s in socks:
    print(s.getsockname()[1])')
UP=${PORTS[0]} DOWN=${PORTS[1]}
: >"$PST/hook.jsonl"
python3 "$RECEIVER" --port "$UP" --token "$TOKEN" --log "$PST/hook.jsonl" >"$PST/hook.out" 2>&1 </dev/null &
MF_FG_PIDS+=("$!")
mf_poll 10 grep -q "listening on" "$PST/hook.out" || fail "(d) setup: the webhook receiver listens" "$(cat "$PST/hook.out")"
# mkpipe NAME PORT [STATE]: a train pipeline on lake/db/t posting to PORT
mkpipe() {
	{
		printf '[pipeline]\nname = %s\nsource = lake/db/t\noperation = train\n' "$1"
		printf 'features = x, y\nlabel = label\n'
		[ -z "${3:-}" ] || printf 'state = %s\n' "$3"
		printf '\n[xgboost]\nnum_round = 5\nmax_depth = 3\nholdout = 0.2\nseed = 3\n'
		printf '\n[output]\nwebhook_url = http://127.0.0.1:%s/hook\nwebhook_token = %s\nretries = 1\nbackoff_ms = 50\n' "$2" "$TOKEN"
	} >"$MF_TMP/$1.ini"
	cp "$MF_TMP/$1.ini" "$P/$1.ini"
}
assert_ok "(d) a pipeline posting to the receiver" mkpipe deliver "$UP" "$PST/deliver"
# Its state where the daemon puts it: its outbox is found from the definition.
assert_ok "(d) a pipeline posting to a port nobody listens on" mkpipe spool "$DOWN"
snap d0
assert_eq "(d) a pipeline not yet run has an empty outbox" "0" "$(v d0 'metafs_pipeline_outbox_messages{pipeline="spool"}')"
OUT=$(timeout -k 5 120 cat "$P/deliver/run" 2>&1)
assert_match "(d) the delivering pipeline exits 0" $'(^|\n)exit_code: 0(\n|$)' "$OUT"
assert_eq "(d) the receiver got one message" "1" "$(grep -c . "$PST/hook.jsonl")"
OUT=$(timeout -k 5 120 cat "$P/spool/run" 2>&1)
assert_match "(d) the pipeline whose webhook is down exits 3 (spooled)" $'(^|\n)exit_code: 3(\n|$)' "$OUT"
snap d1
assert_eq "(d) deliver: runs +1" "1" "$(d d0 d1 'metafs_pipeline_runs_total{pipeline="deliver"}')"
assert_eq "(d) deliver: failures +0" "0" "$(d d0 d1 'metafs_pipeline_failures_total{pipeline="deliver"}')"
assert_eq "(d) deliver: deliveries +1" "1" "$(d d0 d1 'metafs_pipeline_deliveries_total{pipeline="deliver"}')"
assert_eq "(d) ... as its delivered file says" "1" "$(cat "$P/deliver/delivered")"
assert_eq "(d) deliver: delivery failures +0" "0" "$(d d0 d1 'metafs_pipeline_delivery_failures_total{pipeline="deliver"}')"
assert_eq "(d) deliver: an empty outbox" "0" "$(v d1 'metafs_pipeline_outbox_messages{pipeline="deliver"}')"
assert_eq "(d) spool: runs +1" "1" "$(d d0 d1 'metafs_pipeline_runs_total{pipeline="spool"}')"
assert_eq "(d) spool: failures +1" "1" "$(d d0 d1 'metafs_pipeline_failures_total{pipeline="spool"}')"
assert_eq "(d) spool: deliveries +0" "0" "$(d d0 d1 'metafs_pipeline_deliveries_total{pipeline="spool"}')"
assert_eq "(d) spool: delivery failures +1" "1" "$(d d0 d1 'metafs_pipeline_delivery_failures_total{pipeline="spool"}')"
SPOOLED=$(find "$H" -path '*/spool/outbox/*.json' 2>/dev/null)
assert_eq "(d) spool: one message in its outbox on disk" "1" "$(grep -c . <<<"$SPOOLED")"
assert_eq "(d) spool: the outbox gauge says 1" "1" "$(v d1 'metafs_pipeline_outbox_messages{pipeline="spool"}')"
rm -f -- $SPOOLED
snap d2
assert_eq "(d) the outbox gauge follows the outbox on disk: 0 once emptied" "0" \
	"$(v d2 'metafs_pipeline_outbox_messages{pipeline="spool"}')"
assert_eq "(d) ... while the counter stays" "$(v d1 'metafs_pipeline_delivery_failures_total{pipeline="spool"}')" \
	"$(v d2 'metafs_pipeline_delivery_failures_total{pipeline="spool"}')"

# ---------------------------------------------------------------- (e) the whole file
mf_poll 10 sh_c '! grep -qx running "$1"/*/status' _ "$S" || true
snap e0
assert_eq "(e) metafs_store_commits_total is the sum of the commits by path" \
	"$(v e0 metafs_store_commits_total)" \
	"$(awk '$1 ~ /^metafs_store_commits_by_path_total\{/ { s += $2 } END { print s + 0 }' "$MF_TMP/e0.prom")"
cat >"$MF_TMP/check.py" <<'EOF'
import math, os, re, sys

path = sys.argv[1]
st = os.stat(path)
with open(path, "rb") as f:
    data = f.read()
errors = []
if st.st_size != len(data):
    errors.append("stat size %d, read %d bytes" % (st.st_size, len(data)))
text = data.decode("utf-8")
if not text.endswith("\n"):
    errors.append("the file does not end with a newline")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))
types, helps, seen = {}, set(), set()
buckets = {}
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, line)
    if m:
        kind, fam, rest = m.groups()
        if kind == "TYPE":
            if fam in types:
                errors.append("line %d: TYPE of %s again" % (n, fam))
            if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                errors.append("line %d: type %r" % (n, rest))
            if fam in seen:
                errors.append("line %d: TYPE of %s after its samples" % (n, fam))
            types[fam] = rest
        else:
            if fam in helps:
                errors.append("line %d: HELP of %s again" % (n, fam))
            helps.add(fam)
        continue
    if line.startswith("#"):
        continue
    m = SAMPLE.match(line)
    if not m:
        errors.append("line %d: not a sample: %r" % (n, line))
        continue
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    try:
        x = float(value)
    except ValueError:
        errors.append("line %d: value %r" % (n, value))
        continue
    fam = name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            fam = base
    if fam not in types:
        errors.append("line %d: %s has no TYPE before it" % (n, name))
        continue
    seen.add(fam)
    if not fam.startswith("metafs_"):
        errors.append("line %d: %s lacks the metafs_ prefix" % (n, fam))
    if types[fam] == "counter" and not fam.endswith("_total"):
        errors.append("line %d: counter %s is not named _total" % (n, fam))
    if types[fam] == "counter" and (x < 0 or math.isnan(x)):
        errors.append("line %d: counter %s is %s" % (n, name, value))
    if name.endswith("_bucket") and types[fam] == "histogram":
        le = re.search(r'le="([^"]*)"', labels)
        if not le:
            errors.append("line %d: a bucket without le" % n)
        else:
            buckets.setdefault(fam, []).append((float(le.group(1)), x))
    if name.endswith("_count") and types[fam] == "histogram":
        b = buckets.get(fam, [])
        if not b or b[-1][0] != math.inf or b[-1][1] != x:
            errors.append("line %d: %s's +Inf bucket is not its count" % (n, fam))
for fam, b in buckets.items():
    if [le for le, _ in b] != sorted(le for le, _ in b):
        errors.append("%s: buckets out of order" % fam)
    if [c for _, c in b] != sorted(c for _, c in b):
        errors.append("%s: buckets not cumulative" % fam)
for fam in types:
    if fam not in helps:
        errors.append("%s has no HELP" % fam)
print("\n".join(errors) if errors else "ok")
EOF
assert_eq "(e) the whole file is valid Prometheus text, and its stat size is what a read returns" \
	"ok" "$(timeout -k 5 "$MF_CMD_TIMEOUT" python3 "$MF_TMP/check.py" "$MET" 2>&1)"
while read -r f type; do
	assert_file_has_line "(e) $f is declared a $type" "$MF_TMP/e0.prom" "# TYPE $f $type"
done <<'EOF'
metafs_store_commits_total counter
metafs_store_commits_by_path_total counter
metafs_jobs_submitted_total counter
metafs_jobs_succeeded_total counter
metafs_jobs_failed_total counter
metafs_jobs_queued gauge
metafs_jobs_running gauge
metafs_job_duration_seconds histogram
metafs_sync_runs_total counter
metafs_sync_failures_total counter
metafs_sync_applied_total counter
metafs_sync_events_total counter
metafs_sync_lag_events gauge
metafs_sync_lag_seconds gauge
metafs_sync_last_success_timestamp_seconds gauge
metafs_pipeline_runs_total counter
metafs_pipeline_failures_total counter
metafs_pipeline_deliveries_total counter
metafs_pipeline_delivery_failures_total counter
metafs_pipeline_outbox_messages gauge
EOF

mf_finish
