#!/usr/bin/env bash
# test_jobs.sh - SQL jobs through the mount: submission by file drop,
# status transitions, plans, DDL, INSERT with static and dynamic partitions,
# overwrite semantics, malformed SQL and rows, two jobs at once, reruns,
# metafs submit/wait, and a kill -9 in the middle of a commit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
J=$M/jobs
W=$M/warehouse


# ---------------------------------------------------------------- DDL and INSERT
run_job ddl "CREATE DATABASE sales;
CREATE TABLE sales.orders (order_id BIGINT, region STRING, amount DOUBLE)
  PARTITIONED BY (dt DATE) STORED AS CSV TBLPROPERTIES ('header'='true');"
assert_eq "a DDL job succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "CREATE TABLE makes the table visible in the mount" "format csv
header true
column order_id bigint
column region string
column amount double
partition dt date" "$(cat "$W/sales/orders/.schema" 2>&1)"

run_job load "INSERT INTO sales.orders PARTITION (dt='2024-05-01') VALUES
  (1, 'emea', 10.5), (2, 'amer', 20.0), (3, 'emea', NULL);
INSERT INTO warehouse.sales.orders VALUES (4, 'apac', 7.25, DATE '2024-05-02'), (5, 'emea', 1.0, DATE '2024-05-02');"
assert_eq "INSERT with static and dynamic partitions succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "partitions created by the job are listed" "dt=2024-05-01
dt=2024-05-02" "$(mf_ls "$W/sales/orders")"
assert_eq ".partition rows of the static partition" "3" "$(mf_field "$W/sales/orders/dt=2024-05-01/.partition" rows)"
assert_eq ".partition rows of the dynamic partition" "2" "$(mf_field "$W/sales/orders/dt=2024-05-02/.partition" rows)"
assert_eq ".table rows after the inserts" "5" "$(mf_field "$W/sales/orders/.table" rows)"
assert_match "status reports rows written" "rows_written: 5" "$STATUS"

# ---------------------------------------------------------------- SELECT, plan, files of a run
run_job q1 "SELECT region, count(*) AS n, sum(amount) AS total
FROM sales.orders WHERE dt >= DATE '2024-05-01' AND region <> 'amer'
GROUP BY region ORDER BY region;"
assert_eq "a SELECT job succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "result holds a header and the rows" "region,n,total
apac,1,7.25
emea,3,11.5" "$(cat "$J/q1/result" 2>&1)"
for section in "== Parsed Logical Plan ==" "== Analyzed Logical Plan ==" "== Optimized Logical Plan ==" "== Physical Plan =="; do
	assert_file_has_line "plan has the section $section" "$J/q1/plan" "$section"
done
assert_file_contains "the parsed plan marks unresolved names" "$J/q1/plan" "'UnresolvedRelation"
assert_file_contains "the physical plan reports partition pruning" "$J/q1/plan" "partitions: 2 of 2"
assert_file_contains "the optimized plan lists the rules that fired" "$J/q1/plan" "Rules fired:"
assert_file_contains "resources shows what each operator was given" "$J/q1/resources" "threads="
assert_file_contains "dag.dot is graphviz" "$J/q1/dag.dot" "digraph"
assert_file_contains "log tells the statement" "$J/q1/log" "statement 1"
assert_file_contains "progress counts rows read" "$J/q1/progress" "rows_read: 5"
assert_eq "NAME.sql shows the submitted text" "$(cat "$MF_TMP/q1.sql")" "$(cat "$J/q1.sql" 2>&1)"

run_job prune "SELECT count(*) AS n FROM sales.orders WHERE dt = DATE '2024-05-02';"
assert_eq "a pruned query gives the right count" "n
2" "$(cat "$J/prune/result" 2>&1)"
assert_file_contains "partition pruning selects one partition of two" "$J/prune/plan" "partitions: 1 of 2"

run_job explain "EXPLAIN EXTENDED SELECT * FROM sales.orders WHERE dt = DATE '2024-05-01';"
assert_eq "EXPLAIN succeeds" "succeeded" "$STATE"
assert_file_has_line "EXPLAIN writes the physical plan" "$J/explain/plan" "== Physical Plan =="
assert_not_exists "EXPLAIN produces no rows: no result" "$J/explain/result"

# ---------------------------------------------------------------- reruns keep history
run_job q1 "SELECT count(*) AS n FROM sales.orders;"
assert_eq "runs/ lists both runs of a resubmitted job" "1
2" "$(mf_ls "$J/q1/runs")"
assert_eq "the latest run's result is shown in NAME/" "n
5" "$(cat "$J/q1/result" 2>&1)"
assert_eq "the first run stays readable" "region,n,total" "$(head -n 1 "$J/q1/runs/1/result" 2>&1)"

# ---------------------------------------------------------------- dynamic overwrite
run_job over "INSERT OVERWRITE TABLE sales.orders PARTITION (dt)
SELECT order_id + 100, region, amount, dt FROM sales.orders WHERE dt = DATE '2024-05-02';"
assert_eq "dynamic INSERT OVERWRITE succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "dynamic overwrite replaces the partition that received rows" "2" "$(mf_field "$W/sales/orders/dt=2024-05-02/.partition" rows)"
assert_eq "dynamic overwrite leaves the other partition alone" "3" "$(mf_field "$W/sales/orders/dt=2024-05-01/.partition" rows)"
run_job ids "SELECT order_id FROM sales.orders WHERE dt = DATE '2024-05-02' ORDER BY order_id;"
assert_eq "the overwritten partition holds only the new rows" "order_id
104
105" "$(cat "$J/ids/result" 2>&1)"

# ---------------------------------------------------------------- errors
run_job badsql "SELECT region FROM sales.orders
WHERE regin = 'emea';"
assert_eq "a job with an unknown column fails" "failed" "$STATE"
assert_match "the error names line, column and a suggestion" 'line 2, column 7: unknown column "regin" \(did you mean "region"\?\)' "$STATUS"

run_job syntax "SELECT * FORM sales.orders;"
assert_eq "a syntax error fails the job" "failed" "$STATE"
assert_match "the syntax error names its place" "line 1, column" "$STATUS"

run_job second "CREATE TABLE sales.t2 (a BIGINT); INSERT INTO sales.t2 VALUES (1); SELECT nope FROM sales.t2;"
assert_eq "a job failing at its third statement fails" "failed" "$STATE"
assert_match "the status names the failing statement" "statement: 3" "$STATUS"
assert_eq "statements before the failure stay committed" "1" "$(mf_field "$W/sales/t2/.table" rows)"

mkdir -p "$W/sales/raw" && printf 'column id bigint\ncolumn v double\n' >"$MF_TMP/raw.schema" &&
	cp "$MF_TMP/raw.schema" "$W/sales/raw/.schema"
printf '1,1.5\n2,abc\n3,2.5\n' >"$MF_TMP/bad.csv"
cp "$MF_TMP/bad.csv" "$W/sales/raw/part-0.csv"
run_job badrows "CREATE TABLE sales.copy (id BIGINT, v DOUBLE); INSERT INTO sales.copy SELECT id, v FROM sales.raw;"
assert_eq "a malformed row fails the job" "failed" "$STATE"
assert_match "the error names the file and line of the malformed row" "part-0.csv line 2" "$STATUS"
assert_eq "a failed INSERT commits nothing" "0" "$(mf_field "$W/sales/copy/.table" rows)"

# ---------------------------------------------------------------- more DDL
run_job ctas "CREATE TABLE sales.by_region PARTITIONED BY (region) AS
SELECT order_id, amount, region FROM sales.orders WHERE dt = DATE '2024-05-01';"
assert_eq "CREATE TABLE AS SELECT succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "CREATE TABLE AS partitions by the named column" "region=amer
region=emea" "$(mf_ls "$W/sales/by_region")"
run_job ctas_again "CREATE TABLE IF NOT EXISTS sales.by_region AS SELECT 1 AS x;"
assert_eq "CREATE TABLE IF NOT EXISTS ... AS on an existing table does nothing" "succeeded" "$STATE" || note "$STATUS"
assert_eq "the existing table is left as it was" "2" "$(mf_field "$W/sales/by_region/.table" partitions)"
run_job ctas_bad "CREATE TABLE sales.half AS SELECT id, v FROM sales.raw;"
assert_eq "a CREATE TABLE AS over malformed rows fails" "failed" "$STATE"
assert_eq "a failed CREATE TABLE AS leaves no table behind" "no" "$([ -e "$W/sales/half" ] && echo yes || echo no)"

run_job parts "ALTER TABLE sales.orders ADD PARTITION (dt='2024-07-01') PARTITION (dt='2024-07-02');
ALTER TABLE sales.orders DROP PARTITION (dt='2024-07-02');
SHOW PARTITIONS sales.orders;"
assert_eq "ALTER TABLE ADD/DROP PARTITION and SHOW PARTITIONS succeed" "succeeded" "$STATE" || note "$STATUS"
assert_file_contains "SHOW PARTITIONS lists the added partition" "$J/parts/result" "dt=2024-07-01"
assert_eq "the dropped partition is gone from the mount" "no" "$([ -e "$W/sales/orders/dt=2024-07-02" ] && echo yes || echo no)"
run_job parts_again "ALTER TABLE sales.orders ADD PARTITION (dt='2024-07-01');"
assert_eq "adding an existing partition fails" "failed" "$STATE"
assert_match "the error says it exists" "already exists" "$STATUS"
run_job parts_ine "ALTER TABLE sales.orders ADD IF NOT EXISTS PARTITION (dt='2024-07-01');"
assert_eq "ADD IF NOT EXISTS of an existing partition succeeds" "succeeded" "$STATE"

run_job orderpos "SELECT region, count(*) AS n FROM sales.orders GROUP BY region ORDER BY 2 DESC, 1;"
assert_eq "ORDER BY positions sort by select-list columns" "region,n
emea,3
amer,1
apac,1" "$(cat "$J/orderpos/result" 2>&1)"

mkdir -p "$H/data/warehouse/sales/orders/dt=2024-08-01"
printf 'order_id,region,amount\n900,emea,9.0\n' >"$H/data/warehouse/sales/orders/dt=2024-08-01/landed.csv"
run_job msck "MSCK REPAIR TABLE sales.orders; SELECT count(*) AS n FROM sales.orders WHERE dt = DATE '2024-08-01';"
assert_eq "MSCK REPAIR TABLE registers a partition landed in the data store" "n
1" "$(cat "$J/msck/result" 2>&1)"

run_job drop "DROP TABLE sales.by_region; DROP TABLE IF EXISTS sales.nothing;"
assert_eq "DROP TABLE [IF EXISTS] succeeds" "succeeded" "$STATE"
assert_eq "a dropped table's data is gone from the data store" "no" \
	"$([ -e "$H/data/warehouse/sales/by_region" ] && echo yes || echo no)"

# ---------------------------------------------------------------- two jobs at once
printf 'INSERT INTO sales.orders PARTITION (dt=%s) VALUES (%s, %s, 1.0);\n' \
	"'2024-06-01'" 201 "'emea'" >"$MF_TMP/a.sql"
printf 'INSERT INTO sales.orders PARTITION (dt=%s) VALUES (%s, %s, 1.0);\n' \
	"'2024-06-02'" 202 "'amer'" >"$MF_TMP/b.sql"
cp "$MF_TMP/a.sql" "$J/conc_a.sql" & cp "$MF_TMP/b.sql" "$J/conc_b.sql" & wait
A=$(timeout 60 cat "$J/conc_a/wait" | head -n 1)
B=$(timeout 60 cat "$J/conc_b/wait" | head -n 1)
assert_eq "two jobs submitted at once both succeed" "succeeded succeeded" "$A $B"
assert_eq "both jobs' partitions exist" "dt=2024-05-01
dt=2024-05-02
dt=2024-06-01
dt=2024-06-02
dt=2024-07-01
dt=2024-08-01" "$(mf_ls "$W/sales/orders")"

# ---------------------------------------------------------------- metafs submit / wait
printf 'SELECT count(*) AS n FROM sales.orders;\n' >"$MF_TMP/count.sql"
mf_run "$METAFS" submit --mount "$M" --wait "$MF_TMP/count.sql"
assert_eq "metafs submit --wait exits 0 for a job that succeeds" "0" "$MF_RC"
assert_match "metafs submit prints the status" "succeeded" "$MF_OUT"
printf 'SELECT nope FROM sales.orders;\n' >"$MF_TMP/broken.sql"
mf_run "$METAFS" submit --mount "$M" --wait "$MF_TMP/broken.sql"
assert_eq "metafs submit --wait exits 1 for a job that fails" "1" "$MF_RC"
mf_run "$METAFS" wait "$J/count"
assert_eq "metafs wait on a finished job exits 0" "0" "$MF_RC"
mf_run "$METAFS" wait --mount "$M" broken
assert_eq "metafs wait by name on a failed job exits 1" "1" "$MF_RC"

# ---------------------------------------------------------------- bad job names
expect_fail_errno "a job file not named NAME.sql is refused" "Invalid argument" \
	sh_c 'echo "SELECT 1;" > "$1/not-a-job.txt"' _ "$J"

mf_finish
