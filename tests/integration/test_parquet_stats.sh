#!/usr/bin/env bash
# test_parquet_stats.sh - the planner skips Parquet files and partitions by
# the statistics their records hold: a table of ten files with disjoint id
# ranges, a selective job opens one file (the plan and the resources file
# say nine were skipped) and gives the rows the same query gives over the
# CSV table the files were written from; a partitioned table loses whole
# partitions the same way.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
J=$M/jobs
W=$M/warehouse

# result NAME : a job's result without its header line
result() { tail -n +2 "$J/$1/result" 2>&1; }
# files_line NAME : the files counts of the job's Parquet scan in its resources
files_line() { grep -o 'files_read=[0-9]* files_skipped=[0-9]* partitions_skipped=[0-9]*' \
	"$J/$1/resources" 2>/dev/null | head -n 1; }

run_job ddl "CREATE DATABASE db;
CREATE TABLE db.src (id BIGINT, name STRING, amount DECIMAL(12,2), g BIGINT) STORED AS CSV
  TBLPROPERTIES ('header'='false');
CREATE TABLE db.p (id BIGINT, name STRING, amount DECIMAL(12,2), g BIGINT) STORED AS PARQUET;
CREATE TABLE db.pp (id BIGINT, name STRING, amount DECIMAL(12,2)) PARTITIONED BY (g BIGINT)
  STORED AS PARQUET;"
assert_eq "the tables are created" succeeded "$STATE" || note "$STATUS"
for k in 0 1 2 3 4 5 6 7 8 9; do
	awk -v k="$k" 'BEGIN {
		for (i = 1; i <= 200; i++) {
			id = k * 1000 + i
			name = (i % 17 == 0) ? "" : "n" (id % 37)
			amount = (i % 23 == 0) ? "" : sprintf("%d.%02d", id % 997, id % 100)
			printf "%d,%s,%s,%d\n", id, name, amount, int(k / 2)
		}
	}' >"$MF_TMP/part-$k.csv"
	mf_run cp "$MF_TMP/part-$k.csv" "$W/db/src/part-$k.csv" || mf_abort "cp part-$k.csv" "$MF_OUT"
done
assert_eq "the CSV table holds every row" 2000 "$(mf_field "$W/db/src/.table" rows)"

# One INSERT a range: one Parquet file each.
ins=""
for k in 0 1 2 3 4 5 6 7 8 9; do
	ins="$ins
INSERT INTO db.p SELECT id, name, amount, g FROM db.src WHERE id > $((k * 1000)) AND id <= $((k * 1000 + 1000));"
done
run_job fill "$ins"
assert_eq "ten inserts into the Parquet table" succeeded "$STATE" || note "$STATUS"
assert_eq "ten Parquet files" 10 "$(ls "$W/db/p/" 2>/dev/null | grep -c '\.parquet$')"
assert_file_contains "the table's statistics are recorded" "$W/db/p/.table" "stats: id min=1 max=9200"

# ---------------------------------------------------------------- one file of ten
q="SELECT id, name, amount FROM db.TABLE WHERE id BETWEEN 5010 AND 5020 ORDER BY id;"
run_job sel_csv "${q//TABLE/src}"
assert_eq "the selective query over the CSV table" succeeded "$STATE" || note "$STATUS"
run_job sel "${q//TABLE/p}"
assert_eq "the selective query over the Parquet table" succeeded "$STATE" || note "$STATUS"
assert_eq "it gives the CSV table's rows" "$(result sel_csv)" "$(result sel)"
assert_eq "eleven of them" 11 "$(result sel | wc -l)"
assert_eq "the resources say one file read, nine skipped by statistics" \
	"files_read=1 files_skipped=9 partitions_skipped=0" "$(files_line sel)"
assert_file_contains "the plan says so at plan time" "$J/sel/plan" "files=1 skipped_by_stats=9"

q="SELECT count(*), sum(amount), count(name) FROM db.TABLE WHERE id < 150 OR id >= 9190;"
run_job two_csv "${q//TABLE/src}"
run_job two "${q//TABLE/p}"
assert_eq "an OR of ranges gives the CSV table's answer" "$(result two_csv)" "$(result two)"
assert_eq "two files read, eight skipped" "files_read=2 files_skipped=8 partitions_skipped=0" \
	"$(files_line two)"

run_job none "SELECT count(*) FROM db.p WHERE id > 100000;"
assert_eq "a filter no file can hold reads none" "0" "$(result none)"
assert_eq "all ten are skipped" "files_read=0 files_skipped=10 partitions_skipped=0" "$(files_line none)"

run_job all "SELECT count(*) FROM db.p WHERE id % 7 = 0;"
run_job all_csv "SELECT count(*) FROM db.src WHERE id % 7 = 0;"
assert_eq "a filter statistics cannot decide reads every file" "$(result all_csv)" "$(result all)"
assert_eq "and skips none" "files_read=10 files_skipped=0 partitions_skipped=0" "$(files_line all)"

# ---------------------------------------------------------------- partitions
run_job fillp "INSERT INTO db.pp SELECT id, name, amount, g FROM db.src;"
assert_eq "a partitioned Parquet table" succeeded "$STATE" || note "$STATUS"
q="SELECT g, count(*), sum(amount) FROM db.TABLE WHERE id BETWEEN 2100 AND 3100 GROUP BY g ORDER BY g;"
run_job psel_csv "${q//TABLE/src}"
run_job psel "${q//TABLE/pp}"
assert_eq "a filter on a data column gives the CSV table's groups" "$(result psel_csv)" "$(result psel)"
assert_eq "four of five partitions are skipped by their files' statistics" \
	"files_read=1 files_skipped=4 partitions_skipped=4" "$(files_line psel)"
assert_file_contains "the plan counts one partition of five" "$J/psel/plan" "partitions: 1 of 5"

mf_finish
