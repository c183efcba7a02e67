#!/usr/bin/env bash
# test_parquet_sql.sh - Parquet tables through jobs: CREATE TABLE AS ...
# STORED AS PARQUET from a partitioned CSV table, the same aggregates over
# both, INSERT OVERWRITE of one partition, row groups skipped by a
# selective filter (a small parquet.block.size makes many), the recorded
# row counts, and, when DuckDB is there, DuckDB reading the table's files
# through the mount (the same rows, each column's type as Spark writes it,
# the footer statistics .partition shows) and a file DuckDB wrote read by a
# metafs job.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
J=$M/jobs
W=$M/warehouse

# result NAME : a job's result without its header line
result() { tail -n +2 "$J/$1/result" 2>&1; }

# ---------------------------------------------------------------- the CSV source
run_job ddl "CREATE DATABASE db;
CREATE TABLE db.src (id BIGINT, name STRING, amount DECIMAL(12,2), score DOUBLE, day DATE,
  ts TIMESTAMP, ok BOOLEAN) PARTITIONED BY (region STRING) STORED AS CSV
  TBLPROPERTIES ('header'='false');"
assert_eq "the CSV table is created" succeeded "$STATE" || note "$STATUS"
for r in east north west; do
	mf_run mkdir "$W/db/src/region=$r" || mf_abort "mkdir region=$r" "$MF_OUT"
	awk -v r="$r" 'BEGIN {
		for (i = 1; i <= 1500; i++) {
			id = (r == "east" ? 0 : r == "north" ? 10000 : 20000) + i
			name = (i % 50 == 0) ? "" : "n" (id % 37)
			amount = (i % 41 == 0) ? "" : sprintf("%d.%02d", id % 997, id % 100)
			score = (i % 53 == 0) ? "" : sprintf("%.3f", (id % 211) / 8.0)
			day = sprintf("2024-%02d-%02d", 1 + id % 12, 1 + id % 28)
			ts = sprintf("%s %02d:%02d:%02d.%06d", day, id % 24, id % 60, (id * 7) % 60, id % 1000000)
			ok = (i % 3 == 0) ? "true" : (i % 3 == 1) ? "false" : ""
			printf "%d,%s,%s,%s,%s,%s,%s\n", id, name, amount, score, day, ts, ok
		}
	}' >"$MF_TMP/$r.csv"
	mf_run cp "$MF_TMP/$r.csv" "$W/db/src/region=$r/data.csv" || mf_abort "cp $r.csv" "$MF_OUT"
done
N=$(mf_field "$W/db/src/.table" rows)
assert_eq "the CSV table holds every row" 4500 "$N"

# ---------------------------------------------------------------- CTAS into Parquet
run_job ctas "CREATE TABLE db.t PARTITIONED BY (region) STORED AS PARQUET
  TBLPROPERTIES ('parquet.block.size'='4096')
  AS SELECT id, name, amount, score, day, ts, ok, region FROM db.src;"
assert_eq "CREATE TABLE AS ... STORED AS PARQUET succeeds" succeeded "$STATE" || note "$STATUS"
assert_file_has_line ".schema says format parquet" "$W/db/t/.schema" "format parquet"
files=$(cd "$W/db/t" 2>/dev/null && ls -1 region=*/ 2>/dev/null | grep -c '\.parquet$')
assert_eq "one .parquet file per partition" 3 "$files"
assert_eq "the Parquet table records the footers' rows" "$N" "$(mf_field "$W/db/t/.table" rows)"
for r in east north west; do
	f=$(ls "$W/db/t/region=$r/" | grep '\.parquet$' | head -n 1)
	assert_eq "region=$r: the partition's rows are its file's footer's" \
		"$(mf_field "$W/db/src/region=$r/.partition" rows)" "$(mf_field "$W/db/t/region=$r/.partition" rows)"
	assert_match "region=$r: the job's output records the footer's statistics of id" \
		"^stats: id min=[0-9]+ max=[0-9]+ nulls=0$" "$(grep '^stats: id ' "$W/db/t/region=$r/.partition" 2>&1)"
	head -c 4 "$W/db/t/region=$r/$f" >"$MF_TMP/magic" 2>/dev/null
	assert_eq "region=$r: the file starts with PAR1" PAR1 "$(cat "$MF_TMP/magic")"
done

# The same aggregates over both tables give the same rows.
agg="SELECT region, count(*), count(name), sum(amount), round(sum(score), 3), min(day), max(ts),
  count(ok), sum(CASE WHEN ok THEN 1 ELSE 0 END), count(DISTINCT name)
FROM db.TABLE GROUP BY region ORDER BY region"
run_job agg_csv "${agg//TABLE/src};"
assert_eq "aggregate over the CSV table" succeeded "$STATE" || note "$STATUS"
run_job agg_pq "${agg//TABLE/t};"
assert_eq "aggregate over the Parquet table" succeeded "$STATE" || note "$STATUS"
assert_eq "the Parquet table gives the CSV table's aggregates" "$(result agg_csv)" "$(result agg_pq)"
run_job rows_csv "SELECT * FROM db.src WHERE id % 97 = 3 ORDER BY id;"
run_job rows_pq "SELECT * FROM db.t WHERE id % 97 = 3 ORDER BY id;"
assert_eq "the Parquet table gives the CSV table's rows, NULLs and all" "$(result rows_csv)" "$(result rows_pq)"
assert_ne "those rows are there" "" "$(result rows_pq)"

# ---------------------------------------------------------------- row groups skipped
run_job sel "SELECT count(*), sum(id) FROM db.t WHERE id BETWEEN 10100 AND 10120;"
assert_eq "a selective filter over the Parquet table" succeeded "$STATE" || note "$STATUS"
assert_eq "it finds its rows" "21,212310" "$(result sel)"
line=$(grep -o 'row_groups_read=[0-9]* row_groups_skipped=[0-9]*' "$J/sel/resources" 2>/dev/null | head -n 1)
read_groups=$(printf '%s\n' "$line" | sed -n 's/row_groups_read=\([0-9]*\) .*/\1/p')
skipped_groups=$(printf '%s\n' "$line" | sed -n 's/.*row_groups_skipped=\([0-9]*\)/\1/p')
assert_match "the job's resources say how many row groups were read and skipped" \
	'row_groups_read=[0-9]+ row_groups_skipped=[0-9]+' "$line"
if [ -n "$read_groups" ] && [ -n "$skipped_groups" ] && [ "$skipped_groups" -gt "$read_groups" ] &&
	[ "$read_groups" -ge 1 ]; then
	pass "most row groups are skipped by their statistics ($line)"
else
	fail "most row groups are skipped by their statistics" "$line" "$(cat "$J/sel/resources" 2>&1)"
fi
assert_file_contains "the plan shows a Parquet scan" "$J/sel/plan" "FileScan parquet"

# ---------------------------------------------------------------- INSERT OVERWRITE a partition
run_job ow "INSERT OVERWRITE TABLE db.t PARTITION (region='north')
  SELECT id, name, amount, score, day, ts, ok FROM db.src WHERE region = 'north' AND id % 2 = 0;"
assert_eq "INSERT OVERWRITE of one Parquet partition succeeds" succeeded "$STATE" || note "$STATUS"
run_job after "SELECT region, count(*) FROM db.t GROUP BY region ORDER BY region;"
run_job want "SELECT region, count(*) FROM db.src WHERE region <> 'north' OR id % 2 = 0
  GROUP BY region ORDER BY region;"
assert_eq "only that partition was replaced" "$(result want)" "$(result after)"
assert_match "north holds the new rows" "north,750" "$(result after)"
assert_eq "north holds one file again" 1 "$(ls "$W/db/t/region=north/" | grep -c '\.parquet$')"
run_job total "SELECT count(*) FROM db.t;"
assert_eq "the table's recorded rows follow" "$(result total)" "$(mf_field "$W/db/t/.table" rows)"

# ---------------------------------------------------------------- compression
run_job zstd "CREATE TABLE db.z (id BIGINT, name STRING) STORED AS PARQUET
  TBLPROPERTIES ('parquet.compression'='zstd');
INSERT INTO db.z SELECT id, name FROM db.src;
SELECT count(*), sum(id) FROM db.z;"
assert_eq "a zstd Parquet table is written and read" succeeded "$STATE" || note "$STATUS"
run_job zsum "SELECT count(*), sum(id) FROM db.src;"
assert_eq "it holds the rows written" "$(result zsum)" "$(result zstd)"
run_job badc "CREATE TABLE db.b (id BIGINT) STORED AS PARQUET TBLPROPERTIES ('compression'='lz4');
INSERT INTO db.b SELECT id FROM db.src;"
assert_eq "an unknown compression fails the insert" failed "$STATE"
assert_match "naming the property" "compression is 'lz4'" "$STATUS"

# ---------------------------------------------------------------- DuckDB
if mf_have_duckdb; then
	got=$(mf_duckdb "SELECT region, count(*), count(name), sum(id),
		sum(amount)::VARCHAR, count(score), min(day)::VARCHAR, (max(ts) AT TIME ZONE 'UTC')::VARCHAR, count(ok),
		sum(CASE WHEN ok THEN 1 ELSE 0 END)
		FROM read_parquet('$W/db/t/*/*.parquet', hive_partitioning=true)
		GROUP BY region ORDER BY region" 2>&1)
	run_job mine "SELECT region, count(*), count(name), sum(id), sum(amount), count(score), min(day),
		max(ts), count(ok), sum(CASE WHEN ok THEN 1 ELSE 0 END)
		FROM db.t GROUP BY region ORDER BY region;"
	assert_eq "DuckDB reads the Parquet table's files through the mount" "$(result mine)" "$got"
	# The types DuckDB sees are the Spark mapping of the table's columns.
	assert_eq "DuckDB sees each column's type as Spark writes it" \
		"id,BIGINT;name,VARCHAR;amount,DECIMAL(12,2);score,DOUBLE;day,DATE;ts,TIMESTAMP WITH TIME ZONE;ok,BOOLEAN;region,VARCHAR" \
		"$(mf_duckdb "SELECT column_name, column_type FROM (DESCRIBE
			SELECT * FROM read_parquet('$W/db/t/*/*.parquet', hive_partitioning=true))" 2>&1 | paste -sd';')"
	# DuckDB reads the footer statistics metafs wrote: the file's min and
	# max of id are what .partition shows (recorded from the same footer)
	# and what the rows hold.
	f=$(ls "$W/db/t/region=north/" | grep '\.parquet$' | head -n 1)
	duck_stats=$(mf_duckdb "SELECT min(stats_min_value::BIGINT), max(stats_max_value::BIGINT),
		sum(stats_null_count) FROM parquet_metadata('$W/db/t/region=north/$f') WHERE path_in_schema = 'id'" 2>&1)
	mine_stats=$(sed -n 's/^stats: id min=\([0-9]*\) max=\([0-9]*\) nulls=\([0-9]*\)$/\1,\2,\3/p' \
		"$W/db/t/region=north/.partition" 2>&1)
	assert_eq "DuckDB reads the footer's statistics of id as .partition shows them" "$mine_stats" "$duck_stats"
	run_job northids "SELECT min(id), max(id), count(*) - count(id) FROM db.t WHERE region = 'north';"
	assert_eq "and they are the rows' least and greatest id" "$(result northids)" "$duck_stats"
	# A file DuckDB wrote, copied into a partition, read by a job.
	mf_duckdb "COPY (SELECT (90000 + i)::BIGINT AS id, 'd' || i AS name,
		(i / 4)::DECIMAL(12,2) AS amount, i / 2.0 AS score, DATE '2024-02-01' + i::INT AS day,
		TIMESTAMP '2024-02-01 00:00:00' + INTERVAL (i) SECOND AS ts, i % 2 = 0 AS ok
		FROM range(100) t(i)) TO '$MF_TMP/duck.parquet' (FORMAT parquet)" >/dev/null 2>&1 ||
		fail "DuckDB writes a Parquet file"
	mf_run mkdir "$W/db/t/region=duck" || note "mkdir region=duck: $MF_OUT"
	mf_run cp "$MF_TMP/duck.parquet" "$W/db/t/region=duck/duck.parquet"
	assert_eq "DuckDB's file is committed through the mount" 0 "$MF_RC" || note "$MF_OUT"
	run_job duckread "SELECT count(*), sum(id), sum(amount), count(ok) FROM db.t WHERE region = 'duck';"
	assert_eq "a job reads DuckDB's file" "100,9004950,1237.50,100" "$(result duckread)" || note "$STATUS"
	assert_eq "the mount's commit records the footer's rows of DuckDB's file" 100 \
		"$(mf_field "$W/db/t/region=duck/.partition" rows)"
	assert_file_has_line "and DuckDB's statistics of id" "$W/db/t/region=duck/.partition" \
		"stats: id min=90000 max=90099 nulls=0"
else
	note "DuckDB is not installed: the DuckDB checks are skipped"
fi

mf_finish
