#!/usr/bin/env bash
# test_sql_views.sh - the TPC-H syntax of the SQL dialect through the mount:
# views, EXTRACT, INTERVAL arithmetic, SUBSTRING ... FROM ... FOR and column
# alias lists on derived tables and WITH queries.
#
#   - a persistent view (CREATE VIEW db.v) made by one job is read by a
#     second job, refuses a second CREATE and a table's name (a mkdir of its
#     name fails too), is not shown in the mount but by SHOW VIEWS, survives
#     a restart of the daemon, and DROP VIEW removes it; CREATE OR REPLACE
#     redefines it
#   - a temporary view lives for its job only: a second job does not see it
#   - TPC-H Q15 as one job file (create view revenue0 ...; select ... from
#     supplier join revenue0 ...; drop view revenue0), checked against
#     SQLite over the same rows
#   - EXTRACT, date/timestamp +/- INTERVAL (Q1's interval '90' day (3), the
#     end-of-month clamp of months) and SUBSTRING against literal values;
#     an interval anywhere else is an error
#   - date '1994-01-01' + interval '1' year is folded, so partition pruning
#     reads one partition of two
#   - Q13's (select ...) as c_orders (c_custkey, c_count) and WITH t (a, b)
#   - as root with a second user U (SUBMIT, SELECT on tpch.supplier only):
#     U reads a view over supplier, not one over lineitem (a view is read
#     with the reader's own privileges on its tables); U may not drop
#     root's view nor create one in tpch (no CREATE there); with MODIFY on
#     lineitem (so U sees it) the view over it fails for the missing SELECT;
#     U's reads through a view are audited
# The second-user part needs root (useradd, setpriv) and is skipped without.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

MULTI=0
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	MULTI=1
	mf_shared_home
	U=mfsv_$$_u
	mf_add_user "$U"
	mf_mount_shared
else
	mf_setup
fi
J=$M/jobs
W=$M/warehouse

# result NAME : the result file of job NAME
result() { timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$1/result" 2>&1; }

# ---------------------------------------------------------------- data
run_job ddl "CREATE DATABASE tpch;
CREATE TABLE tpch.supplier (s_suppkey BIGINT, s_name STRING, s_phone STRING);
CREATE TABLE tpch.lineitem (l_suppkey BIGINT, l_extendedprice DOUBLE, l_discount DOUBLE,
  l_shipdate DATE);
CREATE TABLE tpch.orders (o_orderkey BIGINT, o_total DOUBLE) PARTITIONED BY (o_orderdate DATE);
INSERT INTO tpch.supplier VALUES (1, 'Supplier#1', '11-555-0101'), (2, 'Supplier#2', '22-555-0102'),
  (3, 'Supplier#3', '11-555-0103');
INSERT INTO tpch.lineitem VALUES (1, 100.0, 0.1, DATE '1996-01-05'), (1, 50.0, 0.0, DATE '1996-03-31'),
  (2, 200.0, 0.5, DATE '1996-02-10'), (2, 10.0, 0.0, DATE '1996-04-01'),
  (3, 400.0, 0.25, DATE '1995-12-31'), (3, 130.0, 0.0, DATE '1996-01-01');
INSERT INTO tpch.orders VALUES (1, 10.0, DATE '1994-03-01'), (2, 20.0, DATE '1995-06-01');"
assert_eq "the data job succeeds" "succeeded" "$STATE" || mf_abort "data" "$STATUS"

# ---------------------------------------------------------------- persistent views
run_job mkview "CREATE VIEW tpch.rev (supplier_no, total_revenue) AS
  SELECT l_suppkey, sum(l_extendedprice * (1 - l_discount)) FROM tpch.lineitem
  WHERE l_shipdate >= date '1996-01-01' AND l_shipdate < date '1996-01-01' + interval '3' month
  GROUP BY l_suppkey;"
assert_eq "CREATE VIEW succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job readview "SELECT supplier_no, total_revenue FROM tpch.rev ORDER BY supplier_no;"
assert_eq "a second job reads the persistent view" "supplier_no,total_revenue
1,140.0
2,100.0
3,130.0" "$(result readview)" || note "$STATUS"
run_job readview3 "SELECT s_name, r.total_revenue FROM warehouse.tpch.rev r
  JOIN tpch.supplier ON s_suppkey = r.supplier_no WHERE r.total_revenue > 120;"
assert_eq "a view joins a table under an alias, by its three-part name" "s_name,total_revenue
Supplier#1,140.0
Supplier#3,130.0" "$(result readview3 | (read -r h; echo "$h"; sort))" || note "$STATUS"
run_job again "CREATE VIEW tpch.rev AS SELECT 1 AS one;"
assert_eq "a second CREATE VIEW of the name fails" "failed" "$STATE"
assert_match "... saying it exists" "view \"tpch.rev\" already exists" "$STATUS"
run_job ifnot "CREATE VIEW IF NOT EXISTS tpch.rev AS SELECT 1 AS one;"
assert_eq "CREATE VIEW IF NOT EXISTS of an existing view succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job astable "CREATE VIEW tpch.supplier AS SELECT 1 AS one;"
assert_eq "CREATE VIEW with a table's name fails" "failed" "$STATE"
assert_match "... saying it is a table" "\"tpch.supplier\" is a table, not a view" "$STATUS"
assert_eq "the mount does not show a view" "lineitem
orders
supplier" "$(mf_ls "$W/tpch")"
expect_fail_errno "mkdir of a view's name fails" "File exists" mkdir "$W/tpch/rev"
run_job showv "SHOW VIEWS IN tpch; SHOW VIEWS IN warehouse.tpch;"
assert_eq "SHOW VIEWS lists the database's views, one result a statement" "view
rev
--
view
rev" "$(cat "$J/showv/results/1.csv"; echo --; cat "$J/showv/results/2.csv")" || note "$STATUS"
run_job shownodb "SHOW VIEWS IN nodb;"
assert_match "SHOW VIEWS of a missing database fails" "unknown database \"nodb\"" "$STATUS"
run_job droptbl "DROP VIEW tpch.supplier;"
assert_match "DROP VIEW of a table says to use DROP TABLE" "is a table: use DROP TABLE" "$STATUS"
run_job replace "CREATE OR REPLACE VIEW tpch.rev AS SELECT s_suppkey AS k FROM tpch.supplier
  WHERE substring(s_phone FROM 1 FOR 2) = '11';"
assert_eq "CREATE OR REPLACE VIEW succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job readnew "SELECT k FROM tpch.rev ORDER BY k;"
assert_eq "the replaced view reads its new query" "k
1
3" "$(result readnew)" || note "$STATUS"

# ---------------------------------------------------------------- temporary views
run_job tmp "CREATE TEMPORARY VIEW big AS SELECT s_suppkey FROM tpch.supplier WHERE s_suppkey > 1;
SELECT count(*) AS n FROM big;"
assert_eq "a temporary view is read in its job" "n
2" "$(result tmp)" || note "$STATUS"
run_job tmp2 "SELECT count(*) AS n FROM big;"
assert_eq "a second job does not see the temporary view" "failed" "$STATE"
assert_match "... it is an unknown table there" "unknown table \"big\"" "$STATUS"

# ---------------------------------------------------------------- TPC-H Q15 as one job file
cat >"$MF_TMP/q15.sql" <<'EOF'
create view revenue0 (supplier_no, total_revenue) as
	select l_suppkey, sum(l_extendedprice * (1 - l_discount))
	from tpch.lineitem
	where l_shipdate >= date '1996-01-01'
		and l_shipdate < date '1996-01-01' + interval '3' month
	group by l_suppkey;
select s_suppkey, s_name, s_phone, total_revenue
from tpch.supplier join revenue0 on s_suppkey = supplier_no
order by s_suppkey;
drop view revenue0;
EOF
run_job q15 "$(cat "$MF_TMP/q15.sql")"
assert_eq "the Q15 job (create view; select; drop view) succeeds" "succeeded" "$STATE" || note "$STATUS"
if command -v sqlite3 >/dev/null; then
	want=$(sqlite3 -csv -header :memory: "
CREATE TABLE supplier (s_suppkey INTEGER, s_name TEXT, s_phone TEXT);
CREATE TABLE lineitem (l_suppkey INTEGER, l_extendedprice REAL, l_discount REAL, l_shipdate TEXT);
INSERT INTO supplier VALUES (1, 'Supplier#1', '11-555-0101'), (2, 'Supplier#2', '22-555-0102'),
  (3, 'Supplier#3', '11-555-0103');
INSERT INTO lineitem VALUES (1, 100.0, 0.1, '1996-01-05'), (1, 50.0, 0.0, '1996-03-31'),
  (2, 200.0, 0.5, '1996-02-10'), (2, 10.0, 0.0, '1996-04-01'),
  (3, 400.0, 0.25, '1995-12-31'), (3, 130.0, 0.0, '1996-01-01');
CREATE VIEW revenue0 (supplier_no, total_revenue) AS
  SELECT l_suppkey, sum(l_extendedprice * (1 - l_discount)) FROM lineitem
  WHERE l_shipdate >= '1996-01-01' AND l_shipdate < date('1996-01-01', '+3 months')
  GROUP BY l_suppkey;
SELECT s_suppkey, s_name, s_phone, printf('%.1f', total_revenue) AS total_revenue
FROM supplier JOIN revenue0 ON s_suppkey = supplier_no ORDER BY s_suppkey;")
	assert_eq "Q15's rows agree with SQLite's" "$want" "$(result q15)"
else
	note "sqlite3 is missing: Q15 checked against literal rows only"
fi
assert_eq "Q15's rows" "s_suppkey,s_name,s_phone,total_revenue
1,Supplier#1,11-555-0101,140.0
2,Supplier#2,22-555-0102,100.0
3,Supplier#3,11-555-0103,130.0" "$(result q15)"
run_job q15after "SELECT * FROM revenue0;"
assert_eq "Q15's view is gone after its job" "failed" "$STATE"

# ---------------------------------------------------------------- EXTRACT, INTERVAL, SUBSTRING
run_job exprs "SELECT extract(year FROM date '1998-12-01') AS y,
  extract(month FROM date '1998-12-01') AS m, extract(day FROM l_shipdate) AS d,
  extract(quarter FROM l_shipdate) AS q, extract(dow FROM l_shipdate) AS dow,
  extract(hour FROM timestamp '2024-05-06 07:08:09') AS h,
  extract(minute FROM timestamp '2024-05-06 07:08:09') AS mi,
  extract(second FROM timestamp '2024-05-06 07:08:09') AS s,
  date '1998-12-01' - interval '90' day (3) AS q1,
  date '2024-01-31' + interval '1' month AS clamp,
  date '2024-02-29' + INTERVAL 1 YEAR AS leap,
  timestamp '2024-01-01 23:30:00' + interval 90 minutes AS ts,
  substring('(555) 0101' FROM 2 FOR 3) AS area, substr('abcdef', 3) AS tail,
  substring('abcdef', -2, 5) AS neg
FROM tpch.lineitem WHERE l_suppkey = 1 AND l_discount > 0;"
assert_eq "EXTRACT, INTERVAL and SUBSTRING give Spark's values" \
	"y,m,d,q,dow,h,mi,s,q1,clamp,leap,ts,area,tail,neg
1998,12,5,1,6,7,8,9,1998-09-02,2024-02-29,2025-02-28,2024-01-02 01:00:00,555,cdef,ef" \
	"$(result exprs)" || note "$STATUS"
run_job badiv "SELECT interval '1' day AS i FROM tpch.supplier;"
assert_match "an interval alone is refused" \
	"an interval can only be added to or subtracted from a date or timestamp" "$STATUS"
run_job badiv2 "SELECT s_suppkey + interval '1' day AS i FROM tpch.supplier;"
assert_match "an interval added to a number is refused" "not bigint" "$STATUS"

run_job prune "SELECT count(*) AS n FROM tpch.orders
WHERE o_orderdate >= date '1994-01-01' AND o_orderdate < date '1994-01-01' + interval '1' year;"
assert_eq "the interval bound selects the 1994 order" "n
1" "$(result prune)" || note "$STATUS"
assert_file_contains "the folded bound prunes partitions" "$J/prune/plan" "partitions: 1 of 2"
assert_file_contains "the optimized plan holds the folded date" "$J/prune/plan" "1995-01-01"

# ---------------------------------------------------------------- column alias lists
run_job q13 "SELECT c_count, count(*) AS custdist
FROM (SELECT s_suppkey, count(l_suppkey) FROM tpch.supplier
      LEFT JOIN tpch.lineitem ON s_suppkey = l_suppkey AND l_discount > 0.2
      GROUP BY s_suppkey) AS c_orders (c_custkey, c_count)
GROUP BY c_count ORDER BY custdist DESC, c_count DESC;"
assert_eq "Q13's derived table column aliases" "c_count,custdist
1,2
0,1" "$(result q13)" || note "$STATUS"
run_job cte "WITH t (k, phone) AS (SELECT s_suppkey, s_phone FROM tpch.supplier)
SELECT k, phone FROM t WHERE k = 2;"
assert_eq "WITH t (a, b) names the columns" "k,phone
2,22-555-0102" "$(result cte)" || note "$STATUS"

# ---------------------------------------------------------------- a restart keeps views
mf_umount || mf_abort "unmount before the remount"
if [ "$MULTI" = 1 ]; then
	mf_mount "$H" "$M" -o allow_other || mf_abort "remount with -o allow_other"
else
	mf_mount || mf_abort "remount"
fi
run_job afterrestart "SELECT k FROM tpch.rev ORDER BY k;"
assert_eq "a persistent view survives a restart of the daemon" "k
1
3" "$(result afterrestart)" || note "$STATUS"

# ---------------------------------------------------------------- DROP VIEW
run_job dropv "DROP VIEW tpch.rev;"
assert_eq "DROP VIEW succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job gone "SELECT * FROM tpch.rev;"
assert_match "a dropped view is an unknown table" "unknown table \"tpch.rev\"" "$STATUS"
run_job dropv2 "DROP VIEW IF EXISTS tpch.rev;"
assert_eq "DROP VIEW IF EXISTS of a missing view succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_ok "the view's name is free for a table again" mkdir "$W/tpch/rev"

# ---------------------------------------------------------------- a second user
if [ "$MULTI" = 1 ]; then
	run_job views2 "CREATE VIEW tpch.sup AS SELECT s_suppkey, s_name FROM tpch.supplier;
CREATE VIEW tpch.li AS SELECT l_suppkey FROM tpch.lineitem;
GRANT SUBMIT ON PLATFORM warehouse TO USER $U;
GRANT SELECT ON TABLE warehouse.tpch.supplier TO USER $U;"
	assert_eq "root's views and grants job succeeds" "succeeded" "$STATE" || note "$STATUS"
	# u_job NAME SQL : U submits SQL as job NAME and waits for it
	u_job() {
		printf '%s\n' "$2" >"$MF_TMP/$1.sql"
		chmod 644 "$MF_TMP/$1.sql"
		if ! mf_as "$U" cp "$MF_TMP/$1.sql" "$J/$1.sql" 2>"$MF_TMP/err"; then
			STATUS="submit failed: $(cat "$MF_TMP/err")"
			STATE=none
			return 1
		fi
		STATUS=$(mf_as "$U" timeout -k 5 300 cat "$J/$1/wait" 2>&1)
		STATE=$(printf '%s\n' "$STATUS" | head -n 1)
	}
	u_job usup "SELECT s_name FROM tpch.sup WHERE s_suppkey = 2;"
	assert_eq "U reads a view over a table U may read" "succeeded" "$STATE" || note "$STATUS"
	assert_eq "... with its rows" "s_name
Supplier#2" "$(mf_as "$U" cat "$J/usup/result" 2>&1)"
	assert_ne "U's read of supplier through the view is audited" "0" \
		"$(mf_audit_count "$(id -u "$U")" read /warehouse/tpch/supplier allow)"
	u_job uli "SELECT count(*) AS n FROM tpch.li;"
	assert_eq "U may not read a view over a table U may not read" "failed" "$STATE"
	assert_match "... the reason names the view" "in view \"tpch.li\"" "$STATUS"
	run_job gmod "GRANT MODIFY ON TABLE warehouse.tpch.lineitem TO USER $U;"
	assert_eq "root grants U MODIFY (not SELECT) on lineitem" "succeeded" "$STATE" || note "$STATUS"
	u_job uli2 "SELECT count(*) AS n FROM tpch.li;"
	assert_eq "U, who sees lineitem now, still may not read it through the view" "failed" "$STATE"
	assert_match "... the reason is the missing SELECT on the table" \
		"lacks SELECT on warehouse.tpch.lineitem" "$STATUS"
	u_job udrop "DROP VIEW tpch.sup;"
	assert_eq "U may not drop root's view" "failed" "$STATE"
	assert_match "... permission denied" "permission denied" "$STATUS"
	u_job umake "CREATE VIEW tpch.mine AS SELECT s_name FROM tpch.supplier;"
	assert_eq "U may not create a view without CREATE on the database" "failed" "$STATE"
	assert_match "... permission denied" "permission denied" "$STATUS"
	u_job utmp "CREATE TEMPORARY VIEW mine AS SELECT s_name FROM tpch.supplier;
SELECT count(*) AS n FROM mine;"
	assert_eq "U may make a temporary view of what U reads" "succeeded" "$STATE" || note "$STATUS"
	run_job rootsup "SELECT count(*) AS n FROM tpch.sup;"
	assert_eq "root still reads the view U failed to drop" "n
3" "$(result rootsup)" || note "$STATUS"
else
	note "not root: the second-user checks are skipped"
fi

mf_finish
