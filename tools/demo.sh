#!/usr/bin/env bash
# Set up and run metafs end to end on the embedded defaults: install the
# dependencies, build, create a home with the platforms 'warehouse' and
# 'lake', mount it, create a partitioned table through the mount and show
# the catalog.  Then the whole seed flow:
#
#   1. `metafs gen` writes six days of UCaaS call-quality records into
#      warehouse's data store; `metafs repair` registers them (ucaas.calls);
#   2. a SQL job builds the partitioned feature table ucaas.call_features, in
#      Parquet (CREATE TABLE ... STORED AS PARQUET AS SELECT);
#   3. a sync rule mirrors it to lake (schema and properties, no partitions;
#      the meeting ids masked: the pipelines see their keyed hashes);
#      lake's .refresh lists the source's partitions;
#   4. two pipeline definitions (train, then predict: XGBoost on the network
#      metrics, label 'dropped') go into MOUNT/pipelines/; train runs now, on
#      the six days; predict starts after the snapshot .refresh shows now
#      (`since`), so it scores what arrives later, not the six days;
#   5. a new day of calls lands through the mount (which changes ucaas.calls
#      only: no pipeline runs) and a daily job adds it to the feature table:
#      the sync and the daemon's activation run both pipelines once, which
#      read lake's tree only and post to a local webhook receiver
#      (tools/webhook_receiver.py on 127.0.0.1): train on the seven days,
#      predict on the new day;
#   6. the messages the receiver got are printed at the end.  A first run
#      of the script trains twice (six days, then seven) and scores the new
#      day once; a run again adds a day, skips the training asked for at
#      step 4 (its input is unchanged), then trains and scores once more.
#
# Without MOUNT/pipelines/ (a daemon without pipeline activation) the script
# runs metafs-pipeline itself at steps 4 and 5.  The mount and the receiver
# stay up; the last lines say how to unmount and stop.  Running it again adds
# the next day.
#
# DEMO_DIR (default ./demo) holds the home, the mount point, the pipelines'
# definitions and state, and the receiver's log and pid.  DEMO_PORT (default:
# a free port) is the receiver's port on 127.0.0.1; DEMO_ROWS (default
# 200000) the number of generated calls.  DEMO_SKIP_BUILD=1 skips deps.sh and
# the build and takes the programs from METAFS, METAFSD and METAFS_PIPELINE
# (default: build/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
  bash tools/deps.sh
  [ -f build/build.ninja ] || meson setup build -Dwerror=true >/dev/null
  ninja -C build >/dev/null
fi

demo=${DEMO_DIR:-demo}
home=$demo/home
mnt=$demo/mnt
metafs=${METAFS:-build/tools/metafs}
metafsd=${METAFSD:-build/fs/metafsd}
pipeline=${METAFS_PIPELINE:-build/pipeline/metafs-pipeline}
rows=${DEMO_ROWS:-200000}
mkdir -p "$mnt"
if mountpoint -q "$mnt"; then fusermount3 -u "$mnt"; fi
if [ -f "$home/metafs.ini" ]; then
	# a demo home made by an older metafs: make it private as metafsd requires
	$metafs repair --fix-permissions --home "$home" >/dev/null
else
	$metafs init "$home"
fi
# a daemon unmounted a moment ago may still be closing its home: retry a while
for try in $(seq 1 50); do
  if $metafsd --home "$home" "$mnt" 2> "$demo/metafsd.err"; then break; fi
  if [ "$try" = 50 ]; then cat "$demo/metafsd.err" >&2; exit 1; fi
  sleep 0.2
done
echo "mounted $home on $mnt"

wh=$mnt/warehouse
if [ ! -d "$wh/sales/orders" ]; then
  mkdir -p "$wh/sales/orders"
  cat > "$wh/sales/orders/.schema" <<'SCHEMA'
format csv
header true
column order_id bigint
column region string
column amount double
partition dt date
SCHEMA
  for day in 01 02 03; do
    part=$wh/sales/orders/dt=2024-05-$day
    mkdir "$part"
    {
      echo "order_id,region,amount"
      for i in $(seq 1 50); do
        printf '%d,%s,%d.%02d\n' "$((10#$day * 1000 + i))" \
          "$(case $((i % 3)) in 0) echo emea;; 1) echo amer;; *) echo apac;; esac)" \
          "$((i * 7 % 300))" "$((i % 100))"
      done
    } > "$demo/part-00000.csv"
    cp "$demo/part-00000.csv" "$part/"
  done
  rm -f "$demo/part-00000.csv"
fi

echo
echo "\$ ls $mnt"; ls "$mnt"
echo "\$ ls $wh/sales/orders"; ls "$wh/sales/orders"
echo "\$ cat $wh/sales/orders/.schema"; cat "$wh/sales/orders/.schema"
echo "\$ cat $wh/sales/orders/.table"; cat "$wh/sales/orders/.table"
echo "\$ cat $wh/sales/orders/dt=2024-05-01/.partition"; cat "$wh/sales/orders/dt=2024-05-01/.partition"
echo "\$ tail -n 5 $mnt/.metafs/events"; tail -n 5 "$mnt/.metafs/events"

# ------------------------------------------------------------------ the seed flow
lake=$mnt/lake
abs=$(cd "$demo" && pwd)
pdir=$abs/pipelines
mkdir -p "$pdir"
step() { printf '\n== %s\n' "$*"; }
# wait_for SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "demo: $what did not happen within ${secs}s" >&2
  return 1
}

step "a local webhook receiver (the team-chat channel) on 127.0.0.1"
token="demo-token"
if [ -f "$demo/webhook.pid" ]; then
  old=$(cat "$demo/webhook.pid")
  # stop the receiver an earlier run of this script started (and only that)
  if tr '\0' ' ' < "/proc/$old/cmdline" 2>/dev/null | grep -q webhook_receiver.py; then
    kill "$old" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
  fi
fi
port=${DEMO_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
: > "$demo/webhook.jsonl"
python3 tools/webhook_receiver.py --port "$port" --token "$token" --dedupe \
  --log "$demo/webhook.jsonl" > "$demo/webhook.out" 2>&1 < /dev/null &
echo $! > "$demo/webhook.pid"
wait_for 10 "the receiver listening" grep -q "listening on" "$demo/webhook.out"
head -n 1 "$demo/webhook.out"

step "generate call-quality data into warehouse's data store and register it"
calls=$wh/ucaas/calls
if [ -z "$(ls "$calls" 2>/dev/null)" ]; then
  mkdir -p "$calls"
  $metafs gen --print-schema > "$demo/calls.schema"
  cp "$demo/calls.schema" "$calls/.schema"
  echo "\$ metafs gen --rows $rows --days 6 --start 2024-05-01 --seed 7 --files-per-day 2 $home/data/warehouse/ucaas/calls"
  $metafs gen --rows "$rows" --days 6 --start 2024-05-01 --seed 7 --files-per-day 2 "$home/data/warehouse/ucaas/calls" | grep '^wrote' 
  echo "\$ metafs repair --home $home warehouse.ucaas.calls"
  $metafs repair --home "$home" warehouse.ucaas.calls
fi
echo "\$ cat $calls/.schema"; cat "$calls/.schema"
echo "\$ ls $calls"; ls "$calls"

step "a SQL job builds the partitioned feature table ucaas.call_features"
cat > "$demo/call_features.sql" <<'SQL'
CREATE TABLE IF NOT EXISTS ucaas.call_features PARTITIONED BY (dt) STORED AS PARQUET AS
SELECT meeting_id, region, client_type, participants, duration_s, jitter_ms,
       packet_loss_pct, latency_ms, mos, hour(started_at) AS start_hour, dropped, dt
FROM ucaas.calls;
SQL
cat "$demo/call_features.sql"
$metafs submit --mount "$mnt" --name call_features --wait "$demo/call_features.sql"
echo "\$ sed -n '/== Physical Plan ==/,\$p' $mnt/jobs/call_features/plan"
sed -n '/== Physical Plan ==/,$p' "$mnt/jobs/call_features/plan"

step "a sync rule mirrors the feature table to lake, the meeting ids masked"
printf 'source = warehouse.ucaas.call_features\ntarget = lake\nmask = meeting_id:hash\n' > "$demo/ucaas.rule"
cp "$demo/ucaas.rule" "$mnt/sync/ucaas.rule"
wait_for 10 "the mirror in lake" test -e "$lake/ucaas/call_features/.schema"
echo "\$ cat $lake/ucaas/call_features/.refresh"; cat "$lake/ucaas/call_features/.refresh"

step "pipeline definitions: train, then predict (XGBoost), posting to the receiver"
# mkdef NAME OPERATION: a definition in $pdir/NAME.ini; state under $abs/state
mkdef() {
  local name=$1 op=$2
  {
    printf '[pipeline]\nname = %s\nsource = lake/ucaas/call_features\noperation = %s\n' "$name" "$op"
    printf 'features = jitter_ms, packet_loss_pct, latency_ms, participants, duration_s\n'
    if [ "$op" = train ]; then
      printf 'label = dropped\n'
    else
      printf 'id_column = meeting_id\ngroup_by = region\nthreshold = 0.5\n'
      # the first run scores what comes after this snapshot, not the days trained on
      printf 'since = %s\n' "$since"
    fi
    printf 'state = %s\nmodel = %s\n' "$abs/state/$name" "$abs/state/call_quality.model.json"
    printf '\n[xgboost]\nobjective = binary:logistic\nmax_depth = 4\neta = 0.3\nnum_round = 50\nseed = 7\nholdout = 0.2\n'
    printf '\n[output]\nwebhook_url = http://127.0.0.1:%s/hook\nwebhook_token = %s\n' "$port" "$token"
    printf 'webhook_format = full\nretries = 5\nbackoff_ms = 200\n'
  } > "$pdir/$name.ini"
  mkdir -p "$abs/state/$name"
}
since=$(awk '$1 == "snapshot" {print $2}' "$lake/ucaas/call_features/.refresh")
mkdef call_quality_train train
mkdef call_quality_predict predict
cat "$pdir/call_quality_predict.ini"

activation=0
[ -d "$mnt/pipelines" ] && activation=1
if [ $activation = 1 ]; then
  cp "$pdir/call_quality_train.ini" "$mnt/pipelines/call_quality_train.ini"
  echo "\$ cat $mnt/pipelines/call_quality_train/run     # train now"
  cat "$mnt/pipelines/call_quality_train/run"
  cp "$pdir/call_quality_predict.ini" "$mnt/pipelines/call_quality_predict.ini"
  echo "\$ ls $mnt/pipelines"; ls "$mnt/pipelines"
  train_runs=$(awk '$1 == "runs:" {print $2}' "$mnt/pipelines/call_quality_train/status")
else
  echo "(no $mnt/pipelines: this daemon does not activate pipelines; running metafs-pipeline here)"
  echo "\$ metafs-pipeline --mount $mnt $pdir/call_quality_train.ini"
  "$pipeline" --mount "$mnt" "$pdir/call_quality_train.ini" ||
    { echo "demo: metafs-pipeline (train) exited with status $?" >&2; exit 1; }
fi

step "a new day of calls lands; the daily job adds it to the feature table"
last=$(find "$calls" -mindepth 1 -maxdepth 1 -name "dt=*" -printf "%f\n" | sed "s/^dt=//" | sort | tail -n 1)
next=$(date -u -d "$last + 1 day" +%F)
before=$(grep -c . "$demo/webhook.jsonl" || true)
seed=$(($(date -u -d "$next" +%s) / 86400))   # a seed of its own for each day
echo "\$ metafs gen --rows $((rows / 6)) --days 1 --start $next --seed $seed $calls"
$metafs gen --rows "$((rows / 6))" --days 1 --start "$next" --seed "$seed" "$calls" | grep '^wrote' 
cat > "$demo/daily.sql" <<SQL
INSERT INTO ucaas.call_features
SELECT meeting_id, region, client_type, participants, duration_s, jitter_ms,
       packet_loss_pct, latency_ms, mos, hour(started_at), dropped, dt
FROM ucaas.calls WHERE dt = DATE '$next';
SQL
cat "$demo/daily.sql"
$metafs submit --mount "$mnt" --name daily --wait "$demo/daily.sql"

scored() { python3 -c '
import json, sys
n = int(sys.argv[2])
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][n:]
sys.exit(0 if any("rows scored" in m["body"].get("head", {}).get("text", m["body"].get("text", "")) for m in msgs) else 1)
' "$demo/webhook.jsonl" "$before"; }
if [ $activation = 1 ]; then
  echo "(the sync mirrors the change; the daemon activates the pipelines on lake/ucaas/call_features)"
  wait_for 60 "a prediction delivered by the activated pipeline" scored
  wait_for 30 "the predict pipeline's status exit_code 0" \
    grep -Eq 'exit_code[:= ]+0\b' "$mnt/pipelines/call_quality_predict/status"
  trained_again() {
    [ "$(awk '$1 == "runs:" {print $2}' "$mnt/pipelines/call_quality_train/status")" -gt "$train_runs" ] &&
      [ "$(head -n 1 "$mnt/pipelines/call_quality_train/status")" != running ]
  }
  wait_for 60 "the train pipeline's activated run" trained_again
  echo "\$ cat $mnt/pipelines/call_quality_predict/status"; cat "$mnt/pipelines/call_quality_predict/status"
  echo "\$ cat $mnt/pipelines/call_quality_train/status"; cat "$mnt/pipelines/call_quality_train/status"
else
  echo "\$ metafs-pipeline --mount $mnt $pdir/call_quality_predict.ini"
  "$pipeline" --mount "$mnt" "$pdir/call_quality_predict.ini" ||
    { echo "demo: metafs-pipeline (predict) exited with status $?" >&2; exit 1; }
  wait_for 10 "a prediction at the receiver" scored
fi
echo "\$ tail -n 2 $lake/ucaas/call_features/.refresh"; tail -n 2 "$lake/ucaas/call_features/.refresh"

step "what the channel received"
python3 -c '
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def title(m):
    b = m["body"]
    return b["head"].get("text", "") if isinstance(b.get("head"), dict) else b.get("text", "").split("\n")[0]
print("trainings: %d, predictions: %d" % (sum("trained" in title(m) for m in msgs),
                                          sum("rows scored" in title(m) for m in msgs)))
' "$demo/webhook.jsonl"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    if not l.strip():
        continue
    m = json.loads(l)
    b = m["body"]
    print("--- message (Authorization: %s, Idempotency-Key: %s)"
          % (m["headers"].get("Authorization", ""), m["headers"].get("Idempotency-Key", "")))
    if isinstance(b.get("head"), dict):
        print(b["head"].get("text", ""))
        for item in b.get("body", []):
            print("  " + str(item.get("text", "")))
    else:
        print(b.get("text", ""))
' "$demo/webhook.jsonl"

echo
echo "the mount stays up; unmount with: fusermount3 -u $mnt"
echo "the webhook receiver stays up (log: $demo/webhook.jsonl); stop it with: kill $(cat "$demo/webhook.pid")"
