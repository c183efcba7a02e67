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
# Each query is a pair (metafs SQL, SQLite SQL) — the same text where the
# dialects agree — and one named check: the job must succeed and its result
# must equal SQLite's output under tests/data/compare.py (sorted rows unless
# the query orders them, numbers within a relative 1e-9, NULL distinct from
# the empty string, SQLite's 1/0 read as true/false only in the columns a
# check names as boolean).  SQLite runs with case_sensitive_like on, as
# Spark's LIKE is case sensitive.  A failing check prints the diff.
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
run_job() {
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cp "$2" "$J/$1.sql" 2>"$MF_TMP/err"; then
		STATUS="submit failed: $(cat "$MF_TMP/err")"
		STATE=none
		return 1
	fi
	STATUS=$(timeout -k 5 300 cat "$J/$1/wait" 2>&1)
	STATE=$(printf '%s\n' "$STATUS" | head -n 1)
	[ "$STATE" = succeeded ]
}

# sqlite_run SQL-FILE OUT-FILE : run the statements in the reference database
# with CSV output and headers; stderr in OUT-FILE.err.
sqlite_run() {
	{
		printf '.bail on\n.mode csv\n.headers on\n'
		printf 'PRAGMA case_sensitive_like = ON;\n'
		printf "ATTACH '%s' AS qa;\n" "$REF"
		cat "$1"
	} | timeout -k 5 "$MF_CMD_TIMEOUT" sqlite3 -batch :memory: >"$2" 2>"$2.err"
}

# diffq NAME [--ordered] [--bools COL,...] <<'SQL'
#   metafs SQL
#   ==== sqlite
#   SQLite SQL            (the separator and this part are left out when
#   SQL                    the same text runs on both)
# One check: the job succeeds, SQLite succeeds, the outputs agree.
NCHECKS=0
diffq() {
	local name=$1 text msql ssql sep=$'\n==== sqlite\n' out
	local -a opts=()
	shift
	opts=("$@")
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
	if ! run_job "$name" "$Q/$name.sql"; then
		fail "$name: metafs runs the query" "$STATUS" "SQL:" "$msql"
		return 1
	fi
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$name/result" >"$Q/$name.metafs.csv" 2>"$MF_TMP/err"; then
		fail "$name: metafs result is readable" "$(cat "$MF_TMP/err")"
		return 1
	fi
	if ! sqlite_run "$Q/$name.sqlite.sql" "$Q/$name.sqlite.csv"; then
		fail "$name: sqlite runs the reference query (a test bug)" "$(cat "$Q/$name.sqlite.csv.err")" "SQL:" "$ssql"
		return 1
	fi
	if out=$(python3 "$COMPARE" "${opts[@]}" "$Q/$name.metafs.csv" "$Q/$name.sqlite.csv" 2>&1); then
		pass "$name"
	else
		fail "$name" "$out" "metafs SQL:" "$msql"
		return 1
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
	printf 'DROP TABLE stage;\n'
} >"$MF_TMP/load.sqlite"
if ! out=$(sqlite3 -batch "$REF" <"$MF_TMP/load.sqlite" 2>&1); then
	mf_abort "sqlite3 loads the data set" "$out"
fi
assert_eq "sqlite holds every generated row" "$NROWS" "$(sqlite3 "$REF" 'SELECT count(*) FROM calls')"

# ---------------------------------------------------------------- scans and filters

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

# ---------------------------------------------------------------- dates

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

# ---------------------------------------------------------------- joins, unions, CTEs, subqueries

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

# ---------------------------------------------------------------- more semantics

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
