#!/usr/bin/env bash
# test_sql_diff.sh - differential test of the SQL engine: the same queries run
# as metafs jobs and in SQLite over the same data, and their results compared.
#
# The data set (tests/data/gen_calls.py, seeded): a `calls` fact table of
# UCaaS call-quality records partitioned by dt over 10 days (2,000 rows, NULLs
# in most columns, strings that need CSV quoting) and a small `regions`
# dimension table (one region no call uses, one call region it lacks).  It is
# loaded into metafs through the mount (calls made by a CREATE TABLE job,
# regions by mkdir + .schema; the files copied into the partitions) and into
# SQLite with the sqlite3 CLI (.import of the same files, types declared so
# comparisons are numeric, empty fields turned into NULLs, true/false into
# 1/0).
#
# A third table, tariffs (60 rows), holds DECIMAL(6,4), DECIMAL(8,2),
# DECIMAL(4,2) and DECIMAL(6,3) columns (NULLs, negative amounts, values
# written without trailing zeros); SQLite gets them as doubles and, for exact
# arithmetic, as integers in units of their scale (rate_u, fee_c, tax_c,
# cap_m), and --scaled COL=S of compare.py checks a DECIMAL result exactly:
# its value and its scale.
#
# Each query is a pair (metafs SQL, SQLite SQL) — the same text where the
# dialects agree — and one named check: the job must succeed and its result
# must equal SQLite's output under tests/data/compare.py (sorted rows unless
# the query orders them, numbers within a relative 1e-9, NULL distinct from
# the empty string, SQLite's 1/0 read as true/false only in the columns a
# check names as boolean, DECIMAL columns exact with --scaled).  SQLite runs
# with case_sensitive_like on, as Spark's LIKE is case sensitive.  A failing
# check prints the diff.  The read-only checks of a section run as one job (batch_begin
# ... batch_end) whose result holds one section per query; when that job
# fails, each of its queries runs again alone, so a failure names its query.
# A check listed in KNOWN (a difference of the two engines' semantics, not a
# metafs bug) is printed as KNOWN when it differs and is not counted.
#
# Needs python3 and sqlite3 (skipped when missing).  MF_KEEP=1 keeps the
# temporary directory (data, job SQL, both engines' outputs).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || mf_skip "python3 is missing"
command -v sqlite3 >/dev/null || mf_skip "sqlite3 is missing"
DATA_DIR=$METAFS_SRCDIR/tests/data
COMPARE=$DATA_DIR/compare.py

mf_setup
J=$M/jobs
Q=$MF_TMP/q            # per check: NAME.sql, NAME.sqlite.sql, NAME.metafs.csv, NAME.sqlite.csv
REF=$MF_TMP/ref.db     # the SQLite copy, attached as schema qa so table names match
mkdir -p "$Q"

# ---------------------------------------------------------------- helpers

# run_job NAME FILE : submit FILE as job NAME and wait for it; the final
# status text in $STATUS, its first line in $STATE.
run_job() { mf_job_file "$@"; }

# sqlite_run SQL-FILE OUT-FILE : run the statements in the reference database
# with CSV output and headers; stderr in OUT-FILE.err.
sqlite_run() { mf_sqlite_ref "$REF" qa "$@"; }

# diffq NAME [--ordered] [--bools COL,...] [--scaled COL=S,...] <<'SQL'
#   metafs SQL
#   ==== sqlite
#   SQLite SQL            (the separator and this part are left out when
#   SQL                    the same text runs on both)
# One check: the job succeeds, SQLite succeeds, the outputs agree.  Between
# batch_begin and batch_end the check is only queued (see there).
NCHECKS=0
BATCH=
BATCH_NAMES=()
BATCH_OPTS=()
# Checks whose difference from SQLite is a difference of the two engines'
# semantics (not a metafs bug): a failure is printed as KNOWN and not counted.
KNOWN=()
diffq() {
	local name=$1 text msql ssql sep=$'\n==== sqlite\n'
	shift
	text=$(cat)
	if [[ $text == *"$sep"* ]]; then
		msql=${text%%"$sep"*}
		ssql=${text#*"$sep"}
	else
		msql=$text
		ssql=$text
	fi
	NCHECKS=$((NCHECKS + 1))
	printf '%s\n' "$msql" >"$Q/$name.sql"
	printf '%s\n' "$ssql" >"$Q/$name.sqlite.sql"
	if [ -n "$BATCH" ]; then
		BATCH_NAMES+=("$name")
		BATCH_OPTS+=("$*")
		return 0
	fi
	run_one "$name" "$@"
}

# run_one NAME [compare.py options] : run $Q/NAME.sql as job NAME and compare
run_one() {
	local name=$1
	shift
	if ! run_job "$name" "$Q/$name.sql"; then
		check_fail "$name" "$name: metafs runs the query" "$STATUS" "SQL:" "$(cat "$Q/$name.sql")"
		return 1
	fi
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$name/result" >"$Q/$name.metafs.csv" 2>"$MF_TMP/err"; then
		fail "$name: metafs result is readable" "$(cat "$MF_TMP/err")"
		return 1
	fi
	check_compare "$name" "$@"
}

# check_fail NAME TITLE DETAIL... : fail, or only note a check in KNOWN
check_fail() {
	local k
	for k in "${KNOWN[@]}"; do
		if [ "$k" = "$1" ]; then
			note "KNOWN $2 (a semantic difference of the engines, not counted)"
			printf '%s\n' "${@:3}" | head -n 20 | sed 's/^/#    | /'
			return 0
		fi
	done
	fail "${@:2}"
}

# check_compare NAME [compare.py options] : $Q/NAME.metafs.csv is metafs's
# result; run the SQLite side and compare.
check_compare() {
	local name=$1 out
	shift
	if ! sqlite_run "$Q/$name.sqlite.sql" "$Q/$name.sqlite.csv"; then
		fail "$name: sqlite runs the reference query (a test bug)" "$(cat "$Q/$name.sqlite.csv.err")" \
			"SQL:" "$(cat "$Q/$name.sqlite.sql")"
		return 1
	fi
	if out=$(python3 "$COMPARE" "$@" "$Q/$name.metafs.csv" "$Q/$name.sqlite.csv" 2>&1); then
		pass "$name"
	else
		check_fail "$name" "$name" "$out" "metafs SQL:" "$(cat "$Q/$name.sql")"
		return 1
	fi
}

# batch_begin JOB ... batch_end : the checks in between run as one job (the
# job's overhead is most of a small query's time).  Its result holds one
# section per query, separated by blank lines, so a batched query returns at
# least two columns (a row of one NULL column would be a blank line too).
# When the job fails or its sections are not one per query, each check is
# run again as a job of its own, so a failure names its query.
batch_begin() {
	BATCH=$1
	BATCH_NAMES=()
	BATCH_OPTS=()
}
batch_end() {
	local job=$BATCH i n=${#BATCH_NAMES[@]} name nsec
	local -a opts
	BATCH=
	for name in "${BATCH_NAMES[@]}"; do
		cat "$Q/$name.sql"
		printf ';\n'
	done >"$Q/$job.sql"
	nsec=-1
	if run_job "$job" "$Q/$job.sql" &&
		timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$job/result" >"$Q/$job.metafs.csv" 2>"$MF_TMP/err"; then
		rm -f "$Q/$job".sec.*
		awk -v pre="$Q/$job.sec." 'BEGIN { n = 1 } /^$/ { n++; next } { print > (pre n) }' "$Q/$job.metafs.csv"
		nsec=$(find "$Q" -maxdepth 1 -name "$job.sec.*" | wc -l)
	fi
	if [ "$nsec" != "$n" ]; then
		note "batch $job: ${STATE:-?}, $nsec result sections for $n queries: each query runs alone"
		for ((i = 0; i < n; i++)); do
			read -r -a opts <<<"${BATCH_OPTS[i]}"
			run_one "${BATCH_NAMES[i]}" "${opts[@]}"
		done
		return
	fi
	# SQLite's side of each query, then one compare.py for all of them
	: >"$Q/$job.cmp"
	for ((i = 0; i < n; i++)); do
		name=${BATCH_NAMES[i]}
		mv "$Q/$job.sec.$((i + 1))" "$Q/$name.metafs.csv"
		if ! sqlite_run "$Q/$name.sqlite.sql" "$Q/$name.sqlite.csv"; then
			fail "$name: sqlite runs the reference query (a test bug)" "$(cat "$Q/$name.sqlite.csv.err")" \
				"SQL:" "$(cat "$Q/$name.sqlite.sql")"
			continue
		fi
		printf '%q %s %q %q\n' "$name" "${BATCH_OPTS[i]}" "$Q/$name.metafs.csv" "$Q/$name.sqlite.csv" >>"$Q/$job.cmp"
	done
	python3 "$COMPARE" --batch "$Q/$job.cmp" >"$Q/$job.cmp.out" 2>&1 ||
		fail "compare.py --batch runs (a test bug)" "$(cat "$Q/$job.cmp.out")"
	batch_report <"$Q/$job.cmp.out"
}

# batch_report < compare.py --batch output : one pass or failure per record
batch_report() {
	local line name="" rc="" text=""
	while IFS= read -r line; do
		if [[ $line == "== "* ]]; then
			if [ -n "$name" ]; then batch_one "$name" "$rc" "$text"; fi
			line=${line#== }
			name=${line% *}
			rc=${line##* }
			text=
		else
			text+=$line$'\n'
		fi
	done
	if [ -n "$name" ]; then batch_one "$name" "$rc" "$text"; fi
	return 0
}
batch_one() {
	if [ "$2" = 0 ]; then
		pass "$1"
	else
		check_fail "$1" "$1" "$3" "metafs SQL:" "$(cat "$Q/$1.sql")"
	fi
}

# ---------------------------------------------------------------- the comparator can fail
# compare.py must not normalise away real differences: a few known pairs.
cmp_case() { # NAME EXPECTED-STATUS METAFS-TEXT SQLITE-TEXT [OPTS...]
	local name=$1 want=$2 rc
	printf '%s' "$3" >"$MF_TMP/cm.csv"
	printf '%s' "$4" >"$MF_TMP/cs.csv"
	python3 "$COMPARE" "${@:5}" "$MF_TMP/cm.csv" "$MF_TMP/cs.csv" >"$MF_TMP/cmp.out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then pass "comparator: $name"; else
		fail "comparator: $name" "exit status $rc, expected $want" "$(cat "$MF_TMP/cmp.out")"
	fi
}
cmp_case "equal sorted rows agree" 0 $'a,b\n1,x\n2,y\n' $'a,b\n2,y\n1,x\n'
cmp_case "3 and 3.0 agree, 1e-12 relative apart agree" 0 $'a,b\n3,0.1\n' $'a,b\n3.0,0.100000000000001\n'
cmp_case "1e-6 relative apart differ" 1 $'a\n1.000001\n' $'a\n1\n'
cmp_case "3 and 3.5 differ" 1 $'a\n3\n' $'a\n3.5\n'
cmp_case "NULL and the empty string differ" 1 $'a,b\n,1\n' $'a,b\n"",1\n'
cmp_case "a missing row is a difference" 1 $'a\n1\n1\n' $'a\n1\n'
cmp_case "order matters with --ordered" 1 $'a\n1\n2\n' $'a\n2\n1\n' --ordered
cmp_case "column names must match" 1 $'a,c\n1,2\n' $'a,b\n1,2\n'
cmp_case "true is 1 in a boolean column" 0 $'a,b\ntrue,1\n' $'a,b\n1,1\n' --bools a
cmp_case "true is not 1 in other columns" 1 $'a,b\ntrue,true\n' $'a,b\n1,1\n' --bools a
cmp_case "quoted fields with commas and quotes compare by value" 0 $'a\n"web, ""x"""\n' $'a\n"web, ""x"""\n'
cmp_case "text compares byte for byte" 1 $'a\n kiosk\n' $'a\n kiosk \n'
cmp_case "no rows: sqlite prints no header" 0 $'a,b\n' ''
cmp_case "no rows on one side only" 1 $'a,b\n' $'a,b\n1,2\n'
cmp_case "scaled: the same value at the scale agrees" 0 $'a,b\n1.50,x\n-0.06,y\n0.00,z\n,w\n' \
	$'a,b\n150,x\n-6,y\n0,z\n,w\n' --scaled a=2
cmp_case "scaled: 1.5 is not 1.50 (the scale is the result type's)" 1 $'a\n1.5\n' $'a\n150\n' --scaled a=2
cmp_case "scaled: one unit of the last digit apart differ" 1 $'a\n1.51\n' $'a\n150\n' --scaled a=2
cmp_case "scaled: scale 0 is an integer without a point" 1 $'a\n15.0\n' $'a\n15\n' --scaled a=0
cmp_case "scaled: a sqlite field that is not an integer is a test bug" 1 $'a\n1.50\n' $'a\n1.5\n' --scaled a=2
printf 'a,b\n1.50,x\n' >"$MF_TMP/b1.csv"
printf 'a,b\n150,x\n' >"$MF_TMP/b2.csv"
printf '%s\n' "same --scaled a=2 $MF_TMP/b1.csv $MF_TMP/b2.csv" "differ $MF_TMP/b1.csv $MF_TMP/b2.csv" \
	"bad --scaled nosuch=2 $MF_TMP/b1.csv $MF_TMP/b2.csv" >"$MF_TMP/b.list"
assert_eq "comparator: --batch gives each comparison's status in order" $'== same 0\n== differ 1\n== bad 2' \
	"$(python3 "$COMPARE" --batch "$MF_TMP/b.list" 2>&1 | grep '^== ')"

# ---------------------------------------------------------------- the data set
DATA=$MF_TMP/data
if ! out=$(python3 "$DATA_DIR/gen_calls.py" --seed 20240501 --rows 2000 --days 10 "$DATA" 2>&1); then
	mf_abort "gen_calls.py writes the data set" "$out"
fi
NROWS=$(cat "$DATA/calls.count")
mapfile -t PARTS < <(cd "$DATA/calls" && printf '%s\n' dt=* | sort)

# metafs: calls by a CREATE TABLE job, regions through the mount
cat >"$Q/ddl.sql" <<'SQL'
CREATE DATABASE qa;
CREATE TABLE qa.calls (
  meeting_id STRING, region STRING, client_type STRING,
  participants BIGINT, duration_s BIGINT, jitter_ms DOUBLE, packet_loss_pct DOUBLE,
  latency_ms BIGINT, mos DOUBLE, dropped BOOLEAN, started_at TIMESTAMP)
PARTITIONED BY (dt DATE) STORED AS CSV TBLPROPERTIES ('header'='true');
CREATE TABLE qa.tariffs (
  tariff_id BIGINT, region STRING, client_type STRING,
  rate DECIMAL(6,4), fee DECIMAL(8,2), tax DECIMAL(4,2), tax_cap DECIMAL(6,3), valid_from DATE)
STORED AS CSV TBLPROPERTIES ('header'='true');
SQL
run_job ddl "$Q/ddl.sql" || mf_abort "CREATE TABLE qa.calls job succeeds" "$STATUS"
for p in "${PARTS[@]}"; do
	mf_run mkdir "$W/qa/calls/$p" || mf_abort "mkdir $W/qa/calls/$p" "$MF_OUT"
	mf_run cp "$DATA/calls/$p/part-00000.csv" "$W/qa/calls/$p/" || mf_abort "cp into $p" "$MF_OUT"
done
mf_make_table "$W/qa/regions" $'format csv\nheader true\ncolumn region string\ncolumn country string\ncolumn tier string\n'
mf_run cp "$DATA/regions.csv" "$W/qa/regions/" || mf_abort "cp regions.csv" "$MF_OUT"
assert_eq "calls holds every generated row" "$NROWS" "$(mf_field "$W/qa/calls/.table" rows)"
assert_eq "regions holds 8 rows" "8" "$(mf_field "$W/qa/regions/.table" rows)"
mf_run cp "$DATA/tariffs.csv" "$W/qa/tariffs/" || mf_abort "cp tariffs.csv" "$MF_OUT"
assert_eq "tariffs holds 60 rows" "60" "$(mf_field "$W/qa/tariffs/.table" rows)"

# SQLite: the same files, through a text staging table
{
	cat <<'SQL'
.bail on
CREATE TABLE calls (meeting_id TEXT, region TEXT, client_type TEXT,
  participants INTEGER, duration_s INTEGER, jitter_ms REAL, packet_loss_pct REAL,
  latency_ms INTEGER, mos REAL, dropped INTEGER, started_at TEXT, dt TEXT);
CREATE TABLE stage (meeting_id TEXT, region TEXT, client_type TEXT,
  participants TEXT, duration_s TEXT, jitter_ms TEXT, packet_loss_pct TEXT,
  latency_ms TEXT, mos TEXT, dropped TEXT, started_at TEXT);
CREATE TABLE regions (region TEXT, country TEXT, tier TEXT);
CREATE TABLE tstage (tariff_id TEXT, region TEXT, client_type TEXT,
  rate TEXT, fee TEXT, tax TEXT, tax_cap TEXT, valid_from TEXT);
SQL
	for p in "${PARTS[@]}"; do
		printf '.import --csv --skip 1 "%s" stage\n' "$DATA/calls/$p/part-00000.csv"
		cat <<SQL
INSERT INTO calls SELECT NULLIF(meeting_id, ''), NULLIF(region, ''), NULLIF(client_type, ''),
  NULLIF(participants, ''), NULLIF(duration_s, ''), NULLIF(jitter_ms, ''), NULLIF(packet_loss_pct, ''),
  NULLIF(latency_ms, ''), NULLIF(mos, ''),
  CASE dropped WHEN 'true' THEN 1 WHEN 'false' THEN 0 END, NULLIF(started_at, ''), '${p#dt=}'
FROM stage;
DELETE FROM stage;
SQL
	done
	printf '.import --csv --skip 1 "%s" regions\n' "$DATA/regions.csv"
	printf '.import --csv --skip 1 "%s" tstage\n' "$DATA/tariffs.csv"
	# the DECIMAL columns as doubles, and exactly as integers in units of
	# their scale (rate_u 1e-4, fee_c cents, tax_c cents, cap_m 1e-3)
	cat <<'SQL'
CREATE TABLE tariffs AS SELECT CAST(tariff_id AS INTEGER) AS tariff_id,
  NULLIF(region, '') AS region, NULLIF(client_type, '') AS client_type,
  CAST(NULLIF(rate, '') AS REAL) AS rate, CAST(NULLIF(fee, '') AS REAL) AS fee,
  CAST(NULLIF(tax, '') AS REAL) AS tax, CAST(NULLIF(tax_cap, '') AS REAL) AS tax_cap,
  valid_from,
  CAST(round(CAST(NULLIF(rate, '') AS REAL) * 10000) AS INTEGER) AS rate_u,
  CAST(round(CAST(NULLIF(fee, '') AS REAL) * 100) AS INTEGER) AS fee_c,
  CAST(round(CAST(NULLIF(tax, '') AS REAL) * 100) AS INTEGER) AS tax_c,
  CAST(round(CAST(NULLIF(tax_cap, '') AS REAL) * 1000) AS INTEGER) AS cap_m
FROM tstage;
DROP TABLE tstage;
SQL
	printf 'DROP TABLE stage;\n'
} >"$MF_TMP/load.sqlite"
if ! out=$(sqlite3 -batch "$REF" <"$MF_TMP/load.sqlite" 2>&1); then
	mf_abort "sqlite3 loads the data set" "$out"
fi
assert_eq "sqlite holds every generated row" "$NROWS" "$(sqlite3 "$REF" 'SELECT count(*) FROM calls')"

# ---------------------------------------------------------------- scans and filters

batch_begin batch_scans_expressions

diffq all_rows --bools dropped <<'SQL'
SELECT * FROM qa.calls
SQL

diffq rows_per_partition --ordered <<'SQL'
SELECT dt, count(*) AS n FROM qa.calls GROUP BY dt ORDER BY dt
SQL

diffq and_or_not <<'SQL'
SELECT meeting_id, client_type, jitter_ms, packet_loss_pct, started_at
FROM qa.calls
WHERE (region = 'us-east' OR region = 'eu-west')
  AND NOT (jitter_ms > 30 OR packet_loss_pct >= 2.5)
  AND dt = DATE '2024-05-02'
==== sqlite
SELECT meeting_id, client_type, jitter_ms, packet_loss_pct, started_at
FROM qa.calls
WHERE (region = 'us-east' OR region = 'eu-west')
  AND NOT (jitter_ms > 30 OR packet_loss_pct >= 2.5)
  AND dt = '2024-05-02'
SQL

# three-valued logic: NULL OR TRUE is TRUE, NULL AND FALSE is FALSE, NOT NULL is NULL
diffq three_valued_logic <<'SQL'
SELECT count(*) AS n,
  count(mos) AS n_mos,
  sum(CASE WHEN mos < 3.0 OR dropped THEN 1 ELSE 0 END) AS low_or_dropped,
  sum(CASE WHEN NOT (mos < 3.0 AND dropped) THEN 1 ELSE 0 END) AS not_both,
  sum(CASE WHEN (mos < 3.0 OR dropped) IS NULL THEN 1 ELSE 0 END) AS or_unknown,
  sum(CASE WHEN (mos < 3.0 AND dropped) IS NULL THEN 1 ELSE 0 END) AS and_unknown,
  sum(CASE WHEN NOT dropped THEN 1 ELSE 0 END) AS kept
FROM qa.calls
SQL

diffq boolean_columns --bools dropped,low,kept,either <<'SQL'
SELECT meeting_id, started_at, dropped, mos < 3.0 AS low, NOT dropped AS kept,
  dropped OR jitter_ms > 40 AS either
FROM qa.calls WHERE dt = DATE '2024-05-10'
==== sqlite
SELECT meeting_id, started_at, dropped, mos < 3.0 AS low, NOT dropped AS kept,
  dropped OR jitter_ms > 40 AS either
FROM qa.calls WHERE dt = '2024-05-10'
SQL

diffq in_list <<'SQL'
SELECT region, client_type, count(*) AS n
FROM qa.calls
WHERE client_type IN ('web', 'web, legacy', 'desktop "beta"') AND region NOT IN ('us-east', 'eu-west')
GROUP BY region, client_type
SQL

diffq in_list_with_null <<'SQL'
SELECT sum(CASE WHEN participants IN (1, 2) THEN 1 ELSE 0 END) AS in_12,
  sum(CASE WHEN participants NOT IN (1, 2) THEN 1 ELSE 0 END) AS not_in_12,
  sum(CASE WHEN participants NOT IN (1, 2, NULL) THEN 1 ELSE 0 END) AS not_in_null,
  sum(CASE WHEN participants IN (1, 2, NULL) THEN 1 ELSE 0 END) AS in_null,
  sum(CASE WHEN (participants IN (1, 2, NULL)) IS NULL THEN 1 ELSE 0 END) AS in_unknown
FROM qa.calls
SQL

diffq between <<'SQL'
SELECT meeting_id, latency_ms, mos, dt
FROM qa.calls
WHERE latency_ms BETWEEN 100 AND 120 AND mos NOT BETWEEN 2.0 AND 4.0
  AND dt BETWEEN DATE '2024-05-03' AND DATE '2024-05-08'
==== sqlite
SELECT meeting_id, latency_ms, mos, dt
FROM qa.calls
WHERE latency_ms BETWEEN 100 AND 120 AND mos NOT BETWEEN 2.0 AND 4.0
  AND dt BETWEEN '2024-05-03' AND '2024-05-08'
SQL

diffq like <<'SQL'
SELECT client_type, count(*) AS n
FROM qa.calls
WHERE client_type LIKE 'mobile-%' OR client_type LIKE '%"beta"' OR client_type LIKE 'web_ legacy'
  OR client_type LIKE 'Desktop%' OR client_type LIKE '_kiosk_'
GROUP BY client_type
SQL

diffq not_like <<'SQL'
SELECT region, count(*) AS n
FROM qa.calls
WHERE region NOT LIKE 'us-%' AND region NOT LIKE '%-2'
GROUP BY region
SQL

diffq is_null <<'SQL'
SELECT sum(CASE WHEN region IS NULL THEN 1 ELSE 0 END) AS region_null,
  count(*) - count(jitter_ms) AS jitter_null,
  sum(CASE WHEN mos IS NOT NULL AND dropped IS NULL THEN 1 ELSE 0 END) AS mos_but_no_drop,
  sum(CASE WHEN started_at IS NULL THEN 1 ELSE 0 END) AS ts_null,
  sum(CASE WHEN client_type IS NOT NULL THEN 1 ELSE 0 END) AS client_known
FROM qa.calls
SQL

# ---------------------------------------------------------------- expressions

diffq case_searched <<'SQL'
SELECT CASE WHEN mos >= 4.0 THEN 'good' WHEN mos >= 3.0 THEN 'fair'
            WHEN mos IS NULL THEN 'unknown' ELSE 'poor' END AS quality,
  count(*) AS n, avg(jitter_ms) AS avg_jitter, max(packet_loss_pct) AS worst_loss
FROM qa.calls
GROUP BY CASE WHEN mos >= 4.0 THEN 'good' WHEN mos >= 3.0 THEN 'fair'
              WHEN mos IS NULL THEN 'unknown' ELSE 'poor' END
SQL

diffq case_simple <<'SQL'
SELECT meeting_id, client_type,
  CASE client_type WHEN 'desktop' THEN 1 WHEN 'web' THEN 2 WHEN 'web, legacy' THEN 2 ELSE 0 END AS kind,
  CASE region WHEN NULL THEN 'never' WHEN 'sa-east' THEN 'latam' END AS geo
FROM qa.calls WHERE dt = DATE '2024-05-04'
==== sqlite
SELECT meeting_id, client_type,
  CASE client_type WHEN 'desktop' THEN 1 WHEN 'web' THEN 2 WHEN 'web, legacy' THEN 2 ELSE 0 END AS kind,
  CASE region WHEN NULL THEN 'never' WHEN 'sa-east' THEN 'latam' END AS geo
FROM qa.calls WHERE dt = '2024-05-04'
SQL

diffq cast <<'SQL'
SELECT meeting_id,
  CAST(jitter_ms AS BIGINT) AS jitter_int,
  CAST(participants AS STRING) AS participants_text,
  CAST(latency_ms AS DOUBLE) AS latency_d,
  CAST(mos * 100 AS BIGINT) AS mos_x100,
  CAST(substr(meeting_id, 3) AS BIGINT) AS meeting_no,
  CAST(started_at AS DATE) AS start_day
FROM qa.calls WHERE dt = DATE '2024-05-05'
==== sqlite
SELECT meeting_id,
  CAST(jitter_ms AS INTEGER) AS jitter_int,
  CAST(participants AS TEXT) AS participants_text,
  CAST(latency_ms AS REAL) AS latency_d,
  CAST(mos * 100 AS INTEGER) AS mos_x100,
  CAST(substr(meeting_id, 3) AS INTEGER) AS meeting_no,
  date(started_at) AS start_day
FROM qa.calls WHERE dt = '2024-05-05'
SQL

diffq coalesce <<'SQL'
SELECT meeting_id, coalesce(region, 'unknown') AS region, coalesce(mos, 0.0) AS mos0,
  coalesce(participants, duration_s, -1) AS p, coalesce(jitter_ms, packet_loss_pct) AS jl
FROM qa.calls
WHERE region IS NULL OR mos IS NULL OR participants IS NULL OR jitter_ms IS NULL
SQL

# Spark's / is always a double division (SQLite divides integers as
# integers, so its side says 4.0); x / 0 is NULL in both.
diffq arithmetic_with_null <<'SQL'
SELECT meeting_id, participants * duration_s AS leg_seconds, jitter_ms + latency_ms AS delay,
  packet_loss_pct / 100 AS loss_frac, duration_s % 60 AS secs, -latency_ms AS neg,
  latency_ms / 4 AS quarter, duration_s - participants * 10 AS adj, jitter_ms / 0 AS div0,
  (mos - 1) * 2 + 1 AS scaled
FROM qa.calls WHERE dt = DATE '2024-05-07'
==== sqlite
SELECT meeting_id, participants * duration_s AS leg_seconds, jitter_ms + latency_ms AS delay,
  packet_loss_pct / 100 AS loss_frac, duration_s % 60 AS secs, -latency_ms AS neg,
  latency_ms / 4.0 AS quarter, duration_s - participants * 10 AS adj, jitter_ms / 0 AS div0,
  (mos - 1) * 2 + 1 AS scaled
FROM qa.calls WHERE dt = '2024-05-07'
SQL

diffq round_abs <<'SQL'
SELECT meeting_id, round(jitter_ms, 1) AS j1, round(packet_loss_pct, 2) AS l2, round(mos) AS m0,
  abs(latency_ms - 150) AS dist, abs(0.5 - mos) AS mdist
FROM qa.calls WHERE dt = DATE '2024-05-06'
==== sqlite
SELECT meeting_id, round(jitter_ms, 1) AS j1, round(packet_loss_pct, 2) AS l2, round(mos) AS m0,
  abs(latency_ms - 150) AS dist, abs(0.5 - mos) AS mdist
FROM qa.calls WHERE dt = '2024-05-06'
SQL

diffq string_functions <<'SQL'
SELECT DISTINCT lower(client_type) AS lc, upper(region) AS ur, length(client_type) AS len,
  trim(client_type) AS tr, substr(meeting_id, 3, 4) AS mid4, substr(region, -4) AS tail,
  substr(client_type, 2, 3) AS c23, concat(region, '/', client_type) AS rc
FROM qa.calls WHERE dt <= DATE '2024-05-03'
==== sqlite
SELECT DISTINCT lower(client_type) AS lc, upper(region) AS ur, length(client_type) AS len,
  trim(client_type) AS tr, substr(meeting_id, 3, 4) AS mid4, substr(region, -4) AS tail,
  substr(client_type, 2, 3) AS c23, region || '/' || client_type AS rc
FROM qa.calls WHERE dt <= '2024-05-03'
SQL

diffq concat_pipes <<'SQL'
SELECT region || ':' || CAST(participants AS STRING) AS tag, count(*) AS n
FROM qa.calls WHERE dt = DATE '2024-05-08'
GROUP BY region || ':' || CAST(participants AS STRING)
==== sqlite
SELECT region || ':' || CAST(participants AS TEXT) AS tag, count(*) AS n
FROM qa.calls WHERE dt = '2024-05-08'
GROUP BY region || ':' || CAST(participants AS TEXT)
SQL

diffq quoted_strings_round_trip --ordered <<'SQL'
SELECT client_type, length(client_type) AS len, count(*) AS n
FROM qa.calls GROUP BY client_type ORDER BY client_type
SQL

batch_end

# ---------------------------------------------------------------- dates

batch_begin batch_dates_aggregates

diffq date_functions <<'SQL'
SELECT DISTINCT dt, year(dt) AS y, month(dt) AS m, day(dt) AS d,
  date_add(dt, 30) AS plus30, date_add(dt, -3) AS minus3,
  datediff(DATE '2024-06-01', dt) AS to_june, datediff(dt, DATE '2024-04-28') AS since,
  date_trunc('MONTH', dt) AS month_start
FROM qa.calls
==== sqlite
SELECT DISTINCT dt, CAST(strftime('%Y', dt) AS INTEGER) AS y, CAST(strftime('%m', dt) AS INTEGER) AS m,
  CAST(strftime('%d', dt) AS INTEGER) AS d,
  date(dt, '+30 days') AS plus30, date(dt, '-3 days') AS minus3,
  CAST(julianday('2024-06-01') - julianday(dt) AS INTEGER) AS to_june,
  CAST(julianday(dt) - julianday('2024-04-28') AS INTEGER) AS since,
  strftime('%Y-%m-01 00:00:00', dt) AS month_start
FROM qa.calls
SQL

diffq timestamp_functions <<'SQL'
SELECT hour(started_at) AS h, count(*) AS n, min(started_at) AS first_ts, max(started_at) AS last_ts,
  sum(CASE WHEN to_date(started_at) = dt THEN 1 ELSE 0 END) AS same_day
FROM qa.calls WHERE started_at IS NOT NULL
GROUP BY hour(started_at)
==== sqlite
SELECT CAST(strftime('%H', started_at) AS INTEGER) AS h, count(*) AS n, min(started_at) AS first_ts,
  max(started_at) AS last_ts, sum(CASE WHEN date(started_at) = dt THEN 1 ELSE 0 END) AS same_day
FROM qa.calls WHERE started_at IS NOT NULL
GROUP BY CAST(strftime('%H', started_at) AS INTEGER)
SQL

diffq date_trunc_hour <<'SQL'
SELECT date_trunc('HOUR', started_at) AS hr, count(*) AS n, avg(mos) AS avg_mos
FROM qa.calls
WHERE dt = DATE '2024-05-09' AND started_at >= TIMESTAMP '2024-05-09 06:30:00'
GROUP BY date_trunc('HOUR', started_at)
==== sqlite
SELECT strftime('%Y-%m-%d %H:00:00', started_at) AS hr, count(*) AS n, avg(mos) AS avg_mos
FROM qa.calls
WHERE dt = '2024-05-09' AND started_at >= '2024-05-09 06:30:00'
GROUP BY strftime('%Y-%m-%d %H:00:00', started_at)
SQL

# ---------------------------------------------------------------- aggregation

diffq group_by_aggregates <<'SQL'
SELECT region, client_type, count(*) AS n, count(DISTINCT meeting_id) AS meetings,
  sum(duration_s) AS total_s, avg(mos) AS avg_mos, min(jitter_ms) AS min_jitter,
  max(latency_ms) AS max_latency, sum(packet_loss_pct) AS sum_loss, min(started_at) AS first_ts
FROM qa.calls
GROUP BY region, client_type
SQL

diffq count_distinct_per_day <<'SQL'
SELECT dt, count(DISTINCT region) AS regions, count(DISTINCT client_type) AS clients,
  count(DISTINCT participants) AS sizes, count(participants) AS with_size
FROM qa.calls GROUP BY dt
SQL

diffq having <<'SQL'
SELECT region, count(*) AS n, avg(packet_loss_pct) AS avg_loss
FROM qa.calls
GROUP BY region
HAVING count(*) > 100 AND avg(packet_loss_pct) > 1.0
SQL

diffq order_by_limit --ordered <<'SQL'
SELECT meeting_id, client_type, started_at, mos, jitter_ms
FROM qa.calls
WHERE mos IS NOT NULL AND started_at IS NOT NULL
ORDER BY mos ASC, jitter_ms DESC, started_at, meeting_id
LIMIT 15
SQL

diffq order_nulls --ordered <<'SQL'
SELECT region, max(mos) AS best, min(mos) AS worst
FROM qa.calls GROUP BY region ORDER BY region DESC NULLS FIRST
SQL

diffq order_by_aggregate_limit --ordered <<'SQL'
SELECT region, dt, count(*) AS n
FROM qa.calls WHERE region IS NOT NULL
GROUP BY region, dt
ORDER BY n DESC, region, dt
LIMIT 7
SQL

diffq distinct <<'SQL'
SELECT DISTINCT region, client_type
FROM qa.calls WHERE dt BETWEEN DATE '2024-05-03' AND DATE '2024-05-05'
==== sqlite
SELECT DISTINCT region, client_type
FROM qa.calls WHERE dt BETWEEN '2024-05-03' AND '2024-05-05'
SQL

diffq global_aggregate_empty_input <<'SQL'
SELECT count(*) AS n, count(mos) AS n_mos, sum(duration_s) AS s, avg(mos) AS a,
  min(started_at) AS first_ts, max(region) AS mr
FROM qa.calls WHERE dt = DATE '2023-01-01'
==== sqlite
SELECT count(*) AS n, count(mos) AS n_mos, sum(duration_s) AS s, avg(mos) AS a,
  min(started_at) AS first_ts, max(region) AS mr
FROM qa.calls WHERE dt = '2023-01-01'
SQL

diffq global_aggregate_filtered_out <<'SQL'
SELECT count(*) AS n, sum(latency_ms) AS s, max(mos) AS m
FROM qa.calls WHERE latency_ms > 100000
SQL

diffq group_by_empty_input <<'SQL'
SELECT region, count(*) AS n FROM qa.calls WHERE mos > 5.0 GROUP BY region
SQL

batch_end

# ---------------------------------------------------------------- joins, unions, CTEs, subqueries

batch_begin batch_joins_traps

diffq inner_join <<'SQL'
SELECT r.tier, r.country, count(*) AS n, avg(c.mos) AS avg_mos
FROM qa.calls c JOIN qa.regions r ON c.region = r.region
GROUP BY r.tier, r.country
SQL

diffq left_join_fact_to_dim <<'SQL'
SELECT c.region, r.country, r.tier, count(*) AS n
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
GROUP BY c.region, r.country, r.tier
SQL

diffq left_join_dim_to_fact <<'SQL'
SELECT r.region, r.tier, count(d.meeting_id) AS dropped_legs, count(DISTINCT d.meeting_id) AS meetings
FROM qa.regions r
LEFT JOIN (SELECT region, meeting_id FROM qa.calls WHERE dropped) d ON r.region = d.region
GROUP BY r.region, r.tier
SQL

diffq join_rows <<'SQL'
SELECT c.meeting_id, c.client_type, r.country, c.mos
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
WHERE c.dt = DATE '2024-05-05'
==== sqlite
SELECT c.meeting_id, c.client_type, r.country, c.mos
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
WHERE c.dt = '2024-05-05'
SQL

diffq union_all <<'SQL'
SELECT 'dropped' AS kind, count(*) AS n FROM qa.calls WHERE dropped
UNION ALL
SELECT 'kept' AS kind, count(*) AS n FROM qa.calls WHERE NOT dropped
UNION ALL
SELECT 'unknown' AS kind, count(*) AS n FROM qa.calls WHERE dropped IS NULL
UNION ALL
SELECT region AS kind, count(*) AS n FROM qa.calls WHERE region LIKE 'ap-%' GROUP BY region
SQL

diffq cte <<'SQL'
WITH daily AS (
  SELECT dt, region, count(*) AS n, avg(mos) AS m FROM qa.calls GROUP BY dt, region
), peaks AS (
  SELECT region, max(n) AS peak, min(m) AS worst FROM daily GROUP BY region
)
SELECT d.region, d.dt, d.n, p.worst
FROM daily d JOIN peaks p ON d.region = p.region AND d.n = p.peak
SQL

diffq subquery_in_from <<'SQL'
SELECT quality, count(*) AS meetings, sum(legs) AS legs
FROM (
  SELECT meeting_id, count(*) AS legs,
    CASE WHEN min(mos) < 2.5 THEN 'bad' ELSE 'ok' END AS quality
  FROM qa.calls GROUP BY meeting_id
) m
GROUP BY quality
SQL

# ---------------------------------------------------------------- optimizer traps
# Rewrites that are easy to get wrong: partition pruning under OR, filters
# through a LEFT JOIN (a WHERE on the right side must not become a filter of
# the right input), pushdown through an aggregate, constant folding with NULL.

diffq pruning_under_or <<'SQL'
SELECT dt, count(*) AS n
FROM qa.calls
WHERE dt = DATE '2024-05-01' OR jitter_ms > 70
GROUP BY dt
==== sqlite
SELECT dt, count(*) AS n
FROM qa.calls
WHERE dt = '2024-05-01' OR jitter_ms > 70
GROUP BY dt
SQL

diffq pruning_forms <<'SQL'
SELECT dt, count(*) AS n
FROM qa.calls
WHERE (dt IN (DATE '2024-05-02', DATE '2024-05-09') OR NOT (dt <> DATE '2024-05-05')
       OR (year(dt) = 2024 AND day(dt) > 9) OR dt < '2024-05-02')
  AND region IS NOT NULL
GROUP BY dt
==== sqlite
SELECT dt, count(*) AS n
FROM qa.calls
WHERE (dt IN ('2024-05-02', '2024-05-09') OR NOT (dt <> '2024-05-05')
       OR (CAST(strftime('%Y', dt) AS INTEGER) = 2024 AND CAST(strftime('%d', dt) AS INTEGER) > 9)
       OR dt < '2024-05-02')
  AND region IS NOT NULL
GROUP BY dt
SQL

diffq left_join_where_on_right_side <<'SQL'
SELECT c.region, count(*) AS n
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
WHERE r.tier = 'gold'
GROUP BY c.region
SQL

diffq left_join_anti_pattern <<'SQL'
SELECT c.region, c.client_type, count(*) AS n
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
WHERE r.country IS NULL
GROUP BY c.region, c.client_type
SQL

diffq left_join_where_on_left_side <<'SQL'
SELECT r.country, count(*) AS n, count(r.region) AS matched
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
WHERE c.dt >= DATE '2024-05-09' AND c.mos < 2.0
GROUP BY r.country
==== sqlite
SELECT r.country, count(*) AS n, count(r.region) AS matched
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
WHERE c.dt >= '2024-05-09' AND c.mos < 2.0
GROUP BY r.country
SQL

diffq filter_above_aggregate <<'SQL'
SELECT * FROM (
  SELECT dt, region, count(*) AS n, avg(latency_ms) AS lat
  FROM qa.calls GROUP BY dt, region
) d
WHERE d.dt > DATE '2024-05-07' AND d.n > 20 AND d.region <> 'us-east'
==== sqlite
SELECT * FROM (
  SELECT dt, region, count(*) AS n, avg(latency_ms) AS lat
  FROM qa.calls GROUP BY dt, region
) d
WHERE d.dt > '2024-05-07' AND d.n > 20 AND d.region <> 'us-east'
SQL

diffq constant_predicates <<'SQL'
SELECT count(*) AS n,
  sum(CASE WHEN NULL THEN 1 ELSE 0 END) AS null_true,
  sum(CASE WHEN NOT (NULL = NULL) THEN 1 ELSE 0 END) AS not_null_eq,
  sum(CASE WHEN 1 = 1 OR NULL THEN 1 ELSE 0 END) AS or_true
FROM qa.calls
WHERE (1 = 1 OR region = 'x') AND NOT (NULL IS NOT NULL) AND 2 > 1
SQL

diffq self_join_many_to_many <<'SQL'
SELECT a.dt, count(*) AS pairs, count(DISTINCT a.meeting_id) AS meetings,
  sum(CASE WHEN a.client_type = b.client_type THEN 1 ELSE 0 END) AS same_client
FROM qa.calls a JOIN qa.calls b ON a.meeting_id = b.meeting_id AND a.dt = b.dt
WHERE a.dt <= DATE '2024-05-04'
GROUP BY a.dt
==== sqlite
SELECT a.dt, count(*) AS pairs, count(DISTINCT a.meeting_id) AS meetings,
  sum(CASE WHEN a.client_type = b.client_type THEN 1 ELSE 0 END) AS same_client
FROM qa.calls a JOIN qa.calls b ON a.meeting_id = b.meeting_id AND a.dt = b.dt
WHERE a.dt <= '2024-05-04'
GROUP BY a.dt
SQL

batch_end

# ---------------------------------------------------------------- more semantics

batch_begin batch_semantics

# Spark writes an empty string as "" and NULL as an empty field, so the two
# stay apart in a result file.
diffq empty_string_vs_null <<'SQL'
SELECT DISTINCT region, substr(region, 50) AS past_end, trim(substr(client_type, 1, 1)) AS first_char
FROM qa.calls WHERE dt = DATE '2024-05-04'
==== sqlite
SELECT DISTINCT region, substr(region, 50) AS past_end, trim(substr(client_type, 1, 1)) AS first_char
FROM qa.calls WHERE dt = '2024-05-04'
SQL

diffq group_by_boolean --bools dropped <<'SQL'
SELECT dropped, count(*) AS n, CAST(dropped AS BIGINT) AS as_int, avg(packet_loss_pct) AS loss
FROM qa.calls GROUP BY dropped
==== sqlite
SELECT dropped, count(*) AS n, dropped AS as_int, avg(packet_loss_pct) AS loss
FROM qa.calls GROUP BY dropped
SQL

diffq boolean_literals <<'SQL'
SELECT count(*) AS n FROM qa.calls WHERE dropped = TRUE OR (dropped = FALSE AND mos < 2.0)
SQL

diffq integer_division_and_modulo <<'SQL'
SELECT region, count(*) / count(DISTINCT meeting_id) AS legs_per_meeting,
  sum(duration_s) / 60 AS minutes, min((-duration_s) % 7) AS neg_mod, max(latency_ms % 7) AS pos_mod,
  avg(latency_ms) AS avg_latency
FROM qa.calls GROUP BY region
==== sqlite
SELECT region, CAST(count(*) AS REAL) / count(DISTINCT meeting_id) AS legs_per_meeting,
  sum(duration_s) / 60.0 AS minutes, min((-duration_s) % 7) AS neg_mod, max(latency_ms % 7) AS pos_mod,
  avg(latency_ms) AS avg_latency
FROM qa.calls GROUP BY region
SQL

diffq mixed_type_expressions <<'SQL'
SELECT meeting_id,
  CASE WHEN dropped THEN participants ELSE mos END AS mixed,
  coalesce(participants, mos, 0) AS first_num,
  participants + 0.5 AS half
FROM qa.calls WHERE dt = DATE '2024-05-08' AND client_type = 'room-system'
==== sqlite
SELECT meeting_id,
  CASE WHEN dropped THEN participants ELSE mos END AS mixed,
  coalesce(participants, mos, 0) AS first_num,
  participants + 0.5 AS half
FROM qa.calls WHERE dt = '2024-05-08' AND client_type = 'room-system'
SQL

diffq union_all_types <<'SQL'
SELECT kind, count(*) AS n, sum(v) AS total, min(v) AS lo
FROM (
  SELECT 'participants' AS kind, participants AS v FROM qa.calls
  UNION ALL
  SELECT 'mos' AS kind, mos AS v FROM qa.calls
  UNION ALL
  SELECT 'none' AS kind, NULL AS v FROM qa.regions
) u
GROUP BY kind
SQL

diffq more_date_functions <<'SQL'
SELECT meeting_id, started_at,
  datediff(started_at, DATE '2024-05-01') AS days_in,
  date_add(dt, participants) AS plus_p,
  year(started_at) AS y, month(started_at) AS m, day(started_at) AS d,
  to_date('2024-05-03') AS fixed_day, CAST('2024-05-03' AS DATE) AS cast_day
FROM qa.calls WHERE dt = DATE '2024-05-06'
==== sqlite
SELECT meeting_id, started_at,
  CAST(julianday(date(started_at)) - julianday('2024-05-01') AS INTEGER) AS days_in,
  date(dt, '+' || participants || ' days') AS plus_p,
  CAST(strftime('%Y', started_at) AS INTEGER) AS y, CAST(strftime('%m', started_at) AS INTEGER) AS m,
  CAST(strftime('%d', started_at) AS INTEGER) AS d,
  '2024-05-03' AS fixed_day, '2024-05-03' AS cast_day
FROM qa.calls WHERE dt = '2024-05-06'
SQL

# Spark's WEEK truncates to the Monday; SQLite: 6 days back, then the next Monday.
diffq date_trunc_units <<'SQL'
SELECT DISTINCT date_trunc('YEAR', started_at) AS y, date_trunc('WEEK', started_at) AS w,
  date_trunc('DAY', started_at) AS d, date_trunc('MINUTE', started_at) AS mi
FROM qa.calls WHERE dt IN (DATE '2024-05-04', DATE '2024-05-05', DATE '2024-05-06') AND latency_ms < 25
==== sqlite
SELECT DISTINCT strftime('%Y-01-01 00:00:00', started_at) AS y,
  strftime('%Y-%m-%d 00:00:00', started_at, '-6 days', 'weekday 1') AS w,
  strftime('%Y-%m-%d 00:00:00', started_at) AS d, strftime('%Y-%m-%d %H:%M:00', started_at) AS mi
FROM qa.calls WHERE dt IN ('2024-05-04', '2024-05-05', '2024-05-06') AND latency_ms < 25
SQL

diffq order_by_expression_nulls_last --ordered <<'SQL'
SELECT client_type, participants, meeting_id, started_at
FROM qa.calls
WHERE dt = DATE '2024-05-05' AND started_at IS NOT NULL
ORDER BY length(client_type) DESC NULLS LAST, participants ASC NULLS LAST, started_at DESC, meeting_id, client_type
LIMIT 25
==== sqlite
SELECT client_type, participants, meeting_id, started_at
FROM qa.calls
WHERE dt = '2024-05-05' AND started_at IS NOT NULL
ORDER BY length(client_type) DESC NULLS LAST, participants ASC NULLS LAST, started_at DESC, meeting_id, client_type
LIMIT 25
SQL

diffq global_count_distinct <<'SQL'
SELECT count(DISTINCT meeting_id) AS meetings, count(DISTINCT region) AS regions,
  count(DISTINCT client_type) AS clients, count(DISTINCT dt) AS days,
  sum(duration_s * participants) AS leg_seconds, avg(CASE WHEN dropped THEN mos END) AS mos_dropped
FROM qa.calls
SQL

# ---------------------------------------------------------------- ORDER BY positions and aliases, literals, LIKE

diffq order_by_position_over_union_all --ordered <<'SQL'
SELECT region AS r, count(*) AS n FROM qa.calls WHERE region LIKE 'us-%' GROUP BY region
UNION ALL
SELECT client_type, count(*) FROM qa.calls WHERE client_type IS NOT NULL GROUP BY client_type
ORDER BY 2 DESC, 1
LIMIT 5
SQL

diffq order_by_position_over_union --ordered <<'SQL'
SELECT region FROM qa.calls WHERE region IS NOT NULL
UNION
SELECT region FROM qa.regions WHERE region IS NOT NULL
ORDER BY 1 DESC
LIMIT 4
SQL

diffq order_by_alias_over_union_all --ordered <<'SQL'
SELECT 2 AS x UNION ALL SELECT 3 UNION ALL SELECT 1 ORDER BY x LIMIT 2
SQL

diffq order_by_position_after_distinct --ordered <<'SQL'
SELECT DISTINCT client_type, dt FROM qa.calls WHERE client_type IS NOT NULL
ORDER BY 2 DESC, 1
LIMIT 10
SQL

diffq order_by_alias_after_distinct --ordered <<'SQL'
SELECT DISTINCT region AS r FROM qa.calls WHERE region IS NOT NULL ORDER BY r DESC
SQL

diffq order_by_position_after_group_by --ordered <<'SQL'
SELECT dt, count(*) AS n, max(mos) AS best FROM qa.calls GROUP BY dt ORDER BY 2 DESC, 1 LIMIT 3
SQL

diffq smallest_bigint_literal --bools same <<'SQL'
SELECT CAST(-9223372036854775808 AS STRING) AS s, length(CAST(-9223372036854775808 AS STRING)) AS len,
  (-9223372036854775808 + 1) % 1000 AS next_up, -9223372036854775807 - 1 = -9223372036854775808 AS same
==== sqlite
SELECT CAST(-9223372036854775808 AS TEXT) AS s, length(CAST(-9223372036854775808 AS TEXT)) AS len,
  (-9223372036854775808 + 1) % 1000 AS next_up, -9223372036854775807 - 1 = -9223372036854775808 AS same
SQL

diffq like_wildcards_count_characters --bools a,b,c,d,e <<'SQL'
SELECT 'é' LIKE '_' AS a, 'é' LIKE '__' AS b, 'aéz' LIKE 'a_z' AS c, 'a_é' LIKE 'a\__' AS d,
  'abé' LIKE 'a\__' AS e
==== sqlite
SELECT 'é' LIKE '_' AS a, 'é' LIKE '__' AS b, 'aéz' LIKE 'a_z' AS c, 'a_é' LIKE 'a\__' ESCAPE '\' AS d,
  'abé' LIKE 'a\__' ESCAPE '\' AS e
SQL

batch_end

# ---------------------------------------------------------------- subqueries
# Scalar (correlated and not), IN / NOT IN with NULLs on either side,
# EXISTS / NOT EXISTS with non-equality correlated conditions, in WHERE,
# HAVING and select lists.  tariffs has NULL regions and client types, calls
# NULL regions, regions none.

batch_begin batch_subqueries

diffq subq_scalar_uncorrelated_where <<'SQL'
SELECT meeting_id, region, mos, dt FROM qa.calls
WHERE mos > (SELECT avg(mos) FROM qa.calls) + 0.7 AND latency_ms < (SELECT min(latency_ms) + 40 FROM qa.calls)
SQL

diffq subq_scalar_correlated_where <<'SQL'
SELECT c.region, count(*) AS slow, min(c.latency_ms) AS lo
FROM qa.calls c
WHERE c.latency_ms > (SELECT avg(i.latency_ms) * 1.3 FROM qa.calls i WHERE i.region = c.region)
GROUP BY c.region
SQL

diffq subq_scalar_correlated_count_select <<'SQL'
SELECT r.region, r.tier,
  (SELECT count(*) FROM qa.calls c WHERE c.region = r.region AND c.dropped) AS drops,
  (SELECT max(t.tariff_id) FROM qa.tariffs t WHERE t.region = r.region) AS last_tariff
FROM qa.regions r
SQL

diffq subq_scalar_correlated_two_keys <<'SQL'
SELECT t.tariff_id, t.region, t.client_type,
  (SELECT count(*) FROM qa.calls c WHERE c.region = t.region AND c.client_type = t.client_type) AS legs,
  (SELECT sum(c.duration_s) FROM qa.calls c WHERE c.region = t.region AND c.client_type = t.client_type) AS secs
FROM qa.tariffs t
SQL

diffq subq_scalar_in_aggregate_select <<'SQL'
SELECT region, count(*) AS n,
  count(*) / (SELECT count(*) FROM qa.calls) AS share,
  (SELECT max(i.latency_ms) FROM qa.calls i WHERE i.region = c.region AND i.dropped) AS worst_dropped
FROM qa.calls c GROUP BY region
==== sqlite
SELECT region, count(*) AS n,
  CAST(count(*) AS REAL) / (SELECT count(*) FROM qa.calls) AS share,
  (SELECT max(i.latency_ms) FROM qa.calls i WHERE i.region = c.region AND i.dropped) AS worst_dropped
FROM qa.calls c GROUP BY region
SQL

diffq subq_scalar_having <<'SQL'
SELECT client_type, count(*) AS n, avg(mos) AS m
FROM qa.calls GROUP BY client_type
HAVING avg(mos) < (SELECT avg(mos) FROM qa.calls) OR count(*) < (SELECT count(*) FROM qa.calls) / 10
SQL

diffq subq_scalar_correlated_having <<'SQL'
SELECT region, dt, count(*) AS n
FROM qa.calls c GROUP BY region, dt
HAVING count(*) > (SELECT count(*) FROM qa.calls i WHERE i.region = c.region) / 8
SQL

diffq subq_scalar_no_row_is_null <<'SQL'
SELECT r.region, (SELECT max(t.fee) FROM qa.tariffs t WHERE t.region = r.region AND t.fee > 1000) AS none,
  (SELECT count(*) FROM qa.tariffs t WHERE t.region = r.region AND t.fee > 1000) AS zero
FROM qa.regions r
SQL

diffq subq_scalar_limit_1 <<'SQL'
SELECT region, count(*) AS n FROM qa.calls
WHERE region = (SELECT region FROM qa.regions WHERE tier = 'silver' ORDER BY region DESC LIMIT 1)
GROUP BY region
SQL

diffq subq_in <<'SQL'
SELECT region, client_type, count(*) AS n FROM qa.calls
WHERE region IN (SELECT region FROM qa.regions WHERE tier = 'gold')
  AND client_type IN (SELECT client_type FROM qa.tariffs WHERE fee > 300)
GROUP BY region, client_type
SQL

diffq subq_in_null_on_both_sides <<'SQL'
SELECT region, count(*) AS n FROM qa.calls
WHERE region IN (SELECT region FROM qa.tariffs)
GROUP BY region
SQL

# tariffs.region holds a NULL: NOT IN is never TRUE
diffq subq_not_in_null_inside <<'SQL'
SELECT count(*) AS n, count(region) AS with_region FROM qa.calls
WHERE region NOT IN (SELECT region FROM qa.tariffs)
SQL

# calls.region holds NULLs, regions.region none: the NULL rows are not returned
diffq subq_not_in_null_outside <<'SQL'
SELECT region, client_type, count(*) AS n FROM qa.calls
WHERE region NOT IN (SELECT region FROM qa.regions WHERE tier <> 'bronze')
GROUP BY region, client_type
SQL

# an empty subquery: NOT IN is TRUE for every row, a NULL one too
diffq subq_not_in_empty <<'SQL'
SELECT region, count(*) AS n FROM qa.calls
WHERE region NOT IN (SELECT region FROM qa.regions WHERE tier = 'platinum')
GROUP BY region
SQL

diffq subq_not_in_correlated <<'SQL'
SELECT t.tariff_id, t.region, t.client_type FROM qa.tariffs t
WHERE t.client_type NOT IN (SELECT c.client_type FROM qa.calls c
                            WHERE c.region = t.region AND c.dt = DATE '2024-05-02')
==== sqlite
SELECT t.tariff_id, t.region, t.client_type FROM qa.tariffs t
WHERE t.client_type NOT IN (SELECT c.client_type FROM qa.calls c
                            WHERE c.region = t.region AND c.dt = '2024-05-02')
SQL

diffq subq_exists_correlated <<'SQL'
SELECT r.region, r.tier FROM qa.regions r
WHERE EXISTS (SELECT 1 FROM qa.calls c WHERE c.region = r.region AND c.dropped AND c.mos < 2.0)
SQL

diffq subq_not_exists_correlated <<'SQL'
SELECT r.region, r.country FROM qa.regions r
WHERE NOT EXISTS (SELECT 1 FROM qa.tariffs t WHERE t.region = r.region AND t.client_type = 'web')
SQL

diffq subq_exists_non_equality <<'SQL'
SELECT t.tariff_id, t.region, t.valid_from FROM qa.tariffs t
WHERE EXISTS (SELECT 1 FROM qa.calls c
              WHERE c.region = t.region AND c.dt > t.valid_from AND c.mos < 1.3)
SQL

# the highest fee of each region: no tariff of the region above it
diffq subq_not_exists_non_equality <<'SQL'
SELECT t.region, t.tariff_id, t.fee FROM qa.tariffs t
WHERE t.fee IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM qa.tariffs u WHERE u.region = t.region AND u.fee > t.fee)
SQL

# only a non-equality correlation: no keys, every pair compared
diffq subq_exists_only_non_equality <<'SQL'
SELECT t.tariff_id, t.rate FROM qa.tariffs t
WHERE EXISTS (SELECT 1 FROM qa.tariffs u WHERE u.rate * 8 < t.rate AND u.tax > t.tax)
==== sqlite
SELECT t.tariff_id, t.rate FROM qa.tariffs t
WHERE EXISTS (SELECT 1 FROM qa.tariffs u WHERE u.rate_u * 8 < t.rate_u AND u.tax_c > t.tax_c)
SQL

diffq subq_exists_uncorrelated <<'SQL'
SELECT region, count(*) AS n FROM qa.calls
WHERE EXISTS (SELECT 1 FROM qa.regions WHERE tier = 'bronze')
  AND NOT EXISTS (SELECT 1 FROM qa.regions WHERE tier = 'platinum')
  AND dt = DATE '2024-05-06'
GROUP BY region
==== sqlite
SELECT region, count(*) AS n FROM qa.calls
WHERE EXISTS (SELECT 1 FROM qa.regions WHERE tier = 'bronze')
  AND NOT EXISTS (SELECT 1 FROM qa.regions WHERE tier = 'platinum')
  AND dt = '2024-05-06'
GROUP BY region
SQL

diffq subq_in_and_exists_in_having <<'SQL'
SELECT region, count(*) AS n, max(jitter_ms) AS j
FROM qa.calls c GROUP BY region
HAVING region IN (SELECT region FROM qa.regions WHERE tier <> 'gold')
   AND EXISTS (SELECT 1 FROM qa.tariffs t WHERE t.region = c.region AND t.fee > 100)
SQL

diffq subq_nested <<'SQL'
SELECT c.region, count(*) AS n FROM qa.calls c
WHERE c.client_type IN (SELECT t.client_type FROM qa.tariffs t
                        WHERE t.fee > (SELECT avg(u.fee) FROM qa.tariffs u))
  AND c.region IN (SELECT r.region FROM qa.regions r WHERE EXISTS
                   (SELECT 1 FROM qa.tariffs t WHERE t.region = r.region))
GROUP BY c.region
SQL

# a NULL on the left of NOT IN over a subquery with rows: never returned
diffq subq_not_in_null_left <<'SQL'
SELECT tariff_id, region, client_type FROM qa.tariffs
WHERE client_type NOT IN (SELECT client_type FROM qa.calls WHERE client_type LIKE 'mobile%')
SQL

# a NULL fee compares with nothing, so no tariff is above it: it stays
diffq subq_not_exists_only_non_equality <<'SQL'
SELECT tariff_id, fee FROM qa.tariffs t WHERE NOT EXISTS (SELECT 1 FROM qa.tariffs u WHERE u.fee > t.fee)
SQL

# a correlated count over no rows is 0, not NULL, also in WHERE
diffq subq_correlated_count_zero_in_where <<'SQL'
SELECT t.tariff_id, t.region FROM qa.tariffs t
WHERE (SELECT count(*) FROM qa.calls c WHERE c.region = t.region AND c.client_type = t.client_type) = 0
   OR t.fee < (SELECT avg(u.fee) FROM qa.tariffs u WHERE u.region = t.region) - 150
SQL

diffq subq_scalar_in_select_arithmetic <<'SQL'
SELECT tariff_id, fee - (SELECT avg(fee) FROM qa.tariffs) AS above_avg,
  (SELECT max(latency_ms) FROM qa.calls) - tariff_id AS lat
FROM qa.tariffs
SQL

batch_end

# ---------------------------------------------------------------- DECIMAL
# tariffs' DECIMAL(6,4) rate, DECIMAL(8,2) fee, DECIMAL(4,2) tax and
# DECIMAL(6,3) tax_cap.  SQLite computes them exactly, as integers in units
# of the result's scale (rate_u, fee_c, tax_c, cap_m; HALF_UP rounding
# written out), and --scaled compares those columns exactly, text and scale
# included; DECIMAL mixed with DOUBLE is a double on both sides.

batch_begin batch_decimal

diffq dec_scan --scaled rate=4,fee=2,tax=2,tax_cap=3 <<'SQL'
SELECT tariff_id, region, rate, fee, tax, tax_cap, valid_from FROM qa.tariffs
==== sqlite
SELECT tariff_id, region, rate_u AS rate, fee_c AS fee, tax_c AS tax, cap_m AS tax_cap, valid_from FROM qa.tariffs
SQL

diffq dec_sum_avg_by_region --scaled total=2,mean=6,lo=2,hi=2 <<'SQL'
SELECT region, count(fee) AS n, sum(fee) AS total, avg(fee) AS mean, min(fee) AS lo, max(fee) AS hi
FROM qa.tariffs GROUP BY region
==== sqlite
SELECT region, count(fee_c) AS n, sum(fee_c) AS total,
  CASE WHEN count(fee_c) = 0 THEN NULL
       WHEN sum(fee_c) >= 0 THEN (sum(fee_c) * 20000 + count(fee_c)) / (2 * count(fee_c))
       ELSE -((-sum(fee_c) * 20000 + count(fee_c)) / (2 * count(fee_c))) END AS mean,
  min(fee_c) AS lo, max(fee_c) AS hi
FROM qa.tariffs GROUP BY region
SQL

diffq dec_avg_sum_scaled_by_literal --scaled mean=8,s15=5 <<'SQL'
SELECT client_type, avg(rate) AS mean, sum(rate * 1.5) AS s15, count(*) AS n FROM qa.tariffs GROUP BY client_type
==== sqlite
SELECT client_type,
  CASE WHEN count(rate_u) = 0 THEN NULL
       ELSE (sum(rate_u) * 20000 + count(rate_u)) / (2 * count(rate_u)) END AS mean,
  sum(rate_u * 15) AS s15, count(*) AS n
FROM qa.tariffs GROUP BY client_type
SQL

diffq dec_arithmetic --scaled with_tax=4,per_hour=4,net=2,plus_cap=3,neg=2,quarter=6,r1=1,r2=2 <<'SQL'
SELECT tariff_id, fee * tax AS with_tax, rate * 60 AS per_hour, fee - tax AS net, fee + tax_cap AS plus_cap,
  -fee AS neg, fee / 4 AS quarter, round(fee, 1) AS r1, round(rate, 2) AS r2, CAST(fee AS BIGINT) AS trunc
FROM qa.tariffs
==== sqlite
SELECT tariff_id, fee_c * tax_c AS with_tax, rate_u * 60 AS per_hour, fee_c - tax_c AS net,
  fee_c * 10 + cap_m AS plus_cap, -fee_c AS neg,
  CASE WHEN fee_c >= 0 THEN (fee_c * 20000 + 4) / 8 ELSE -((-fee_c * 20000 + 4) / 8) END AS quarter,
  CASE WHEN fee_c >= 0 THEN (fee_c + 5) / 10 ELSE -((-fee_c + 5) / 10) END AS r1,
  (rate_u + 50) / 100 AS r2, fee_c / 100 AS trunc
FROM qa.tariffs
SQL

diffq dec_literal_comparisons --scaled tax=2,tax_cap=3 <<'SQL'
SELECT tariff_id, tax, tax_cap FROM qa.tariffs
WHERE tax BETWEEN 0.05 AND 0.07 AND tax <> 0.060 OR tax_cap = 0.1 OR tax > 0.15 AND fee < 100.5
==== sqlite
SELECT tariff_id, tax_c AS tax, cap_m AS tax_cap FROM qa.tariffs
WHERE tax_c BETWEEN 5 AND 7 AND tax_c <> 6 OR cap_m = 100 OR tax_c > 15 AND fee_c < 10050
SQL

diffq dec_in_list_and_case --bools same,below --scaled any_tax=3,big=2 <<'SQL'
SELECT tariff_id, tax = tax_cap AS same, tax < tax_cap AS below, coalesce(tax, tax_cap, 0) AS any_tax,
  CASE WHEN fee > 100 THEN fee ELSE 0 END AS big
FROM qa.tariffs WHERE tax NOT IN (0.06, 0.070, 0.2) OR tax_cap IN (0.05, 0.1)
==== sqlite
SELECT tariff_id, tax_c * 10 = cap_m AS same, tax_c * 10 < cap_m AS below, coalesce(tax_c * 10, cap_m, 0) AS any_tax,
  CASE WHEN fee_c > 10000 THEN fee_c ELSE 0 END AS big
FROM qa.tariffs WHERE tax_c NOT IN (6, 7, 20) OR cap_m IN (50, 100)
SQL

diffq dec_group_by --scaled tax=2,total=2,lo=4,cap=3 <<'SQL'
SELECT tax, count(*) AS n, sum(fee) AS total, min(rate) AS lo, max(tax_cap) AS cap FROM qa.tariffs GROUP BY tax
==== sqlite
SELECT tax_c AS tax, count(*) AS n, sum(fee_c) AS total, min(rate_u) AS lo, max(cap_m) AS cap
FROM qa.tariffs GROUP BY tax_c
SQL

diffq dec_join_across_scales --scaled tax=2,tax_cap=3 <<'SQL'
SELECT t.tariff_id AS a, u.tariff_id AS b, t.tax AS tax, u.tax_cap AS tax_cap
FROM qa.tariffs t JOIN qa.tariffs u ON t.tax = u.tax_cap WHERE t.tariff_id < 25
==== sqlite
SELECT t.tariff_id AS a, u.tariff_id AS b, t.tax_c AS tax, u.cap_m AS tax_cap
FROM qa.tariffs t JOIN qa.tariffs u ON t.tax_c * 10 = u.cap_m WHERE t.tariff_id < 25
SQL

diffq dec_full_join_grouped_decimals --scaled tax=2,tax_cap=3 <<'SQL'
WITH a AS (SELECT tax, count(*) AS n FROM qa.tariffs GROUP BY tax),
     b AS (SELECT tax_cap, count(*) AS m FROM qa.tariffs GROUP BY tax_cap)
SELECT a.tax AS tax, a.n AS n, b.tax_cap AS tax_cap, b.m AS m FROM a FULL JOIN b ON a.tax = b.tax_cap
==== sqlite
WITH a AS (SELECT tax_c, count(*) AS n FROM qa.tariffs GROUP BY tax_c),
     b AS (SELECT cap_m, count(*) AS m FROM qa.tariffs GROUP BY cap_m)
SELECT a.tax_c AS tax, a.n AS n, b.cap_m AS tax_cap, b.m AS m FROM a FULL JOIN b ON a.tax_c * 10 = b.cap_m
SQL

diffq dec_in_subquery_across_scales --scaled tax=2 <<'SQL'
SELECT tariff_id, tax FROM qa.tariffs WHERE tax IN (SELECT tax_cap FROM qa.tariffs WHERE region LIKE 'us-%')
==== sqlite
SELECT tariff_id, tax_c AS tax FROM qa.tariffs WHERE tax_c * 10 IN (SELECT cap_m FROM qa.tariffs WHERE region LIKE 'us-%')
SQL

diffq dec_cost_of_calls --scaled cost=4,fees=2 <<'SQL'
SELECT c.region, count(*) AS legs, sum(c.duration_s * t.rate) AS cost, sum(t.fee) AS fees
FROM qa.calls c JOIN qa.tariffs t ON c.region = t.region AND c.client_type = t.client_type
WHERE c.dt BETWEEN DATE '2024-05-02' AND DATE '2024-05-04'
GROUP BY c.region
==== sqlite
SELECT c.region, count(*) AS legs, sum(c.duration_s * t.rate_u) AS cost, sum(t.fee_c) AS fees
FROM qa.calls c JOIN qa.tariffs t ON c.region = t.region AND c.client_type = t.client_type
WHERE c.dt BETWEEN '2024-05-02' AND '2024-05-04'
GROUP BY c.region
SQL

diffq dec_with_double <<'SQL'
SELECT c.region, avg(t.rate * c.jitter_ms) AS rj, max(t.fee / c.mos) AS fm, sum(t.tax + c.packet_loss_pct) AS tl
FROM qa.calls c JOIN qa.tariffs t ON c.region = t.region AND c.client_type = t.client_type
GROUP BY c.region
SQL

diffq dec_order_by --ordered --scaled fee=2 <<'SQL'
SELECT tariff_id, fee FROM qa.tariffs ORDER BY fee, tariff_id DESC LIMIT 15
==== sqlite
SELECT tariff_id, fee_c AS fee FROM qa.tariffs ORDER BY fee_c, tariff_id DESC LIMIT 15
SQL

diffq dec_having_literal --scaled total=2 <<'SQL'
SELECT region, sum(fee) AS total, count(*) AS n FROM qa.tariffs GROUP BY region
HAVING sum(fee) > 500.00 AND max(tax) >= 0.07
==== sqlite
SELECT region, sum(fee_c) AS total, count(*) AS n FROM qa.tariffs GROUP BY region
HAVING sum(fee_c) > 50000 AND max(tax_c) >= 7
SQL

diffq dec_casts --bools same --scaled s=2,r52=2,lit=2 <<'SQL'
SELECT tariff_id, CAST(fee AS STRING) AS s, CAST(rate AS DECIMAL(5,2)) AS r52,
  CAST('12.345' AS DECIMAL(5,2)) AS lit, CAST(fee AS DOUBLE) AS d, CAST(tax_cap AS DECIMAL(4,2)) = tax AS same
FROM qa.tariffs
==== sqlite
SELECT tariff_id, fee_c AS s, (rate_u + 50) / 100 AS r52, 1235 AS lit, fee AS d,
  (cap_m + 5) / 10 = tax_c AS same
FROM qa.tariffs
SQL

diffq dec_division_remainder --scaled per_tax=7,rem=2 <<'SQL'
SELECT tariff_id, fee / tax AS per_tax, fee % 7 AS rem FROM qa.tariffs
==== sqlite
SELECT tariff_id,
  CASE WHEN fee_c >= 0 THEN (fee_c * 20000000 + tax_c) / (2 * tax_c)
       ELSE -((-fee_c * 20000000 + tax_c) / (2 * tax_c)) END AS per_tax,
  fee_c % 700 AS rem
FROM qa.tariffs
SQL

# negative averages round HALF_UP away from zero
diffq dec_negative_avg --scaled tax=2,mean=6 <<'SQL'
SELECT tax, avg(fee - 300) AS mean, count(*) AS n FROM qa.tariffs GROUP BY tax
==== sqlite
SELECT tax_c AS tax,
  CASE WHEN count(fee_c) = 0 THEN NULL
       WHEN sum(fee_c - 30000) >= 0 THEN (sum(fee_c - 30000) * 20000 + count(fee_c)) / (2 * count(fee_c))
       ELSE -((-sum(fee_c - 30000) * 20000 + count(fee_c)) / (2 * count(fee_c))) END AS mean,
  count(*) AS n
FROM qa.tariffs GROUP BY tax_c
SQL

diffq dec_union_with_bigint --scaled v=2 <<'SQL'
SELECT 'fee' AS kind, fee AS v FROM qa.tariffs WHERE fee = 351 OR fee < 0
UNION ALL
SELECT 'legs' AS kind, participants AS v FROM qa.calls WHERE dt = DATE '2024-05-02' AND participants > 9
==== sqlite
SELECT 'fee' AS kind, fee_c AS v FROM qa.tariffs WHERE fee_c = 35100 OR fee_c < 0
UNION ALL
SELECT 'legs' AS kind, participants * 100 AS v FROM qa.calls WHERE dt = '2024-05-02' AND participants > 9
SQL

diffq dec_aggregates_over_no_rows --scaled s=2,a=6 <<'SQL'
SELECT sum(fee) AS s, avg(fee) AS a, count(fee) AS n FROM qa.tariffs WHERE fee > 1000
==== sqlite
SELECT sum(fee_c) AS s, NULL AS a, count(fee_c) AS n FROM qa.tariffs WHERE fee_c > 100000
SQL

batch_end

# ---------------------------------------------------------------- outer, semi, anti and comma joins
# NULL keys on both sides (calls and tariffs have NULL regions), residual ON
# conditions on one side or both.  LEFT SEMI / LEFT ANTI are EXISTS / NOT
# EXISTS in SQLite.

batch_begin batch_joins

diffq oj_full_join <<'SQL'
SELECT r.region AS r_region, r.tier, t.tariff_id, t.region AS t_region
FROM qa.regions r FULL JOIN qa.tariffs t ON r.region = t.region
SQL

diffq oj_right_join_residual_on <<'SQL'
SELECT r.region, r.tier, t.tariff_id, t.tax
FROM qa.tariffs t RIGHT JOIN qa.regions r ON t.region = r.region AND t.tax > 0.06
SQL

diffq oj_left_join_residual_on <<'SQL'
SELECT c.region, c.client_type, count(*) AS legs, count(t.tariff_id) AS matched,
  count(DISTINCT t.tariff_id) AS tariffs
FROM qa.calls c LEFT JOIN qa.tariffs t
  ON c.region = t.region AND c.client_type = t.client_type AND t.valid_from <= c.dt
GROUP BY c.region, c.client_type
SQL

diffq oj_full_join_residual_both_sides <<'SQL'
SELECT r.region AS rr, r.tier, t.tariff_id, t.region AS tr
FROM qa.regions r FULL OUTER JOIN qa.tariffs t ON r.region = t.region AND r.tier = 'gold' AND t.fee > 200
SQL

diffq oj_full_join_aggregates_null_keys <<'SQL'
SELECT a.region AS ar, b.region AS br, a.n, b.m
FROM (SELECT region, count(*) AS n FROM qa.calls GROUP BY region) a
FULL JOIN (SELECT region, count(*) AS m FROM qa.tariffs GROUP BY region) b ON a.region = b.region
SQL

diffq oj_right_join_unmatched <<'SQL'
SELECT r.region, r.country FROM qa.calls c RIGHT JOIN qa.regions r ON c.region = r.region
WHERE c.meeting_id IS NULL
SQL

diffq oj_right_join_grouped <<'SQL'
SELECT t.tariff_id, count(c.meeting_id) AS legs, avg(c.mos) AS m
FROM qa.calls c RIGHT JOIN qa.tariffs t
  ON c.region = t.region AND c.client_type = t.client_type AND c.dt = DATE '2024-05-09'
GROUP BY t.tariff_id
==== sqlite
SELECT t.tariff_id, count(c.meeting_id) AS legs, avg(c.mos) AS m
FROM qa.calls c RIGHT JOIN qa.tariffs t
  ON c.region = t.region AND c.client_type = t.client_type AND c.dt = '2024-05-09'
GROUP BY t.tariff_id
SQL

diffq oj_left_join_chain <<'SQL'
SELECT c.region, r.tier, count(*) AS legs, count(t.tariff_id) AS with_tariff
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
LEFT JOIN qa.tariffs t ON r.region = t.region AND t.client_type = 'web'
WHERE c.dt = DATE '2024-05-08'
GROUP BY c.region, r.tier
==== sqlite
SELECT c.region, r.tier, count(*) AS legs, count(t.tariff_id) AS with_tariff
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region
LEFT JOIN qa.tariffs t ON r.region = t.region AND t.client_type = 'web'
WHERE c.dt = '2024-05-08'
GROUP BY c.region, r.tier
SQL

diffq oj_full_join_where <<'SQL'
SELECT coalesce(r.region, t.region) AS region, count(*) AS n, count(r.tier) AS with_tier
FROM qa.regions r FULL JOIN qa.tariffs t ON r.region = t.region
WHERE t.fee IS NULL OR t.fee > 250
GROUP BY coalesce(r.region, t.region)
SQL

diffq semi_join <<'SQL'
SELECT c.region, c.client_type, count(*) AS n
FROM qa.calls c LEFT SEMI JOIN qa.tariffs t
  ON c.region = t.region AND c.client_type = t.client_type AND t.fee > 100
GROUP BY c.region, c.client_type
==== sqlite
SELECT c.region, c.client_type, count(*) AS n
FROM qa.calls c WHERE EXISTS (SELECT 1 FROM qa.tariffs t
  WHERE c.region = t.region AND c.client_type = t.client_type AND t.fee > 100)
GROUP BY c.region, c.client_type
SQL

diffq semi_join_non_equality <<'SQL'
SELECT t.tariff_id, t.fee FROM qa.tariffs t LEFT SEMI JOIN qa.tariffs u ON u.fee > t.fee * 2 AND u.tax = t.tax
==== sqlite
SELECT t.tariff_id, t.fee FROM qa.tariffs t
WHERE EXISTS (SELECT 1 FROM qa.tariffs u WHERE u.fee_c > t.fee_c * 2 AND u.tax_c = t.tax_c)
SQL

diffq anti_join <<'SQL'
SELECT r.region, r.country FROM qa.regions r
LEFT ANTI JOIN qa.calls c ON r.region = c.region AND c.dt = DATE '2024-05-01' AND c.client_type = 'room-system'
==== sqlite
SELECT r.region, r.country FROM qa.regions r
WHERE NOT EXISTS (SELECT 1 FROM qa.calls c
  WHERE r.region = c.region AND c.dt = '2024-05-01' AND c.client_type = 'room-system')
SQL

# a NULL key has no match: the row stays (unlike NOT IN)
diffq anti_join_null_keys <<'SQL'
SELECT c.region, c.client_type, count(*) AS n FROM qa.calls c
LEFT ANTI JOIN qa.tariffs t ON c.region = t.region AND c.client_type = t.client_type
GROUP BY c.region, c.client_type
==== sqlite
SELECT c.region, c.client_type, count(*) AS n FROM qa.calls c
WHERE NOT EXISTS (SELECT 1 FROM qa.tariffs t WHERE c.region = t.region AND c.client_type = t.client_type)
GROUP BY c.region, c.client_type
SQL

diffq comma_join_3 <<'SQL'
SELECT r.tier, t.client_type, count(*) AS n, sum(c.duration_s) AS secs
FROM qa.calls c, qa.regions r, qa.tariffs t
WHERE c.region = r.region AND t.region = r.region AND t.client_type = c.client_type
  AND c.dt >= DATE '2024-05-08'
GROUP BY r.tier, t.client_type
==== sqlite
SELECT r.tier, t.client_type, count(*) AS n, sum(c.duration_s) AS secs
FROM qa.calls c, qa.regions r, qa.tariffs t
WHERE c.region = r.region AND t.region = r.region AND t.client_type = c.client_type
  AND c.dt >= '2024-05-08'
GROUP BY r.tier, t.client_type
SQL

diffq comma_join_4 <<'SQL'
SELECT a.dt, r.country, count(*) AS pairs, count(DISTINCT t.tariff_id) AS tariffs
FROM qa.calls a, qa.calls b, qa.regions r, qa.tariffs t
WHERE a.meeting_id = b.meeting_id AND a.dt = b.dt AND a.region = r.region
  AND t.region = a.region AND t.client_type = b.client_type
  AND a.dt <= DATE '2024-05-03' AND a.client_type <> b.client_type
GROUP BY a.dt, r.country
==== sqlite
SELECT a.dt, r.country, count(*) AS pairs, count(DISTINCT t.tariff_id) AS tariffs
FROM qa.calls a, qa.calls b, qa.regions r, qa.tariffs t
WHERE a.meeting_id = b.meeting_id AND a.dt = b.dt AND a.region = r.region
  AND t.region = a.region AND t.client_type = b.client_type
  AND a.dt <= '2024-05-03' AND a.client_type <> b.client_type
GROUP BY a.dt, r.country
SQL

diffq comma_join_residual <<'SQL'
SELECT t.tariff_id AS a, u.tariff_id AS b, r.tier
FROM qa.tariffs t, qa.regions r, qa.tariffs u
WHERE t.region = r.region AND u.region = r.region AND t.tariff_id < u.tariff_id AND t.tax = u.tax
SQL

batch_end

# ---------------------------------------------------------------- EXTRACT, INTERVAL, SUBSTRING FROM FOR
# SQLite: strftime (%w counts from 0 on Sunday; ISO weeks from the week's
# Thursday), date() / datetime() modifiers, substr.

batch_begin batch_dates

diffq extract_fields <<'SQL'
SELECT meeting_id, started_at, EXTRACT(YEAR FROM started_at) AS y, EXTRACT(MONTH FROM started_at) AS mo,
  EXTRACT(DAY FROM dt) AS d, EXTRACT(HOUR FROM started_at) AS h, EXTRACT(MINUTE FROM started_at) AS mi,
  EXTRACT(SECOND FROM started_at) AS s, EXTRACT(DOW FROM started_at) AS dow, EXTRACT(DOY FROM dt) AS doy,
  EXTRACT(QUARTER FROM dt) AS q, EXTRACT(WEEK FROM started_at) AS w
FROM qa.calls WHERE dt IN (DATE '2024-05-04', DATE '2024-05-05', DATE '2024-05-06')
==== sqlite
SELECT meeting_id, started_at, CAST(strftime('%Y', started_at) AS INTEGER) AS y,
  CAST(strftime('%m', started_at) AS INTEGER) AS mo, CAST(strftime('%d', dt) AS INTEGER) AS d,
  CAST(strftime('%H', started_at) AS INTEGER) AS h, CAST(strftime('%M', started_at) AS INTEGER) AS mi,
  CAST(strftime('%S', started_at) AS INTEGER) AS s, CAST(strftime('%w', started_at) AS INTEGER) + 1 AS dow,
  CAST(strftime('%j', dt) AS INTEGER) AS doy, (CAST(strftime('%m', dt) AS INTEGER) + 2) / 3 AS q,
  (CAST(strftime('%j', date(started_at, '-3 days', 'weekday 4')) AS INTEGER) - 1) / 7 + 1 AS w
FROM qa.calls WHERE dt IN ('2024-05-04', '2024-05-05', '2024-05-06')
SQL

diffq extract_in_where_and_group_by <<'SQL'
SELECT EXTRACT(HOUR FROM started_at) AS h, count(*) AS n, avg(mos) AS m
FROM qa.calls WHERE EXTRACT(DOW FROM dt) IN (1, 7) GROUP BY EXTRACT(HOUR FROM started_at)
==== sqlite
SELECT CAST(strftime('%H', started_at) AS INTEGER) AS h, count(*) AS n, avg(mos) AS m
FROM qa.calls WHERE CAST(strftime('%w', dt) AS INTEGER) + 1 IN (1, 7) GROUP BY 1
SQL

diffq date_plus_minus_interval <<'SQL'
SELECT meeting_id, dt + INTERVAL 3 DAYS AS d3, dt - INTERVAL 1 MONTH AS m1, dt + INTERVAL '1' YEAR AS y1,
  started_at + INTERVAL 90 MINUTES AS t90, started_at - INTERVAL '1' DAY AS tday,
  dt + INTERVAL 2 HOURS AS dh, dt + INTERVAL 1 WEEK AS w1, INTERVAL -10 DAYS + dt AS back10
FROM qa.calls WHERE dt = DATE '2024-05-09'
==== sqlite
SELECT meeting_id, date(dt, '+3 days') AS d3, date(dt, '-1 month') AS m1, date(dt, '+1 year') AS y1,
  datetime(started_at, '+90 minutes') AS t90, datetime(started_at, '-1 day') AS tday,
  datetime(dt, '+2 hours') AS dh, date(dt, '+7 days') AS w1, date(dt, '-10 days') AS back10
FROM qa.calls WHERE dt = '2024-05-09'
SQL

diffq date_interval_in_join_condition <<'SQL'
SELECT t.tariff_id, count(*) AS n, min(c.started_at) AS first_call
FROM qa.tariffs t JOIN qa.calls c ON c.region = t.region
WHERE c.dt BETWEEN t.valid_from - INTERVAL 2 DAYS AND t.valid_from + INTERVAL 1 DAY
  AND c.started_at < c.dt + INTERVAL 12 HOURS
GROUP BY t.tariff_id
==== sqlite
SELECT t.tariff_id, count(*) AS n, min(c.started_at) AS first_call
FROM qa.tariffs t JOIN qa.calls c ON c.region = t.region
WHERE c.dt BETWEEN date(t.valid_from, '-2 days') AND date(t.valid_from, '+1 day')
  AND c.started_at < datetime(c.dt, '+12 hours')
GROUP BY t.tariff_id
SQL

diffq substring_from_for <<'SQL'
SELECT DISTINCT client_type, region, SUBSTRING(client_type FROM 2 FOR 3) AS s23,
  SUBSTRING(client_type FROM 4) AS s4, SUBSTRING(region FROM -4 FOR 2) AS neg,
  SUBSTRING(client_type FROM 20) AS past_end
FROM qa.calls WHERE dt = DATE '2024-05-03'
==== sqlite
SELECT DISTINCT client_type, region, substr(client_type, 2, 3) AS s23,
  substr(client_type, 4) AS s4, substr(region, -4, 2) AS neg,
  substr(client_type, 20) AS past_end
FROM qa.calls WHERE dt = '2024-05-03'
SQL

diffq substring_group_by <<'SQL'
SELECT SUBSTRING(region FROM 1 FOR 2) AS area, count(*) AS n FROM qa.calls
WHERE SUBSTRING(meeting_id FROM 3 FOR 4) = '0000' GROUP BY SUBSTRING(region FROM 1 FOR 2)
==== sqlite
SELECT substr(region, 1, 2) AS area, count(*) AS n FROM qa.calls
WHERE substr(meeting_id, 3, 4) = '0000' GROUP BY substr(region, 1, 2)
SQL

batch_end

# ---------------------------------------------------------------- CTE column lists, temporary views

batch_begin batch_views

diffq cte_column_lists <<'SQL'
WITH per_region (reg, legs, mean_mos) AS (SELECT region, count(*), avg(mos) FROM qa.calls GROUP BY region),
     priced (reg, tariffs, top_fee) AS (SELECT region, count(*), max(fee) FROM qa.tariffs GROUP BY region)
SELECT p.reg, p.legs, p.mean_mos, q.tariffs, q.top_fee FROM per_region p LEFT JOIN priced q ON p.reg = q.reg
SQL

diffq cte_column_list_self_join <<'SQL'
WITH d (day, n) AS (SELECT dt, count(*) FROM qa.calls GROUP BY dt)
SELECT a.day, a.n, b.n AS prev_n FROM d a LEFT JOIN d b ON b.day = date_sub(a.day, 1)
==== sqlite
WITH d (day, n) AS (SELECT dt, count(*) FROM qa.calls GROUP BY dt)
SELECT a.day, a.n, b.n AS prev_n FROM d a LEFT JOIN d b ON b.day = date(a.day, '-1 day')
SQL

diffq derived_table_column_list <<'SQL'
SELECT x.reg, x.k FROM (SELECT region, count(*) FROM qa.tariffs GROUP BY region) AS x (reg, k) WHERE x.k > 3
==== sqlite
SELECT x.reg, x.k FROM (SELECT region AS reg, count(*) AS k FROM qa.tariffs GROUP BY region) AS x WHERE x.k > 3
SQL

diffq view_temporary --scaled cost=4 <<'SQL'
CREATE TEMPORARY VIEW v_priced AS
SELECT c.meeting_id, c.region, c.duration_s, t.rate, t.tariff_id
FROM qa.calls c JOIN qa.tariffs t ON c.region = t.region AND c.client_type = t.client_type;
SELECT region, count(*) AS n, count(DISTINCT tariff_id) AS k, sum(duration_s * rate) AS cost
FROM v_priced GROUP BY region
==== sqlite
CREATE TEMP VIEW v_priced AS
SELECT c.meeting_id, c.region, c.duration_s, t.rate_u AS rate, t.tariff_id
FROM qa.calls c JOIN qa.tariffs t ON c.region = t.region AND c.client_type = t.client_type;
SELECT region, count(*) AS n, count(DISTINCT tariff_id) AS k, sum(duration_s * rate) AS cost
FROM v_priced GROUP BY region
SQL

diffq view_column_list_over_view <<'SQL'
CREATE TEMP VIEW v_daily (day, reg, legs) AS SELECT dt, region, count(*) FROM qa.calls GROUP BY dt, region;
CREATE TEMP VIEW v_peak AS SELECT reg, max(legs) AS peak FROM v_daily GROUP BY reg;
SELECT d.reg, d.day, d.legs FROM v_daily d JOIN v_peak p ON d.reg = p.reg AND d.legs = p.peak
SQL

diffq view_with_subquery <<'SQL'
CREATE TEMP VIEW v_bad AS SELECT * FROM qa.calls WHERE mos < (SELECT avg(mos) FROM qa.calls) - 1.2;
SELECT region, count(*) AS n, min(mos) AS worst FROM v_bad
WHERE meeting_id IN (SELECT meeting_id FROM qa.calls WHERE dropped) GROUP BY region
SQL

batch_end

# ---------------------------------------------------------------- traps of the new rewrites
# A condition on one side only in an outer or anti join's ON must not filter
# that side's rows; a correlated aggregate's value over no rows is the
# aggregate's over empty input; joins without equalities.

batch_begin batch_traps_new

diffq trap_left_join_on_left_only_condition <<'SQL'
SELECT c.region, count(*) AS legs, count(r.tier) AS matched
FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region AND c.dropped AND r.tier <> 'bronze'
GROUP BY c.region
SQL

diffq trap_right_join_on_right_only_condition <<'SQL'
SELECT t.region, count(*) AS n, count(r.region) AS matched
FROM qa.regions r RIGHT JOIN qa.tariffs t ON r.region = t.region AND t.fee > 200 AND r.tier = 'gold'
GROUP BY t.region
SQL

diffq trap_full_join_one_side_conditions <<'SQL'
SELECT r.region AS rr, t.tariff_id FROM qa.regions r
FULL JOIN qa.tariffs t ON r.region = t.region AND t.tax = 0.06 AND r.tier IN ('gold', 'silver')
==== sqlite
SELECT r.region AS rr, t.tariff_id FROM qa.regions r
FULL JOIN qa.tariffs t ON r.region = t.region AND t.tax_c = 6 AND r.tier IN ('gold', 'silver')
SQL

diffq trap_anti_join_on_left_only_condition <<'SQL'
SELECT c.region, count(*) AS n FROM qa.calls c
LEFT ANTI JOIN qa.regions r ON c.region = r.region AND c.mos < 2.5
GROUP BY c.region
==== sqlite
SELECT c.region, count(*) AS n FROM qa.calls c
WHERE NOT EXISTS (SELECT 1 FROM qa.regions r WHERE c.region = r.region AND c.mos < 2.5)
GROUP BY c.region
SQL

diffq trap_not_exists_outer_only_condition <<'SQL'
SELECT t.tariff_id, t.fee FROM qa.tariffs t
WHERE NOT EXISTS (SELECT 1 FROM qa.regions r WHERE r.region = t.region AND t.fee > 300)
SQL

diffq trap_outer_joins_without_equality <<'SQL'
SELECT r.region, t.tariff_id FROM qa.regions r
FULL JOIN qa.tariffs t ON r.tier = 'bronze' AND t.fee > 450
==== sqlite
SELECT r.region, t.tariff_id FROM qa.regions r
FULL JOIN qa.tariffs t ON r.tier = 'bronze' AND t.fee_c > 45000
SQL

diffq trap_left_join_without_equality <<'SQL'
SELECT t.tariff_id, count(u.tariff_id) AS cheaper FROM qa.tariffs t
LEFT JOIN qa.tariffs u ON u.fee < t.fee AND u.tax > t.tax
GROUP BY t.tariff_id
SQL

diffq trap_correlated_aggregates_over_no_rows <<'SQL'
SELECT r.region,
  (SELECT coalesce(sum(c.duration_s), 0) FROM qa.calls c WHERE c.region = r.region) AS secs,
  (SELECT count(*) * 2 + 1 FROM qa.calls c WHERE c.region = r.region) AS odd,
  (SELECT count(c.mos) FROM qa.calls c WHERE c.region = r.region AND c.mos > 4.0 AND c.dropped) AS good,
  (SELECT max(t.fee) FROM qa.tariffs t WHERE t.region = r.region) AS top
FROM qa.regions r
SQL

diffq trap_exists_over_grouped_subquery <<'SQL'
SELECT r.region, r.tier FROM qa.regions r
WHERE EXISTS (SELECT c.region FROM qa.calls c WHERE c.region = r.region GROUP BY c.region HAVING count(*) > 250)
SQL

diffq trap_in_over_union <<'SQL'
SELECT region, count(*) AS n FROM qa.calls
WHERE region IN (SELECT region FROM qa.regions WHERE tier = 'bronze' UNION SELECT region FROM qa.tariffs WHERE fee > 480)
GROUP BY region
SQL

diffq trap_in_correlated_aggregate <<'SQL'
SELECT t.tariff_id, t.fee FROM qa.tariffs t
WHERE t.fee IN (SELECT max(u.fee) FROM qa.tariffs u WHERE u.client_type = t.client_type GROUP BY u.tax)
SQL

diffq trap_scalar_decimal_subquery --scaled fee=2 <<'SQL'
SELECT tariff_id, fee FROM qa.tariffs WHERE fee > (SELECT avg(fee) FROM qa.tariffs) + 150
==== sqlite
SELECT tariff_id, fee_c AS fee FROM qa.tariffs WHERE fee > (SELECT avg(fee) FROM qa.tariffs) + 150
SQL

diffq trap_cte_column_list_renames_by_position <<'SQL'
WITH t (a, b) AS (SELECT region AS b, count(*) AS a FROM qa.tariffs GROUP BY region)
SELECT a, b FROM t WHERE b > 4
SQL

diffq trap_cte_shadows_temporary_view <<'SQL'
CREATE TEMP VIEW v_shadow AS SELECT region, tier FROM qa.regions;
WITH v_shadow AS (SELECT region, count(*) AS tier FROM qa.tariffs GROUP BY region)
SELECT region, tier FROM v_shadow
SQL

diffq trap_distinct_decimals_across_written_scales --scaled lo=2,hi=2 <<'SQL'
SELECT count(DISTINCT tax) AS taxes, count(DISTINCT tax_cap) AS caps, min(tax) AS lo, max(tax) AS hi FROM qa.tariffs
==== sqlite
SELECT count(DISTINCT tax_c) AS taxes, count(DISTINCT cap_m) AS caps, min(tax_c) AS lo, max(tax_c) AS hi FROM qa.tariffs
SQL

diffq trap_interval_several_units <<'SQL'
SELECT tariff_id, valid_from + INTERVAL 1 YEAR 2 MONTHS AS ym, valid_from - INTERVAL '1 month 3 days' AS md,
  CAST(valid_from AS TIMESTAMP) + INTERVAL 36 HOURS AS h36
FROM qa.tariffs
==== sqlite
SELECT tariff_id, date(valid_from, '+1 year', '+2 months') AS ym, date(valid_from, '-1 month', '-3 days') AS md,
  datetime(valid_from, '+36 hours') AS h36
FROM qa.tariffs
SQL

diffq trap_parenthesized_join_outer <<'SQL'
SELECT r.region, count(x.tariff_id) AS n FROM qa.regions r
LEFT JOIN (qa.tariffs x JOIN qa.regions y ON x.region = y.region AND y.tier = 'gold') ON r.region = x.region
GROUP BY r.region
SQL

diffq trap_decimal_precision_loss --scaled p5=13,per_rate=9 <<'SQL'
SELECT tariff_id, rate * rate * rate * fee * fee * tax AS p5, fee / rate AS per_rate
FROM qa.tariffs WHERE fee IS NOT NULL AND rate IS NOT NULL
==== sqlite
SELECT tariff_id,
  CASE WHEN rate_u * rate_u * rate_u * fee_c * fee_c * tax_c >= 0
       THEN (rate_u * rate_u * rate_u * fee_c * fee_c * tax_c + 50000) / 100000
       ELSE -((-(rate_u * rate_u * rate_u * fee_c * fee_c * tax_c) + 50000) / 100000) END AS p5,
  CASE WHEN fee_c >= 0 THEN (fee_c * 200000000000 + rate_u) / (2 * rate_u)
       ELSE -((-fee_c * 200000000000 + rate_u) / (2 * rate_u)) END AS per_rate
FROM qa.tariffs WHERE fee IS NOT NULL AND rate IS NOT NULL
SQL

diffq trap_extract_boundary_dates <<'SQL'
SELECT d, EXTRACT(WEEK FROM d) AS w, EXTRACT(DOW FROM d) AS dow, EXTRACT(DOY FROM d) AS doy,
  EXTRACT(QUARTER FROM d) AS q, d + INTERVAL 1 DAY AS next_day, d - INTERVAL 1 YEAR AS last_year
FROM (VALUES DATE '2020-12-31', DATE '2021-01-01', DATE '2021-01-03', DATE '2021-01-04', DATE '2024-02-29',
  DATE '2024-12-30', DATE '2027-01-01', DATE '1999-12-31', DATE '2023-01-01') AS v (d)
==== sqlite
SELECT d, (CAST(strftime('%j', date(d, '-3 days', 'weekday 4')) AS INTEGER) - 1) / 7 + 1 AS w,
  CAST(strftime('%w', d) AS INTEGER) + 1 AS dow, CAST(strftime('%j', d) AS INTEGER) AS doy,
  (CAST(strftime('%m', d) AS INTEGER) + 2) / 3 AS q, date(d, '+1 day') AS next_day,
  CASE WHEN d = '2024-02-29' THEN '2023-02-28' ELSE date(d, '-1 year') END AS last_year
FROM (SELECT column1 AS d FROM (VALUES ('2020-12-31'), ('2021-01-01'), ('2021-01-03'), ('2021-01-04'),
  ('2024-02-29'), ('2024-12-30'), ('2027-01-01'), ('1999-12-31'), ('2023-01-01'))) v
SQL

diffq trap_correlation_through_a_join <<'SQL'
SELECT r.tier, c.client_type, count(*) AS n FROM qa.calls c JOIN qa.regions r ON c.region = r.region
WHERE EXISTS (SELECT 1 FROM qa.tariffs t WHERE t.region = r.region AND t.client_type = c.client_type AND t.fee > 200)
  AND c.dt = DATE '2024-05-07'
GROUP BY r.tier, c.client_type
==== sqlite
SELECT r.tier, c.client_type, count(*) AS n FROM qa.calls c JOIN qa.regions r ON c.region = r.region
WHERE EXISTS (SELECT 1 FROM qa.tariffs t WHERE t.region = r.region AND t.client_type = c.client_type AND t.fee > 200)
  AND c.dt = '2024-05-07'
GROUP BY r.tier, c.client_type
SQL

diffq trap_correlated_on_an_expression --bools d <<'SQL'
SELECT c.meeting_id, c.dropped AS d,
  (SELECT count(*) FROM qa.regions r WHERE r.tier = CASE WHEN c.dropped THEN 'gold' ELSE 'silver' END) AS tiers
FROM qa.calls c WHERE c.dt = DATE '2024-05-05' AND c.latency_ms < 60
==== sqlite
SELECT c.meeting_id, c.dropped AS d,
  (SELECT count(*) FROM qa.regions r WHERE r.tier = CASE WHEN c.dropped THEN 'gold' ELSE 'silver' END) AS tiers
FROM qa.calls c WHERE c.dt = '2024-05-05' AND c.latency_ms < 60
SQL

diffq trap_not_in_in_having_and_decimal_in <<'SQL'
SELECT participants, count(*) AS n FROM qa.calls
WHERE participants NOT IN (SELECT tax * 100 FROM qa.tariffs WHERE tax IS NOT NULL)
GROUP BY participants
HAVING participants NOT IN (SELECT tariff_id FROM qa.tariffs WHERE fee < 0)
==== sqlite
SELECT participants, count(*) AS n FROM qa.calls
WHERE participants NOT IN (SELECT tax_c FROM qa.tariffs WHERE tax IS NOT NULL)
GROUP BY participants
HAVING participants NOT IN (SELECT tariff_id FROM qa.tariffs WHERE fee < 0)
SQL

diffq trap_scalar_subquery_in_case_ordered --ordered <<'SQL'
SELECT t.tariff_id,
  CASE WHEN (SELECT count(*) FROM qa.calls c WHERE c.region = t.region) > 300 THEN 'busy' ELSE 'quiet' END AS load
FROM qa.tariffs t ORDER BY t.tariff_id DESC LIMIT 20
SQL

diffq trap_select_star_right_join <<'SQL'
SELECT * FROM qa.regions r RIGHT JOIN (SELECT tariff_id, region AS t_region FROM qa.tariffs) t
  ON r.region = t.t_region AND t.tariff_id > 20
SQL

diffq trap_select_star_semi_join <<'SQL'
SELECT * FROM qa.regions r LEFT SEMI JOIN (SELECT region AS reg, fee FROM qa.tariffs) t ON r.region = t.reg AND t.fee > 400
==== sqlite
SELECT * FROM qa.regions r WHERE EXISTS (SELECT 1 FROM qa.tariffs t WHERE r.region = t.region AND t.fee > 400)
SQL

diffq trap_select_star_full_join_subqueries <<'SQL'
SELECT * FROM (SELECT region AS a, count(*) AS n FROM qa.tariffs WHERE fee > 250 GROUP BY region) x
FULL JOIN (SELECT region AS b, count(*) AS m FROM qa.tariffs WHERE tax >= 0.08 GROUP BY region) y ON x.a = y.b
SQL

diffq trap_order_by_scalar_subquery_alias --ordered <<'SQL'
SELECT r.region, (SELECT count(*) FROM qa.tariffs t WHERE t.region = r.region) AS k
FROM qa.regions r ORDER BY k DESC, r.region LIMIT 5 OFFSET 1
SQL

diffq trap_exists_in_derived_table <<'SQL'
SELECT x.tier, count(*) AS n FROM
  (SELECT r.region, r.tier FROM qa.regions r
   WHERE EXISTS (SELECT 1 FROM qa.tariffs t WHERE t.region = r.region AND t.fee > 300)) x
GROUP BY x.tier
SQL

diffq trap_cte_with_subqueries_used_twice <<'SQL'
WITH hot AS (SELECT region, client_type FROM qa.tariffs t
             WHERE t.region IN (SELECT region FROM qa.regions WHERE tier <> 'bronze')
               AND NOT EXISTS (SELECT 1 FROM qa.tariffs u WHERE u.region = t.region AND u.fee < 0))
SELECT a.region, count(*) AS pairs FROM hot a JOIN hot b ON a.region = b.region AND a.client_type < b.client_type
GROUP BY a.region
SQL

diffq trap_view_with_correlated_subquery_self_join <<'SQL'
CREATE TEMP VIEW v_rank AS
SELECT t.tariff_id, t.region, (SELECT count(*) FROM qa.tariffs u WHERE u.region = t.region) AS peers
FROM qa.tariffs t;
SELECT a.tariff_id AS a, b.tariff_id AS b, a.peers FROM v_rank a JOIN v_rank b
  ON a.region = b.region AND a.tariff_id + 1 = b.tariff_id
SQL

diffq trap_decimal_case_mixed_scales --scaled x=3 <<'SQL'
SELECT tariff_id, CASE WHEN tax IS NULL THEN tax_cap WHEN fee < 0 THEN 0.5 ELSE tax END AS x FROM qa.tariffs
==== sqlite
SELECT tariff_id, CASE WHEN tax_c IS NULL THEN cap_m WHEN fee_c < 0 THEN 500 ELSE tax_c * 10 END AS x FROM qa.tariffs
SQL

diffq trap_decimal_order_desc_nulls_first --ordered --scaled tax=2,tax_cap=3 <<'SQL'
SELECT tariff_id, tax, tax_cap FROM qa.tariffs ORDER BY tax DESC NULLS FIRST, tax_cap, tariff_id LIMIT 25
==== sqlite
SELECT tariff_id, tax_c AS tax, cap_m AS tax_cap FROM qa.tariffs ORDER BY tax_c DESC NULLS FIRST, cap_m, tariff_id LIMIT 25
SQL

diffq trap_union_decimal_and_double <<'SQL'
SELECT kind, count(*) AS n, sum(v) AS total, max(v) AS hi FROM (
  SELECT 'fee' AS kind, fee AS v FROM qa.tariffs
  UNION ALL
  SELECT 'mos' AS kind, mos AS v FROM qa.calls WHERE dt = DATE '2024-05-01'
) u GROUP BY kind
==== sqlite
SELECT kind, count(*) AS n, sum(v) AS total, max(v) AS hi FROM (
  SELECT 'fee' AS kind, fee AS v FROM qa.tariffs
  UNION ALL
  SELECT 'mos' AS kind, mos AS v FROM qa.calls WHERE dt = '2024-05-01'
) u GROUP BY kind
SQL

# an EXISTS subquery's ORDER BY and LIMIT n > 0 do not change it; LIMIT 0 does
diffq trap_exists_with_limit <<'SQL'
SELECT r.region, r.tier FROM qa.regions r
WHERE EXISTS (SELECT t.fee FROM qa.tariffs t WHERE t.region = r.region AND t.fee > 350 ORDER BY t.fee LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM qa.tariffs LIMIT 0)
SQL

diffq trap_exists_limit_0_is_false <<'SQL'
SELECT count(*) AS n, count(region) AS r FROM qa.calls WHERE EXISTS (SELECT 1 FROM qa.regions LIMIT 0)
SQL

diffq trap_in_distinct_ordered_subquery --scaled fee=2 <<'SQL'
SELECT tariff_id, fee FROM qa.tariffs
WHERE region IN (SELECT DISTINCT region FROM qa.calls WHERE dropped ORDER BY region)
  AND fee < (SELECT fee FROM qa.tariffs WHERE fee IS NOT NULL ORDER BY fee DESC, tariff_id LIMIT 1)
  AND tariff_id NOT IN (SELECT tariff_id FROM qa.tariffs ORDER BY fee DESC, tariff_id LIMIT 5)
==== sqlite
SELECT tariff_id, fee_c AS fee FROM qa.tariffs
WHERE region IN (SELECT DISTINCT region FROM qa.calls WHERE dropped ORDER BY region)
  AND fee < (SELECT fee FROM qa.tariffs WHERE fee IS NOT NULL ORDER BY fee DESC, tariff_id LIMIT 1)
  AND tariff_id NOT IN (SELECT tariff_id FROM qa.tariffs ORDER BY fee DESC, tariff_id LIMIT 5)
SQL

batch_end

# ---------------------------------------------------------------- writes, then queries

diffq ctas_then_query <<'SQL'
CREATE TABLE qa.meeting_quality AS
SELECT meeting_id, region, count(*) AS legs, avg(mos) AS avg_mos,
  max(CASE WHEN dropped THEN 1 ELSE 0 END) AS any_drop, min(dt) AS first_day
FROM qa.calls GROUP BY meeting_id, region;
SELECT region, count(*) AS meetings, sum(legs) AS legs, sum(any_drop) AS with_drop,
  avg(avg_mos) AS mos, min(first_day) AS first_day
FROM qa.meeting_quality GROUP BY region;
SQL

cat >"$Q/mkdaily.sql" <<'SQL'
CREATE TABLE qa.daily_region (region STRING, calls BIGINT, avg_mos DOUBLE, drops BIGINT)
PARTITIONED BY (dt DATE) STORED AS CSV TBLPROPERTIES ('header'='true');
SQL
run_job mkdaily "$Q/mkdaily.sql" || fail "CREATE TABLE qa.daily_region succeeds" "$STATUS"

diffq insert_dynamic_partitions_then_query <<'SQL'
INSERT INTO qa.daily_region PARTITION (dt)
SELECT region, count(*), avg(mos), sum(CASE WHEN dropped THEN 1 ELSE 0 END), dt
FROM qa.calls WHERE region IS NOT NULL GROUP BY region, dt;
INSERT INTO qa.daily_region PARTITION (dt='2024-05-11') VALUES ('us-east', 0, NULL, 0);
SELECT * FROM qa.daily_region;
==== sqlite
CREATE TABLE qa.daily_region (region TEXT, calls INTEGER, avg_mos REAL, drops INTEGER, dt TEXT);
INSERT INTO qa.daily_region
SELECT region, count(*), avg(mos), sum(CASE WHEN dropped THEN 1 ELSE 0 END), dt
FROM qa.calls WHERE region IS NOT NULL GROUP BY region, dt;
INSERT INTO qa.daily_region VALUES ('us-east', 0, NULL, 0, '2024-05-11');
SELECT * FROM qa.daily_region;
SQL
assert_eq "the dynamic insert made one partition per day (and the static one)" \
	"$(printf '%s\n' "${PARTS[@]}" dt=2024-05-11)" "$(mf_ls "$W/qa/daily_region")"

diffq insert_overwrite_partition_then_query <<'SQL'
INSERT OVERWRITE TABLE qa.daily_region PARTITION (dt='2024-05-03')
SELECT region, count(*), avg(mos), sum(CASE WHEN dropped THEN 1 ELSE 0 END)
FROM qa.calls WHERE dt = DATE '2024-05-03' AND client_type LIKE 'mobile%' AND region IS NOT NULL
GROUP BY region;
SELECT dt, count(*) AS n, sum(calls) AS calls, sum(drops) AS drops, max(avg_mos) AS best
FROM qa.daily_region GROUP BY dt;
==== sqlite
DELETE FROM qa.daily_region WHERE dt = '2024-05-03';
INSERT INTO qa.daily_region
SELECT region, count(*), avg(mos), sum(CASE WHEN dropped THEN 1 ELSE 0 END), '2024-05-03'
FROM qa.calls WHERE dt = '2024-05-03' AND client_type LIKE 'mobile%' AND region IS NOT NULL
GROUP BY region;
SELECT dt, count(*) AS n, sum(calls) AS calls, sum(drops) AS drops, max(avg_mos) AS best
FROM qa.daily_region GROUP BY dt;
SQL

note "$NCHECKS differential queries"
mf_finish
