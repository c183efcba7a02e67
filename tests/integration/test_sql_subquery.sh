#!/usr/bin/env bash
# test_sql_subquery.sh - subquery expressions end to end: EXISTS, NOT EXISTS,
# IN, NOT IN and scalar subqueries (uncorrelated and correlated, in WHERE,
# HAVING and the select list, nested, inside a derived table), in the shapes
# the TPC-H queries use, run as metafs jobs through the mount and compared
# with SQLite, which gives them the same semantics (NOT IN's NULLs included).
#
# The data: qs.parts and qs.supply, small hand-written tables with NULL keys
# and values on both sides, loaded into metafs through the mount
# (mkdir + .schema, the CSV files copied in) and into SQLite with INSERTs
# made from the same rows.  Also: a scalar subquery that nothing proves to
# return one row runs, and fails the job with Spark's message only when it
# does return more (a failed INSERT leaves the committed rows as they were);
# EXPLAIN EXTENDED shows the subqueries in the analyzed plan and the joins
# they became in the optimized one, the run-time check in the physical one.
#
# Needs python3 and sqlite3 (skipped when missing).  MF_KEEP=1 keeps the
# temporary directory.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || mf_skip "python3 is missing"
command -v sqlite3 >/dev/null || mf_skip "sqlite3 is missing"
COMPARE=$METAFS_SRCDIR/tests/data/compare.py

mf_setup
J=$M/jobs
Q=$MF_TMP/q
REF=$MF_TMP/ref.db     # attached as schema qs so table names match
mkdir -p "$Q"

# run_job NAME FILE : submit FILE as job NAME and wait; status in $STATUS, $STATE.
run_job() { mf_job_file "$@"; }

sqlite_run() { mf_sqlite_ref "$REF" qs "$@"; }

# diffq NAME [compare.py options] <<'SQL' : the query (one text for both
# engines) must run as a job and agree with SQLite.
diffq() {
	local name=$1 sql out
	shift
	sql=$(cat)
	printf '%s\n' "$sql" >"$Q/$name.sql"
	if ! run_job "$name" "$Q/$name.sql"; then
		fail "$name: metafs runs the query" "$STATUS" "SQL:" "$sql"
		return 1
	fi
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$name/result" >"$Q/$name.metafs.csv" 2>"$MF_TMP/err"; then
		fail "$name: metafs result is readable" "$(cat "$MF_TMP/err")"
		return 1
	fi
	if ! sqlite_run "$Q/$name.sql" "$Q/$name.sqlite.csv"; then
		fail "$name: sqlite runs the reference query (a test bug)" "$(cat "$Q/$name.sqlite.csv.err")"
		return 1
	fi
	if out=$(python3 "$COMPARE" "$@" "$Q/$name.metafs.csv" "$Q/$name.sqlite.csv" 2>&1); then
		pass "$name"
	else
		fail "$name" "$out" "SQL:" "$sql"
		return 1
	fi
}

# has NAME TEXT STRING : the fixed STRING is somewhere in TEXT
has() {
	if [[ $2 == *"$3"* ]]; then
		pass "$1"
	else
		fail "$1" "'$3' not found in:" "$2"
		return 1
	fi
}

# ---------------------------------------------------------------- the data
PARTS='partkey,name,size,cat
1,bolt,10,a
2,nut,20,a
3,screw,,b
4,washer,40,
5,gear,50,b
,ghost,60,a
6,spring,30,c'
SUPPLY='partkey,suppkey,cost,qty
1,100,5.0,10
1,101,4.5,20
2,100,3.0,
2,102,2.0,5
3,101,,7
5,103,9.0,1
5,100,8.0,2
7,104,1.0,3
,105,2.5,4'

printf 'CREATE DATABASE qs;\n' >"$Q/ddl.sql"
run_job ddl "$Q/ddl.sql" || mf_abort "CREATE DATABASE qs succeeds" "$STATUS"
mf_make_table "$W/qs/parts" $'format csv\nheader true\ncolumn partkey bigint\ncolumn name string\ncolumn size bigint\ncolumn cat string\n'
mf_make_table "$W/qs/supply" $'format csv\nheader true\ncolumn partkey bigint\ncolumn suppkey bigint\ncolumn cost double\ncolumn qty bigint\n'
printf '%s\n' "$PARTS" >"$MF_TMP/parts.csv"
printf '%s\n' "$SUPPLY" >"$MF_TMP/supply.csv"
mf_run cp "$MF_TMP/parts.csv" "$W/qs/parts/" || mf_abort "cp parts.csv" "$MF_OUT"
mf_run cp "$MF_TMP/supply.csv" "$W/qs/supply/" || mf_abort "cp supply.csv" "$MF_OUT"

# SQLite: the same rows, empty fields as NULL, names quoted as text
to_inserts() { # TABLE CSV-TEXT : INSERT statements; text columns are those not numeric
	python3 - "$1" "$2" <<'PY'
import sys
table, text = sys.argv[1], sys.argv[2]
lines = text.split("\n")
for line in lines[1:]:
    vals = []
    for f in line.split(","):
        if f == "":
            vals.append("NULL")
        else:
            try:
                float(f)
                vals.append(f)
            except ValueError:
                vals.append("'" + f.replace("'", "''") + "'")
    print("INSERT INTO %s VALUES (%s);" % (table, ", ".join(vals)))
PY
}
{
	printf 'CREATE TABLE parts (partkey INTEGER, name TEXT, size INTEGER, cat TEXT);\n'
	printf 'CREATE TABLE supply (partkey INTEGER, suppkey INTEGER, cost REAL, qty INTEGER);\n'
	to_inserts parts "$PARTS"
	to_inserts supply "$SUPPLY"
	printf 'CREATE VIEW costly (partkey, cost) AS SELECT partkey, cost FROM supply WHERE cost > 4;\n'
} >"$MF_TMP/load.sqlite"
if ! out=$(sqlite3 -batch "$REF" <"$MF_TMP/load.sqlite" 2>&1); then
	mf_abort "sqlite3 loads the data" "$out"
fi

# ---------------------------------------------------------------- EXISTS

diffq exists_correlated <<'SQL'
SELECT partkey, name FROM qs.parts p
WHERE EXISTS (SELECT * FROM qs.supply s WHERE s.partkey = p.partkey AND s.cost > 4)
SQL

diffq not_exists_correlated <<'SQL'
SELECT partkey, name FROM qs.parts p
WHERE NOT EXISTS (SELECT 1 FROM qs.supply s WHERE s.partkey = p.partkey)
SQL

# Q21's shape: an equality key and a non-equality residual
diffq exists_with_residual <<'SQL'
SELECT s1.partkey, s1.suppkey FROM qs.supply s1
WHERE EXISTS (SELECT * FROM qs.supply s2 WHERE s2.partkey = s1.partkey AND s2.suppkey <> s1.suppkey)
  AND NOT EXISTS (SELECT * FROM qs.supply s3 WHERE s3.partkey = s1.partkey
                  AND s3.suppkey <> s1.suppkey AND s3.cost > s1.cost)
SQL

diffq exists_uncorrelated <<'SQL'
SELECT name FROM qs.parts
WHERE EXISTS (SELECT 1 FROM qs.supply WHERE cost > 8.5)
  AND NOT EXISTS (SELECT 1 FROM qs.supply WHERE cost > 100)
SQL

diffq exists_uncorrelated_empty <<'SQL'
SELECT name FROM qs.parts WHERE EXISTS (SELECT 1 FROM qs.supply WHERE cost > 100)
SQL

# ---------------------------------------------------------------- IN and NOT IN

diffq in_subquery <<'SQL'
SELECT partkey, name FROM qs.parts WHERE partkey IN (SELECT partkey FROM qs.supply WHERE qty > 3)
SQL

# a NULL on the right: x NOT IN (...) is never TRUE
diffq not_in_null_on_the_right <<'SQL'
SELECT partkey, name FROM qs.parts WHERE partkey NOT IN (SELECT partkey FROM qs.supply)
SQL

# no NULL on the right: a NULL on the left is still not TRUE
diffq not_in_null_on_the_left <<'SQL'
SELECT partkey, name FROM qs.parts
WHERE partkey NOT IN (SELECT partkey FROM qs.supply WHERE partkey IS NOT NULL)
SQL

# an empty right side: every row passes, the NULL key too
diffq not_in_empty_subquery <<'SQL'
SELECT partkey, name FROM qs.parts WHERE partkey NOT IN (SELECT partkey FROM qs.supply WHERE cost > 100)
SQL

diffq not_in_correlated <<'SQL'
SELECT partkey, name FROM qs.parts p
WHERE p.size NOT IN (SELECT s.qty * 10 FROM qs.supply s WHERE s.partkey = p.partkey)
SQL

diffq in_mixed_types <<'SQL'
SELECT name FROM qs.parts WHERE size IN (SELECT cost * 10 FROM qs.supply)
SQL

# Q18's shape: IN over a grouped subquery with HAVING
diffq in_grouped_subquery_with_having <<'SQL'
SELECT name, size FROM qs.parts
WHERE partkey IN (SELECT partkey FROM qs.supply GROUP BY partkey HAVING sum(qty) > 4)
SQL

diffq exists_with_order_and_limit <<'SQL'
SELECT name FROM qs.parts p
WHERE EXISTS (SELECT s.cost FROM qs.supply s WHERE s.partkey = p.partkey ORDER BY s.cost LIMIT 1)
SQL

# in HAVING, correlated to a grouping column
diffq exists_in_having <<'SQL'
SELECT cat, count(*) AS n FROM qs.parts p GROUP BY cat
HAVING EXISTS (SELECT 1 FROM qs.parts q WHERE q.cat = p.cat AND q.size > 45)
SQL

# ---------------------------------------------------------------- scalar subqueries

diffq scalar_uncorrelated <<'SQL'
SELECT partkey, name FROM qs.parts WHERE size > (SELECT avg(size) FROM qs.parts)
SQL

diffq scalar_uncorrelated_no_rows <<'SQL'
SELECT name, (SELECT max(cost) FROM qs.supply WHERE cost > 100) AS m FROM qs.parts
SQL

diffq scalar_in_case_and_or <<'SQL'
SELECT name,
  CASE WHEN size > (SELECT avg(size) FROM qs.parts) THEN 'big' ELSE 'small' END AS kind
FROM qs.parts
WHERE size IS NULL OR size < (SELECT max(qty) * 3 FROM qs.supply)
SQL

# Q2's shape
diffq scalar_correlated_min <<'SQL'
SELECT s.partkey, s.suppkey, s.cost FROM qs.supply s
WHERE s.cost = (SELECT min(s2.cost) FROM qs.supply s2 WHERE s2.partkey = s.partkey)
SQL

# Q17's shape
diffq scalar_correlated_avg <<'SQL'
SELECT p.partkey, p.name FROM qs.parts p
WHERE p.size < (SELECT 2 * avg(s.qty) FROM qs.supply s WHERE s.partkey = p.partkey)
SQL

# count(*) over no rows is 0, not NULL
diffq scalar_correlated_count_in_select_list <<'SQL'
SELECT p.partkey, p.name,
  (SELECT count(*) FROM qs.supply s WHERE s.partkey = p.partkey) AS n,
  (SELECT sum(s.qty) FROM qs.supply s WHERE s.partkey = p.partkey) AS q
FROM qs.parts p
SQL

diffq scalar_correlated_count_zero_in_where <<'SQL'
SELECT p.partkey, p.name FROM qs.parts p
WHERE (SELECT count(*) FROM qs.supply s WHERE s.partkey = p.partkey) = 0
   OR (SELECT count(s.qty) FROM qs.supply s WHERE s.partkey = p.partkey) = 1
SQL

diffq scalar_in_select_list <<'SQL'
SELECT name, size - (SELECT min(size) FROM qs.parts) AS d FROM qs.parts
SQL

diffq scalar_in_aggregate_select_list <<'SQL'
SELECT partkey, sum(cost) / (SELECT sum(cost) FROM qs.supply) AS share,
  count(*) + (SELECT count(*) FROM qs.parts) AS n
FROM qs.supply GROUP BY partkey
SQL

# a global aggregate over no rows is still one row, with the subquery's value
diffq scalar_in_global_aggregate_over_no_rows <<'SQL'
SELECT count(*) AS n, (SELECT max(qty) FROM qs.supply) AS m FROM qs.parts WHERE size > 1000
SQL

diffq scalar_correlated_to_a_group <<'SQL'
SELECT cat, count(*) AS n,
  (SELECT count(*) FROM qs.parts q WHERE q.cat = p.cat AND q.size > 25) AS big
FROM qs.parts p GROUP BY cat
SQL

# Q11's shape
diffq scalar_in_having <<'SQL'
SELECT partkey, sum(cost) AS total FROM qs.supply GROUP BY partkey
HAVING sum(cost) > (SELECT sum(cost) * 0.2 FROM qs.supply)
SQL

# Q22's shape: in a derived table, beside NOT EXISTS
diffq scalar_and_not_exists_in_derived_table <<'SQL'
SELECT cat, count(*) AS n, sum(size) AS total
FROM (SELECT cat, size FROM qs.parts p
      WHERE size > (SELECT avg(size) FROM qs.parts WHERE size > 15)
        AND NOT EXISTS (SELECT 1 FROM qs.supply s WHERE s.partkey = p.partkey)) t
GROUP BY cat
SQL

# Q20's shape: IN over a subquery with its own IN and correlated scalar subquery
diffq nested_subqueries <<'SQL'
SELECT name FROM qs.parts
WHERE partkey IN (SELECT partkey FROM qs.supply s
                  WHERE suppkey IN (SELECT suppkey FROM qs.supply WHERE cost < 3.5)
                    AND s.qty > (SELECT 0.5 * sum(s3.qty) FROM qs.supply s3
                                 WHERE s3.partkey = s.partkey))
SQL

# Q15's shape: a view in the query and in its subquery
printf 'CREATE VIEW qs.costly (partkey, cost) AS SELECT partkey, cost FROM qs.supply WHERE cost > 4;\n' \
	>"$Q/view.sql"
run_job view "$Q/view.sql" || fail "CREATE VIEW qs.costly succeeds" "$STATUS"
diffq view_in_query_and_subquery <<'SQL'
SELECT s.partkey, s.suppkey, c.cost FROM qs.supply s, qs.costly c
WHERE s.partkey = c.partkey AND s.cost = c.cost AND c.cost = (SELECT max(cost) FROM qs.costly)
SQL
PLAN=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/view_in_query_and_subquery/plan" 2>&1)
has "the view read in the subquery is named in the plan" "$PLAN" ":     +- SubqueryAlias costly"

# ---------------------------------------------------------------- scalar subqueries checked when run

# nothing proves these return one row: they are checked as they run
diffq scalar_one_row_by_its_data <<'SQL'
SELECT partkey, name, (SELECT name FROM qs.parts WHERE partkey = 5) AS g FROM qs.parts
WHERE size < (SELECT size FROM qs.parts WHERE partkey = 4)
SQL

diffq scalar_no_row_by_its_data <<'SQL'
SELECT partkey, (SELECT size FROM qs.parts WHERE partkey = 99) AS s FROM qs.parts
SQL

# the subquery reads more rows than the query around it
diffq scalar_one_row_over_a_bigger_side <<'SQL'
SELECT name, size * (SELECT cost FROM qs.supply WHERE suppkey = 103) AS c FROM qs.parts
WHERE partkey = 2
SQL

# inside an IN subquery, in an aggregate's select list, in HAVING
diffq scalar_one_row_nested_in_in <<'SQL'
SELECT name FROM qs.parts
WHERE partkey IN (SELECT partkey FROM qs.supply
                  WHERE suppkey = (SELECT suppkey FROM qs.supply WHERE cost = 9.0))
SQL

diffq scalar_one_row_in_aggregate_and_having <<'SQL'
SELECT cat, count(*) + (SELECT size FROM qs.parts WHERE partkey = 1) AS n FROM qs.parts
GROUP BY cat HAVING count(*) > (SELECT qty FROM qs.supply WHERE suppkey = 103)
SQL

printf 'SELECT name FROM qs.parts\nWHERE size = (SELECT size FROM qs.parts);\n' >"$Q/many_rows.sql"
run_job many_rows "$Q/many_rows.sql"
assert_eq "a scalar subquery of many rows fails the job" "failed" "$STATE"
has "the failure says a subquery returned more than one row, where" "$STATUS" \
	"line 2, column 14: more than one row returned by a subquery used as an expression"

# a job whose second statement fails that way: the first one's rows stay,
# the failed INSERT OVERWRITE replaces nothing
printf 'CREATE TABLE qs.snap AS SELECT partkey, name FROM qs.parts WHERE partkey < 3;\n' >"$Q/snap.sql"
run_job snap "$Q/snap.sql" || fail "CREATE TABLE qs.snap succeeds" "$STATUS"
cat >"$Q/snap_fail.sql" <<'SQL'
INSERT INTO qs.snap VALUES (9, 'late');
INSERT OVERWRITE TABLE qs.snap
SELECT partkey, (SELECT name FROM qs.parts WHERE cat = 'a') FROM qs.parts;
SQL
run_job snap_fail "$Q/snap_fail.sql"
assert_eq "an INSERT with a scalar subquery of many rows fails the job" "failed" "$STATE"
has "its failure says a subquery returned more than one row" "$STATUS" \
	"more than one row returned by a subquery used as an expression"
if ! out=$(sqlite3 -batch "$REF" "CREATE TABLE snap AS SELECT partkey, name FROM parts WHERE partkey < 3;
INSERT INTO snap VALUES (9, 'late');" 2>&1); then
	fail "sqlite3 makes snap (a test bug)" "$out"
fi
diffq snap_intact_after_the_failed_insert <<'SQL'
SELECT partkey, name FROM qs.snap
SQL

# ---------------------------------------------------------------- plans

cat >"$Q/explain.sql" <<'SQL'
EXPLAIN EXTENDED
SELECT p.name FROM qs.parts p
WHERE p.partkey IN (SELECT partkey FROM qs.supply)
  AND p.partkey NOT IN (SELECT suppkey FROM qs.supply)
  AND NOT EXISTS (SELECT 1 FROM qs.supply s WHERE s.partkey = p.partkey AND s.cost > 100)
  AND p.size < (SELECT 2 * avg(s.qty) FROM qs.supply s WHERE s.partkey = p.partkey);
SQL
run_job explain "$Q/explain.sql"
assert_eq "EXPLAIN EXTENDED of subqueries succeeds" "succeeded" "$STATE" || note "$STATUS"
PLAN=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/explain/plan" 2>&1)
ANALYZED=$(printf '%s\n' "$PLAN" | sed -n '/== Analyzed Logical Plan ==/,/== Optimized Logical Plan ==/p')
OPTIMIZED=$(printf '%s\n' "$PLAN" | sed -n '/== Optimized Logical Plan ==/,/== Physical Plan ==/p')
has "the analyzed plan shows the EXISTS subquery" "$ANALYZED" "NOT exists(subquery)"
has "the analyzed plan shows the scalar subquery" "$ANALYZED" "scalar-subquery"
has "the analyzed plan draws the subquery with its correlated reference" "$ANALYZED" \
	"(partkey#"
has "the correlated reference is outer(...)" "$ANALYZED" "outer(partkey#"
has "IN became a left semi join" "$OPTIMIZED" "Join LeftSemi"
has "NOT EXISTS became a left anti join" "$OPTIMIZED" "Join LeftAnti"
has "the scalar subquery became a left outer join" "$OPTIMIZED" "Join LeftOuter"
has "the correlated aggregate is grouped by its key" "$OPTIMIZED" "Aggregate [partkey#"
has "the semi join shows its key" "$OPTIMIZED" "Join LeftSemi, (partkey#"
case $OPTIMIZED in
*subquery*) fail "no subquery is left in the optimized plan" "$OPTIMIZED" ;;
*) pass "no subquery is left in the optimized plan" ;;
esac

printf 'EXPLAIN SELECT name FROM qs.parts WHERE size < (SELECT size FROM qs.parts WHERE partkey = 4);\n' \
	>"$Q/explain_one_row.sql"
run_job explain_one_row "$Q/explain_one_row.sql"
assert_eq "EXPLAIN of an unproven scalar subquery succeeds" "succeeded" "$STATE" || note "$STATUS"
PLAN=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/explain_one_row/plan" 2>&1)
has "the physical plan shows the one-row check" "$PLAN" "LeftOuter, BuildRight, one row"
printf 'EXPLAIN SELECT name FROM qs.parts WHERE size < (SELECT max(size) FROM qs.parts);\n' \
	>"$Q/explain_agg.sql"
run_job explain_agg "$Q/explain_agg.sql"
PLAN=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/explain_agg/plan" 2>&1)
case $PLAN in
*"one row"*) fail "an aggregate subquery needs no one-row check" "$PLAN" ;;
*LeftOuter*) pass "an aggregate subquery needs no one-row check" ;;
*) fail "EXPLAIN of an aggregate subquery shows its join" "$STATUS" "$PLAN" ;;
esac

mf_finish
