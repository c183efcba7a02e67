#!/usr/bin/env bash
# test_parquet_edge.sh - Parquet at the edges of the flow:
#   (a) `metafs gen --format parquet` writes one Parquet file per partition
#       and file, the same rows as the CSV it writes for the same arguments;
#       --print-schema says `format parquet`;
#   (b) the files are committed into a Parquet table through the mount (and
#       the same rows as CSV into a CSV table);
#   (c) a sync rule with masks mirrors both into lake: the mirror's schema has
#       the masked columns as strings and the others with their types; the
#       Parquet mirror's files, read through the mount (FMT_PARQUET_CAT:
#       metafs's reader, and DuckDB's read_parquet when it is installed), are
#       Parquet with the masked values the CSV mirror has for the same rows;
#       stat's size is the bytes a read returns;
#   (d) metafs-pipeline trains on the Parquet mirror's .refresh partitions and
#       posts to a local webhook receiver; predict scores its rows;
#   (e) `metafs gen --format parquet` straight into the mount: the same bytes,
#       and the masked mirror serves the new day;
#   (f) a file that is not Parquet in the Parquet table is never served raw
#       through lake (refused at commit, or EIO on the masked read).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

: "${METAFS_PIPELINE:=$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/pipeline/metafs-pipeline}"
: "${FMT_PARQUET_CAT:=$(cd "$(dirname "$METAFS")/.." 2>/dev/null && pwd)/tests/unit/fmt_parquet_cat}"
RECEIVER=$METAFS_SRCDIR/tools/webhook_receiver.py
TOKEN=pq-token
WAIT=10   # seconds for a rule to mirror

mf_setup
S=$M/sync
PQCAT=$FMT_PARQUET_CAT
[ -x "$PQCAT" ] || mf_abort "setup: $PQCAT is built"

# ---------------------------------------------------------------- (a) metafs gen
GP=$MF_TMP/genpq
GC=$MF_TMP/gencsv
assert_ok "(a) metafs gen --format parquet writes a data set" \
	"$METAFS" gen --rows 6000 --days 3 --seed 5 --files-per-day 2 --format parquet "$GP"
assert_match "(a) it says what it wrote" "wrote 6000 rows, [0-9]+ bytes in 6 files, 3 partitions .*parquet" "$MF_OUT"
assert_eq "(a) one .parquet file per partition and file" "dt=2024-05-01/part-00000.parquet
dt=2024-05-01/part-00001.parquet
dt=2024-05-02/part-00000.parquet
dt=2024-05-02/part-00001.parquet
dt=2024-05-03/part-00000.parquet
dt=2024-05-03/part-00001.parquet" "$(cd "$GP" && find . -type f | sed 's|^\./||' | sort)"
assert_eq "(a) the files are Parquet (PAR1 at both ends)" "PAR1 PAR1" \
	"$(head -c 4 "$GP/dt=2024-05-01/part-00000.parquet") $(tail -c 4 "$GP/dt=2024-05-01/part-00000.parquet")"
assert_eq "(a) with the typed columns of the schema" "meeting_id string
region string
client_type string
participants bigint
duration_s bigint
jitter_ms double
packet_loss_pct double
latency_ms double
mos double
dropped boolean
started_at timestamp" "$("$PQCAT" --schema "$GP/dt=2024-05-01/part-00000.parquet" 2>&1)"
"$METAFS" gen --rows 6000 --days 3 --seed 5 --files-per-day 2 "$GC" >/dev/null 2>&1
# The same rows as the CSV: the text columns byte for byte, the numbers as numbers
# (the CSV writes 12.30 where the engine's text of the double is 12.3).
same_rows() {   # same_rows PARQUET CSV
	diff <("$PQCAT" "$1" | cut -d, -f1-5,10,11) <(cut -d, -f1-5,10,11 "$2") >/dev/null &&
		diff <("$PQCAT" "$1" | cut -d, -f6-9 | tr , '\n' | awk '$0 == "" {print; next} {printf "%.3f\n", $0}') \
			<(cut -d, -f6-9 "$2" | tr , '\n' | awk '$0 == "" {print; next} {printf "%.3f\n", $0}') >/dev/null
}
assert_ok "(a) the Parquet files hold the rows the CSV files hold" \
	same_rows "$GP/dt=2024-05-02/part-00001.parquet" "$GC/dt=2024-05-02/part-00001.csv"
assert_eq "(a) telemetry gaps are NULLs" "True" \
	"$("$PQCAT" "$GP"/dt=*/part-*.parquet | awk -F, 'NR > 1 && ($6 == "" || $9 == "") {n++} END {print (n > 0 ? "True" : "False")}')"
mkdir -p "$MF_TMP/genpq2"
"$METAFS" gen --rows 6000 --days 3 --seed 5 --files-per-day 2 --format parquet "$MF_TMP/genpq2" >/dev/null 2>&1
assert_ok "(a) the same arguments write the same bytes" diff -r "$GP" "$MF_TMP/genpq2"
assert_ok "(a) --print-schema --format parquet" "$METAFS" gen --print-schema --format parquet
assert_eq "(a) the schema says format parquet and no header" "format parquet
column meeting_id string" "$(printf '%s\n' "$MF_OUT" | head -n 2)"
expect_fail_errno "(a) an unknown --format is refused" "bad value for --format" \
	"$METAFS" gen --format orc "$MF_TMP/x"

# ---------------------------------------------------------------- (b) through the mount
"$METAFS" gen --print-schema --format parquet >"$MF_TMP/pq.schema"
"$METAFS" gen --print-schema >"$MF_TMP/csv.schema"
mkdir -p "$W/ucaas/calls_pq" "$W/ucaas/calls_csv" || mf_abort "mkdir the tables"
assert_ok "(b) the Parquet schema is accepted by the mount" cp "$MF_TMP/pq.schema" "$W/ucaas/calls_pq/.schema"
cp "$MF_TMP/csv.schema" "$W/ucaas/calls_csv/.schema" || mf_abort "the CSV table"
assert_eq "(b) .table says format parquet" "parquet" "$(mf_field "$W/ucaas/calls_pq/.table" format)"
for d in 01 02 03; do
	mkdir "$W/ucaas/calls_pq/dt=2024-05-$d" "$W/ucaas/calls_csv/dt=2024-05-$d" || mf_abort "mkdir dt=2024-05-$d"
	for k in 0 1; do
		cp "$GP/dt=2024-05-$d/part-0000$k.parquet" "$W/ucaas/calls_pq/dt=2024-05-$d/" ||
			fail "(b) cp dt=2024-05-$d/part-0000$k.parquet into the mount"
		cp "$GC/dt=2024-05-$d/part-0000$k.csv" "$W/ucaas/calls_csv/dt=2024-05-$d/" ||
			mf_abort "cp the CSV"
	done
done
assert_eq "(b) the Parquet table lists its partitions" "dt=2024-05-01
dt=2024-05-02
dt=2024-05-03" "$(mf_ls "$W/ucaas/calls_pq")"
assert_eq "(b) .table counts the partitions" "3" "$(mf_field "$W/ucaas/calls_pq/.table" partitions)"
F=$W/ucaas/calls_pq/dt=2024-05-01/part-00000.parquet
assert_ok "(b) a file reads back byte for byte" cmp "$F" "$GP/dt=2024-05-01/part-00000.parquet"
assert_eq "(b) .partition records the files' bytes" \
	"$(( $(stat -c %s "$GP/dt=2024-05-01/part-00000.parquet") + $(stat -c %s "$GP/dt=2024-05-01/part-00001.parquet") ))" \
	"$(mf_field "$W/ucaas/calls_pq/dt=2024-05-01/.partition" bytes)"
CSV_ROWS=$(mf_field "$W/ucaas/calls_csv/.table" rows)
assert_eq "(b) the CSV table counts 6000 rows" "6000" "$CSV_ROWS"
assert_eq "(b) .table counts the Parquet files' rows (their footers')" "6000" \
	"$(mf_field "$W/ucaas/calls_pq/.table" rows)"

# ---------------------------------------------------------------- (c) the masked mirror
MASK='meeting_id:hash, participants:hash, started_at:truncate(13), client_type:redact, mos:null'
printf 'source = warehouse.ucaas.calls_*\ntarget = lake\nmirror = schema, properties, partitions\nmask = %s\n' "$MASK" >"$MF_TMP/pq.rule"
assert_ok "(c) a rule masking both tables is accepted" cp "$MF_TMP/pq.rule" "$S/pq.rule"
mf_poll "$WAIT" test -e "$L/ucaas/calls_pq/dt=2024-05-03/part-00001.parquet" ||
	fail "(c) the Parquet mirror's partitions appear" "$(cat "$S/pq/status" 2>&1)"
mf_poll "$WAIT" test -e "$L/ucaas/calls_csv/dt=2024-05-03/part-00001.csv" ||
	fail "(c) the CSV mirror's partitions appear" "$(cat "$S/pq/status" 2>&1)"
assert_eq "(c) the mirror's schema: masked columns are strings, mos (null) keeps its type" "format parquet
column meeting_id string
column region string
column client_type string
column participants string
column duration_s bigint
column jitter_ms double
column packet_loss_pct double
column latency_ms double
column mos double
column dropped boolean
column started_at string
partition dt date" "$(grep -v '^property ' "$L/ucaas/calls_pq/.schema" 2>&1)"
MF=$L/ucaas/calls_pq/dt=2024-05-02/part-00001.parquet
MC=$L/ucaas/calls_csv/dt=2024-05-02/part-00001.csv
assert_eq "(c) the masked file is Parquet with the mirror's column types" "meeting_id string
region string
client_type string
participants string
duration_s bigint
jitter_ms double
packet_loss_pct double
latency_ms double
mos double
dropped boolean
started_at string" "$("$PQCAT" --schema "$MF" 2>&1)"
"$PQCAT" "$MF" >"$MF_TMP/masked_pq.csv" 2>&1
cat "$MC" >"$MF_TMP/masked_csv.csv" 2>&1
assert_eq "(c) it has the source file's rows" "$(grep -c . "$GC/dt=2024-05-02/part-00001.csv")" \
	"$(grep -c . "$MF_TMP/masked_pq.csv")"
assert_match "(c) masked values: hashes, REDACTED, truncated timestamps, NULL mos" \
	'^mtg-|^[0-9a-f]{32},[a-z-]+,REDACTED,[0-9a-f]{32},[0-9]+,[0-9.]*,[0-9.]*,[0-9.]*,,(true|false),2024-05-02 [0-9]{2}$' \
	"$(sed -n 2p "$MF_TMP/masked_pq.csv")"
assert_ok "(c) the masked columns equal the CSV mirror's for the same rows" \
	diff <(cut -d, -f1-5,9-11 "$MF_TMP/masked_pq.csv") <(cut -d, -f1-5,9-11 "$MF_TMP/masked_csv.csv")
assert_eq "(c) no raw meeting id is readable in the Parquet mirror" "0" \
	"$(grep -c 'mtg-' "$MF" 2>&1)"
assert_ok "(c) unmasked doubles keep their values" diff \
	<(cut -d, -f6-8 "$MF_TMP/masked_pq.csv" | tail -n +2 | tr , '\n' | awk '$0 == "" {print; next} {printf "%.3f\n", $0}') \
	<(cut -d, -f6-8 "$GC/dt=2024-05-02/part-00001.csv" | tail -n +2 | tr , '\n' | awk '$0 == "" {print; next} {printf "%.3f\n", $0}')
for f in "$L"/ucaas/calls_pq/dt=*/part-*.parquet; do
	if [ "$(stat -c %s "$f")" = "$(wc -c <"$f")" ]; then
		pass "(c) stat's size is the bytes read: ${f#"$L"/}"
	else
		fail "(c) stat's size is the bytes read: ${f#"$L"/}" "stat $(stat -c %s "$f"), read $(wc -c <"$f")"
	fi
done
assert_eq "(c) a second read gives the same bytes" "$(cksum <"$MF")" "$(cksum <"$MF")"
P=$(awk 'NR==2 {print $2}' "$L/ucaas/calls_pq/.refresh")
assert_ok "(c) a .refresh path reads the masked file" cmp "$M/$P/part-00001.parquet" "$MF"
if mf_have_duckdb; then
	assert_eq "(c) DuckDB reads the masked mirror through the mount" \
		"$(($(grep -c . "$MF_TMP/masked_pq.csv") - 1)) 32 32 0 VARCHAR DOUBLE
$(sed -n 2,4p "$MF_TMP/masked_csv.csv" | cut -d, -f1)" \
		"$(mf_duckdb -s ' ' "SELECT count(*), min(length(meeting_id)), max(length(meeting_id)),
			count(mos), any_value(typeof(participants)), any_value(typeof(jitter_ms))
			FROM read_parquet('$MF')" "SELECT meeting_id FROM read_parquet('$MF') LIMIT 3" 2>&1)"
else
	note "(c) DuckDB (@duckdb/node-api) is not installed: its read of the mirror is skipped; FMT_PARQUET_CAT read it"
fi

# ---------------------------------------------------------------- (d) the pipeline
PST=$MF_TMP/pl
mkdir -p "$PST"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: >"$PST/hook.jsonl"
python3 "$RECEIVER" --port "$PORT" --token "$TOKEN" --log "$PST/hook.jsonl" >"$PST/hook.out" 2>&1 </dev/null &
MF_FG_PIDS+=("$!")
mf_poll 10 grep -q "listening on" "$PST/hook.out" || mf_abort "setup: the webhook receiver listens" "$(cat "$PST/hook.out")"
mkdef() {   # mkdef NAME OPERATION
	mkdir -p "$PST/state/$1"
	{
		printf '[pipeline]\nname = %s\nsource = lake/ucaas/calls_pq\noperation = %s\n' "$1" "$2"
		printf 'features = jitter_ms, packet_loss_pct, latency_ms, duration_s\n'
		if [ "$2" = train ]; then
			printf 'label = dropped\n'
		else
			printf 'id_column = meeting_id\ngroup_by = region\nthreshold = 0.5\n'
		fi
		printf 'state = %s\nmodel = %s\n' "$PST/state/$1" "$PST/model.json"
		printf '\n[xgboost]\nobjective = binary:logistic\nmax_depth = 4\neta = 0.3\nnum_round = 30\nseed = 7\nholdout = 0.2\n'
		printf '\n[output]\nwebhook_url = http://127.0.0.1:%s/hook\nwebhook_token = %s\nretries = 3\nbackoff_ms = 100\n' "$PORT" "$TOKEN"
	} >"$PST/$1.ini"
}
msg() {   # msg N EXPR-OF-m
	python3 -c '
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
if n >= len(msgs):
    print("no message %d" % n); sys.exit(0)
m = msgs[n]; b = m["body"]
text = "\n".join([str(b["head"].get("text", ""))] + [str(i.get("text", "")) for i in b.get("body", [])])
print(eval(sys.argv[3]))
' "$PST/hook.jsonl" "$1" "$2" 2>&1
}
mkdef pq_train train
mf_run "$METAFS_PIPELINE" --mount "$M" "$PST/pq_train.ini"
assert_eq "(d) train over the Parquet mirror exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_match "(d) the receiver got the training message" "trained" "$(msg 0 'b["head"]["text"]')"
assert_eq "(d) with the token" "Bearer $TOKEN" "$(msg 0 'm["headers"].get("Authorization", "")')"
assert_match "(d) trained on the Parquet rows (6000 less the holdout)" "(^|[^0-9])4[0-9]{3}([^0-9]|$)" "$(msg 0 'text')"
AUC=$(msg 0 '__import__("re").search(r"AUC\D{0,20}?([0-9]*\.[0-9]+)", text).group(1)')
if awk -v a="$AUC" 'BEGIN { exit !(a + 0 > 0.65) }' 2>/dev/null && [[ $AUC =~ ^[0-9.]+$ ]]; then
	pass "(d) the model learned the signal from the Parquet features: AUC $AUC"
else
	fail "(d) the model learned the signal from the Parquet features" "AUC: $AUC; $(msg 0 'text')"
fi
mkdef pq_predict predict
mf_run "$METAFS_PIPELINE" --mount "$M" "$PST/pq_predict.ini"
assert_eq "(d) predict over the Parquet mirror exits 0" "0" "$MF_RC" || note "$MF_OUT"
assert_match "(d) the prediction message counts the 6000 rows scored" "6000 rows scored" "$(msg 1 'b["head"]["text"]')"
assert_match "(d) with a line per region (group_by region, read from Parquet)" "us-east" "$(msg 1 'text')"

# ---------------------------------------------------------------- (e) gen into the mount
"$METAFS" gen --rows 800 --days 1 --start 2024-05-04 --seed 6 --format parquet "$MF_TMP/day4" >/dev/null 2>&1
assert_ok "(e) metafs gen --format parquet writes straight into the mount" \
	"$METAFS" gen --rows 800 --days 1 --start 2024-05-04 --seed 6 --format parquet "$W/ucaas/calls_pq"
assert_ok "(e) the committed file is the bytes gen writes elsewhere" \
	cmp "$W/ucaas/calls_pq/dt=2024-05-04/part-00000.parquet" "$MF_TMP/day4/dt=2024-05-04/part-00000.parquet"
if mf_poll "$WAIT" test -e "$L/ucaas/calls_pq/dt=2024-05-04/part-00000.parquet"; then
	pass "(e) the mirror gets the new day"
else
	fail "(e) the mirror gets the new day" "$(cat "$S/pq/status" 2>&1)"
fi
assert_eq "(e) the new day's masked file has its 800 rows" "801" \
	"$("$PQCAT" "$L/ucaas/calls_pq/dt=2024-05-04/part-00000.parquet" 2>&1 | grep -c .)"
assert_eq "(e) .refresh lists the four days" "4" "$(grep -c '^dt=' "$L/ucaas/calls_pq/.refresh" 2>&1)"

# ---------------------------------------------------------------- (f) not Parquet
mkdir -p "$W/ucaas/calls_pq/dt=2024-05-05" || mf_abort "mkdir dt=2024-05-05"
printf 'mtg-raw-secret-0001,eu-west,desktop\n' >"$MF_TMP/bad.parquet"
if cp "$MF_TMP/bad.parquet" "$W/ucaas/calls_pq/dt=2024-05-05/bad.parquet" 2>"$MF_TMP/bad.err"; then
	mf_poll "$WAIT" test -e "$L/ucaas/calls_pq/dt=2024-05-05/bad.parquet" ||
		fail "(f) the mirror lists the file" "$(cat "$S/pq/status" 2>&1)"
	expect_fail_errno "(f) a file that is not Parquet is not served masked (EIO)" "Input/output error" \
		cat "$L/ucaas/calls_pq/dt=2024-05-05/bad.parquet"
	assert_eq "(f) its raw bytes are never read through lake" "0" \
		"$(cat "$L/ucaas/calls_pq/dt=2024-05-05/bad.parquet" 2>/dev/null | grep -c raw-secret)"
else
	pass "(f) a file that is not Parquet is refused at commit: $(cat "$MF_TMP/bad.err")"
fi

mf_finish
