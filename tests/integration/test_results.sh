#!/usr/bin/env bash
# test_results.sh - a job's results: one CSV file a statement that returns
# rows in NAME/results/N.csv, `result` the same bytes as the last one, none
# for a failed run, NULL apart from the empty string, and csv tables made by
# a job starting their files with a header line.  As root, another user is
# refused results/ as `result`.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

U=
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	mf_shared_home
	U=mfr_$$_u
	mf_add_user "$U"
	mf_mount_shared
else
	mf_setup
fi
J=$M/jobs
W=$M/warehouse

run_job setup "CREATE DATABASE r;
CREATE TABLE r.t (id BIGINT, name STRING) PARTITIONED BY (dt DATE);
INSERT INTO r.t VALUES (1, 'a', DATE '2024-01-01'), (2, 'b,c', DATE '2024-01-02'), (3, NULL, DATE '2024-01-02');"
assert_eq "the setup job succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_dir "a job without a statement returning rows has a results directory" "$J/setup/results"
assert_eq "... and it is empty" "" "$(mf_ls "$J/setup/results")"
assert_not_exists "... and there is no result" "$J/setup/result"
assert_eq "the job directory lists results/ and no result" "dag.dot
log
plan
progress
resources
results
runs
status
wait" "$(mf_ls "$J/setup")"

# ---------------------------------------------------------------- one file a statement
run_job three "SELECT count(*) AS n FROM r.t;
CREATE TABLE r.copy AS SELECT id FROM r.t;
SELECT id, name FROM r.t ORDER BY id;
SHOW PARTITIONS r.t;"
assert_eq "a job of three queries and SHOW PARTITIONS succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "results/ holds one file per statement returning rows, numbered among them" "1.csv
2.csv
3.csv" "$(mf_ls "$J/three/results")"
assert_eq "results/1.csv: the first query, with its header" "n
3" "$(cat "$J/three/results/1.csv" 2>&1)"
assert_eq "results/2.csv: the second query, with its header, CSV-quoted" 'id,name
1,a
2,"b,c"
3,' "$(cat "$J/three/results/2.csv" 2>&1)"
assert_eq "results/3.csv: SHOW PARTITIONS is a result of its own" "partition
dt=2024-01-01
dt=2024-01-02" "$(cat "$J/three/results/3.csv" 2>&1)"
assert_cmp "result holds the same bytes as the last result" "$J/three/results/3.csv" "$J/three/result"
assert_match "status counts the results" "results: 3" "$STATUS"
assert_cmp "runs/1/results/ is the run's own" "$J/three/results/2.csv" "$J/three/runs/1/results/2.csv"

for f in "$J/three/result" "$J/three/results/1.csv" "$J/three/results/2.csv" "$J/three/results/3.csv"; do
	assert_eq "stat size of ${f#"$J"/} is the bytes read" "$(wc -c <"$f")" "$(stat -c %s "$f")"
done
mkdir -p "$MF_TMP/copied"
assert_ok "cp -r of results/ copies every file" cp -r "$J/three/results/." "$MF_TMP/copied/"
for n in 1 2 3; do
	assert_cmp "cp of results/$n.csv gives every byte" "$J/three/results/$n.csv" "$MF_TMP/copied/$n.csv"
done
assert_eq "results/2.csv ends with a newline and has 4 lines" "4" "$(wc -l <"$J/three/results/2.csv")"
expect_fail_errno "results/ is read-only" "Permission denied" touch "$J/three/results/4.csv"
assert_not_exists "there is no result past the last" "$J/three/results/4.csv"
assert_not_exists "a result is named N.csv, N from 1" "$J/three/results/0.csv"

if [ -n "$U" ]; then
	expect_fail_errno "another user may not read result" "Permission denied" mf_as "$U" cat "$J/three/result"
	expect_fail_errno "... nor a file of results/" "Permission denied" \
		mf_as "$U" cat "$J/three/results/1.csv"
	expect_fail_errno "... nor list results/" "Permission denied" mf_as "$U" ls "$J/three/results"
	expect_fail_errno "... nor runs/1/results/" "Permission denied" mf_as "$U" ls "$J/three/runs/1/results"
else
	note "the access checks need root: skipped"
fi

# ---------------------------------------------------------------- NULL and the empty string
run_job nulls "SELECT s FROM (SELECT CAST(NULL AS STRING) AS s, 1 AS o UNION ALL SELECT '' AS s, 2 AS o) x ORDER BY o;"
assert_eq "the NULL and empty string query succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "NULL is an empty field, the empty string is \"\"" 's

""' "$(cat "$J/nulls/result" 2>&1)"

# ---------------------------------------------------------------- a failed run
run_job failing "SELECT count(*) AS n FROM r.t;
SELECT nosuch FROM r.t;
SELECT 1 AS one;"
assert_eq "a job whose second query names an unknown column fails" "failed" "$STATE"
assert_match "... at the second statement, after the first ran" "statement: 2" "$STATUS"
assert_file_contains "the first statement ran" "$J/failing/log" "statement 1 (line 1)"
assert_not_exists "a failed run has no result" "$J/failing/result"
assert_eq "... and no results/ files, not even the first statement's" "" "$(mf_ls "$J/failing/results")"
assert_not_exists "... also under runs/1/" "$J/failing/runs/1/result"

run_job failing "SELECT 2 AS two;"
assert_eq "the job run again succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "the new run's result replaces the failed run's nothing" "two
2" "$(cat "$J/failing/result" 2>&1)"
assert_eq "... with its own results/" "1.csv" "$(mf_ls "$J/failing/results")"
assert_not_exists "the failed run keeps no result" "$J/failing/runs/1/result"

run_job failing "SELECT 3 AS three; SELECT nosuch FROM r.t;"
assert_eq "a third run fails" "failed" "$STATE"
assert_not_exists "the failed latest run shows no result in NAME/" "$J/failing/result"
assert_eq "the second run's result stays under runs/2/" "two
2" "$(cat "$J/failing/runs/2/result" 2>&1)"

# ---------------------------------------------------------------- csv tables made by jobs
run_job ctas "CREATE TABLE r.made STORED AS CSV AS SELECT id, name FROM r.t WHERE id < 3;
CREATE TABLE r.plain STORED AS CSV TBLPROPERTIES ('header'='false') AS SELECT id, name FROM r.t WHERE id < 3;
CREATE TABLE r.cols (id BIGINT, name STRING);
INSERT INTO r.cols SELECT id, name FROM r.t WHERE id = 1;
INSERT INTO r.cols SELECT id, name FROM r.t WHERE id = 2;"
assert_eq "CREATE TABLE AS, with and without a header, and INSERT succeed" "succeeded" "$STATE" ||
	note "$STATUS"
assert_file_has_line "a csv table made by CREATE TABLE AS has header true" "$W/r/made/.schema" "header true"
made=$(find "$W/r/made" -name '*.csv' | head -n 1)
assert_eq "its file starts with the header line" "id,name" "$(head -n 1 "$made" 2>&1)"
if mf_have_duckdb; then
	got=$(mf_duckdb -h "SELECT * FROM read_csv('$made') ORDER BY 1" 2>&1)
	got="$(head -n 1 <<<"$got");$(($(wc -l <<<"$got") - 1))"
	assert_eq "DuckDB read_csv gets the column names and the rows" "id,name;2" "$got"
else
	note "node with @duckdb/node-api is not installed: read_csv is not checked"
fi
assert_file_has_line "'header'='false' makes a table without one" "$W/r/plain/.schema" "header false"
plain=$(find "$W/r/plain" -name '*.csv' | head -n 1)
assert_eq "its file starts with a row" "1,a" "$(sort "$plain" | head -n 1)"
assert_file_has_line "CREATE TABLE with columns has header true" "$W/r/cols/.schema" "header true"
assert_eq "every file INSERT wrote starts with the header line" "id,name
id,name" "$(for f in "$W"/r/cols/*.csv; do head -n 1 "$f"; done)"

run_job readback "SELECT id, name FROM r.made ORDER BY id;
SELECT id, name FROM r.plain ORDER BY id;
SELECT id, name FROM r.cols ORDER BY id;
SELECT count(*) AS n FROM r.made;"
assert_eq "reading the tables back succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "a header is not read as a row" 'id,name
1,a
2,"b,c"' "$(cat "$J/readback/results/1.csv" 2>&1)"
assert_cmp "a table without a header reads the same rows" "$J/readback/results/1.csv" \
	"$J/readback/results/2.csv"
assert_eq "INSERT's files read back without their headers" 'id,name
1,a
2,"b,c"' "$(cat "$J/readback/results/3.csv" 2>&1)"
assert_eq "counting skips the header" "n
2" "$(cat "$J/readback/result" 2>&1)"
assert_eq ".table counts rows, not the header" "2" "$(mf_field "$W/r/made/.table" rows)"

mf_finish
